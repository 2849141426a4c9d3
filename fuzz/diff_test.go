package fuzz

import (
	"bytes"
	"fmt"
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
