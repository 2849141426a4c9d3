package snapshot_test

import (
	"bytes"
	"errors"
	"iter"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

// The tests of this file each guard the API against a mistake that once
// failed silently or too late: each fails on the code before its fix.

// TestNewWriterZeroCreated: a Header without a creation time is written
// with the current time, not one that reads back as 1754.
func TestNewWriterZeroCreated(t *testing.T) {
	var buf bytes.Buffer
	before := time.Now()
	w, err := snapshot.NewWriter(&buf, snapshot.Header{Source: snapshot.Text(format.Proc)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	r, err := snapshot.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if c := r.Header().Created; c.Before(before.Truncate(time.Second)) || c.After(after) {
		t.Errorf("created %v, want between %v and %v", c, before, after)
	}
}

// TestNewWriterBadHeader: a header that would not read back as given is
// refused, with an *OptionError, before anything is written.
func TestNewWriterBadHeader(t *testing.T) {
	for _, c := range []struct {
		name   string
		h      snapshot.Header
		option string
	}{
		{"zero source", snapshot.Header{Created: time.Now()}, "Header.Source"},
		{"auto source", snapshot.Header{Created: time.Now(), Source: snapshot.Text(format.Auto)}, "Header.Source"},
		{"unknown format", snapshot.Header{Created: time.Now(), Source: snapshot.Text(format.Format(200))}, "Header.Source"},
		{"snapshot source", snapshot.Header{Created: time.Now(), Source: snapshot.File}, "Header.Source"},
		{"created before 1678", snapshot.Header{Created: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), Source: snapshot.JSON}, "Header.Created"},
		{"created after 2262", snapshot.Header{Created: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), Source: snapshot.JSON}, "Header.Created"},
	} {
		var buf bytes.Buffer
		w, err := snapshot.NewWriter(&buf, c.h)
		var oe *snapshot.OptionError
		if !errors.As(err, &oe) || oe.Option != c.option {
			t.Errorf("%s: err %v, want an *OptionError of %s", c.name, err, c.option)
		}
		if w != nil {
			w.Close()
		}
		if buf.Len() != 0 {
			t.Errorf("%s: %d bytes written", c.name, buf.Len())
		}
	}
	// Every encoding that ParseEncoding names, but "auto" and "snapshot",
	// is a source.
	for _, name := range []string{"proc", "conntrack", "xml", "save", "json", "proc-expect"} {
		enc, err := snapshot.ParseEncoding(name)
		if err != nil {
			t.Fatal(err)
		}
		w, err := snapshot.NewWriter(&bytes.Buffer{}, snapshot.Header{Source: enc, Expectations: strings.HasSuffix(name, "-expect")})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		w.Close()
	}
}

// TestNewDiffBadOptions: an option that names no field is an error of
// NewDiff, which names it and lists the valid names, before any change.
func TestNewDiffBadOptions(t *testing.T) {
	for _, ignore := range [][]string{{"Mark"}, {"counters", "colour"}, {"timeout*"}} {
		d, err := snapshot.NewDiff(open(t, lines(flowA)), open(t, lines(flowA2)), snapshot.DiffOptions{Ignore: ignore})
		var oe *snapshot.OptionError
		if !errors.As(err, &oe) || oe.Option != "DiffOptions.Ignore" || !slices.Contains(ignore, oe.Value) || d != nil {
			t.Errorf("Ignore %q: %v, %v; want an *OptionError of DiffOptions.Ignore naming the field", ignore, d, err)
			continue
		}
		if !slices.Equal(oe.Valid, snapshot.DiffFields()) || !strings.Contains(err.Error(), "state, status") {
			t.Errorf("Ignore %q: valid names %q, error %q; want DiffFields", ignore, oe.Valid, err)
		}
	}
}

// TestNewDiffIgnoresEveryField: Ignore takes every name DiffFields
// reports, and ignoring a field leaves out its changes, and only them.
func TestNewDiffIgnoresEveryField(t *testing.T) {
	names := snapshot.DiffFields()
	if len(names) < 30 {
		t.Fatalf("DiffFields: %q", names)
	}
	old, new := lines(flowA, flowB), lines(flowA2, flowB2)
	fields := func(ignore []string) []string {
		d, err := snapshot.NewDiff(open(t, old), open(t, new), snapshot.DiffOptions{Ignore: ignore, Volatile: true})
		if err != nil {
			t.Errorf("Ignore %q: %v", ignore, err)
			return nil
		}
		var fs []string
		for c, err := range d.Changes() {
			if err != nil {
				t.Errorf("Ignore %q: %v", ignore, err)
				break
			}
			for _, fc := range c.Fields {
				fs = append(fs, fc.Field)
			}
		}
		return fs
	}
	all := fields(nil)
	for _, name := range names {
		got := fields([]string{name})
		want := slices.DeleteFunc(slices.Clone(all), func(f string) bool { return f == name })
		switch name {
		case "reply", "counters", "gre": // groups
			want = slices.DeleteFunc(want, func(f string) bool {
				counter := strings.HasSuffix(f, ".packets") || strings.HasSuffix(f, ".bytes")
				return name == "counters" && counter || name != "counters" && !counter && strings.HasPrefix(f, name+".")
			})
		}
		if !slices.Equal(got, want) {
			t.Errorf("Ignore %q: fields %q, want %q", name, got, want)
		}
	}
}

// TestNewDiffBadInputs: a nil input, or one of expectations, is an error
// of NewDiff, not a panic or an error of the iteration.
func TestNewDiffBadInputs(t *testing.T) {
	expect, err := os.ReadFile("../testdata/corpus/proc-expect.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		old, new func() *snapshot.Input
		option   string
	}{
		{"nil old", func() *snapshot.Input { return nil }, func() *snapshot.Input { return open(t, lines(flowA)) }, "old"},
		{"nil new", func() *snapshot.Input { return open(t, lines(flowA)) }, func() *snapshot.Input { return nil }, "new"},
		{"zero old", func() *snapshot.Input { return &snapshot.Input{} }, func() *snapshot.Input { return open(t, lines(flowA)) }, "old"},
		{"expectations", func() *snapshot.Input { return open(t, lines(flowA)) }, func() *snapshot.Input { return open(t, string(expect)) }, "new"},
	} {
		var d *snapshot.Diff
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					err = errors.New("panic")
				}
			}()
			d, err = snapshot.NewDiff(c.old(), c.new(), snapshot.DiffOptions{})
		}()
		var oe *snapshot.OptionError
		if !errors.As(err, &oe) || oe.Option != c.option || d != nil {
			t.Errorf("%s: %v, %v; want an *OptionError of %s", c.name, d, err, c.option)
		}
	}
}

// TestChangesCollect: the changes a loop collects stay as they were
// yielded, flows and fields.
func TestChangesCollect(t *testing.T) {
	old, new := lines(flowA, flowB, flowC), lines(flowA2, flowD, flowC)
	for _, opts := range []snapshot.DiffOptions{{}, {HoldNew: true}} {
		var seen []string
		d, err := snapshot.NewDiff(open(t, old), open(t, new), opts)
		if err != nil {
			t.Fatal(err)
		}
		for c, err := range d.Changes() {
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, describeChange(c))
		}
		d, err = snapshot.NewDiff(open(t, old), open(t, new), opts)
		if err != nil {
			t.Fatal(err)
		}
		var collected []string
		kept, err := changes(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range kept {
			collected = append(collected, describeChange(c))
		}
		if len(seen) != 3 || !slices.Equal(seen, collected) {
			t.Errorf("%+v: collected\n%q\nwant\n%q", opts, collected, seen)
		}
	}
}

// describeChange prints a change's op, flows and fields.
func describeChange(c *snapshot.Change) string {
	var b []byte
	b = append(b, c.Op.String()...)
	for _, f := range []*format.Flow{c.Old, c.New} {
		if f != nil {
			b = append(b, ' ')
			b, _ = format.Dialect{Format: format.Proc}.Append(b, f)
		}
	}
	for _, fc := range c.Fields {
		b = append(b, fc.Field+" "+fc.Old+" "+fc.New+";"...)
	}
	return string(b)
}

// readTo reads the records of seq up to the first error, or the first
// max if max is not negative, and returns how many it read, a copy of the
// last, and the error.
func readTo[T any](seq iter.Seq2[*T, error], max int) (n int, last T, err error) {
	for r, err := range seq {
		if err != nil {
			return n, last, err
		}
		n, last = n+1, *r
		if n == max {
			break
		}
	}
	return n, last, nil
}

// TestZeroInput reads an Input that Open did not make: it has nothing to
// read and says why, without a panic, also through a Prefetcher.
func TestZeroInput(t *testing.T) {
	var in snapshot.Input
	if n, _, err := readTo(in.Flows(), -1); n != 0 || err == nil {
		t.Errorf("Flows of a zero Input: %d, %v", n, err)
	}
	if n, _, err := readTo(in.Prefetch(nil, false).Flows(), -1); n != 0 || err == nil {
		t.Errorf("Prefetch of a zero Input: %d, %v", n, err)
	}
}
