package fuzz

import (
	"bytes"
	"errors"
	"fmt"
	"iter"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
	"github.com/ctconv/ctconv/snapshot"
)

// FuzzDiff diffs two inputs: it never panics, a Diff that reuses its
// changes yields those of one that does not, and an input that reads
// without error diffed with itself has no added, removed or changed flow
// (only duplicates, where it holds an identity twice).
func FuzzDiff(f *testing.F) {
	files := corpustest.Paths(f, "*")
	for i, file := range files {
		a, _ := os.ReadFile(file)
		b, _ := os.ReadFile(files[(i+1)%len(files)])
		f.Add(a[:min(len(a), 2048)], b[:min(len(b), 2048)])
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		kept, kerr := diff(a, b, false)
		reused, rerr := diff(a, b, true)
		if !slices.Equal(kept, reused) || fmt.Sprint(kerr) != fmt.Sprint(rerr) {
			t.Fatalf("changes reused:\n%q, %v\nkept:\n%q, %v", reused, rerr, kept, kerr)
		}
		changes, err := diff(a, a, false)
		if err == nil && slices.ContainsFunc(changes, func(c string) bool { return !strings.HasPrefix(c, "duplicate") }) {
			t.Fatalf("an input diffed with itself: %q", changes)
		}
	})
}

// diff returns the changes of a diff of a and b, each described as it
// comes: its op, its flows and its fields.
func diff(a, b []byte, reuse bool) ([]string, error) {
	open := func(data []byte) (*snapshot.Input, error) {
		return snapshot.Open(bytes.NewReader(data), snapshot.Text(format.Auto), format.Dialect{Location: time.UTC}, format.WithMaxLine(1024))
	}
	old, err := open(a)
	if err != nil {
		return nil, err
	}
	defer old.Close()
	new, err := open(b)
	if err != nil {
		return nil, err
	}
	defer new.Close()
	d, err := snapshot.NewDiff(old, new, snapshot.DiffOptions{Volatile: true, ReuseChanges: reuse})
	if err != nil {
		return nil, err
	}
	var changes []string
	for c, err := range d.Changes() {
		if err != nil {
			return changes, err
		}
		s := c.Op.String()
		for _, f := range []*format.Flow{c.Old, c.New} {
			if f != nil {
				js, err := codec.AppendJSON(nil, f)
				s += " " + string(js) + fmt.Sprint(err)
			}
		}
		changes = append(changes, s+fmt.Sprint(c.Fields))
	}
	return changes, nil
}

// FuzzDiffNetns diffs the flows of two inputs, each flow put in a
// namespace ("", "a" or "b") as ns says, once as they come (the hash
// join) and once from snapshots written sorted (the merge): the two agree
// on the Summary, or both fail; and a capture diffed with itself has no
// added, removed or changed flow.
func FuzzDiffNetns(f *testing.F) {
	files := corpustest.Paths(f, "*")
	for i, file := range files {
		a, _ := os.ReadFile(file)
		b, _ := os.ReadFile(files[(i+1)%len(files)])
		f.Add(a[:min(len(a), 2048)], b[:min(len(b), 2048)], []byte{0, 1, 2, 1})
	}
	f.Fuzz(func(t *testing.T, a, b, ns []byte) {
		old, err := nsFlows(a, ns)
		if err != nil {
			return
		}
		new, err := nsFlows(b, ns[min(1, len(ns)):])
		if err != nil {
			return
		}
		joined, jerr := nsDiff(old, new, false)
		merged, merr := nsDiff(old, new, true)
		if errors.Is(merr, errUnwritten) {
			return
		}
		if (jerr == nil) != (merr == nil) || jerr == nil && joined != merged {
			t.Fatalf("the hash join: %+v, %v\nthe merge: %+v, %v", joined, jerr, merged, merr)
		}
		for _, sorted := range []bool{false, true} {
			s, err := nsDiff(old, old, sorted)
			if err == nil && s.Added+s.Removed+s.Changed > 0 {
				t.Fatalf("sorted %v: a capture diffed with itself: %+v", sorted, s)
			}
		}
	})
}

// nsFlows returns the flows of data, each copied, the flow i in the
// namespace ns[i] names, modulo 3: none, "a" or "b"; it passes over bad
// lines.
func nsFlows(data, ns []byte) ([]format.Flow, error) {
	in, err := snapshot.Open(bytes.NewReader(data), snapshot.Text(format.Auto), format.Dialect{Location: time.UTC}, format.WithMaxLine(1024))
	if err != nil {
		return nil, err
	}
	defer in.Close()
	var flows []format.Flow
	for f, err := range in.Flows() {
		if err != nil {
			continue
		}
		g := *f
		g.Netns = ""
		if len(ns) > 0 {
			g.Netns = []string{"", "a", "b"}[ns[len(flows)%len(ns)]%3]
		}
		flows = append(flows, g)
	}
	return flows, nil
}

// nsSource is a Source of its flows.
type nsSource []format.Flow

func (s nsSource) Flows() iter.Seq2[*format.Flow, error] {
	return func(yield func(*format.Flow, error) bool) {
		for i := range s {
			f := s[i]
			if !yield(&f, nil) {
				return
			}
		}
	}
}

func (s nsSource) Close() error { return nil }

// errUnwritten is nsDiff's error where a snapshot refuses a flow.
var errUnwritten = errors.New("a flow a snapshot does not take")

// nsDiff returns the Summary of a diff of old and new: as they come, or
// from snapshots of them written sorted.
func nsDiff(old, new []format.Flow, sorted bool) (snapshot.Summary, error) {
	input := func(flows []format.Flow) (*snapshot.Input, error) {
		if !sorted {
			return snapshot.FromSource(nsSource(flows), snapshot.Text(format.Proc)), nil
		}
		var buf bytes.Buffer
		w, err := snapshot.NewWriter(&buf, snapshot.Header{Sorted: true, Source: snapshot.Text(format.Proc)})
		if err != nil {
			return nil, err
		}
		for i := range flows {
			if err := w.WriteFlow(&flows[i]); err != nil {
				return nil, errUnwritten
			}
		}
		if err := w.Close(); err != nil {
			return nil, errUnwritten
		}
		return snapshot.Open(bytes.NewReader(buf.Bytes()), snapshot.File, format.Dialect{})
	}
	o, err := input(old)
	if err != nil {
		return snapshot.Summary{}, err
	}
	n, err := input(new)
	if err != nil {
		return snapshot.Summary{}, err
	}
	defer o.Close()
	defer n.Close()
	d, err := snapshot.NewDiff(o, n, snapshot.DiffOptions{Volatile: true})
	if err != nil {
		return snapshot.Summary{}, err
	}
	for _, err := range d.Changes() {
		if err != nil {
			return d.Summary(), err
		}
	}
	return d.Summary(), nil
}
