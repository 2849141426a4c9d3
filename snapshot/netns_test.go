package snapshot_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

// nsSnapshot writes the flows of text into a snapshot whose header is h,
// each flow in the namespace netns gives its line (none where absent).
func nsSnapshot(t *testing.T, text string, h snapshot.Header, netns map[int]string) *snapshot.Input {
	t.Helper()
	in := open(t, text)
	var buf bytes.Buffer
	h.Source = in.Encoding()
	w, err := snapshot.NewWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for f, err := range in.Flows() {
		if err != nil {
			t.Fatal(err)
		}
		f.Netns = netns[n]
		n++
		w.WriteFlow(f)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := snapshot.Open(bytes.NewReader(buf.Bytes()), snapshot.File, format.Dialect{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDiffNetns: the same tuple in two namespaces is two flows; where the
// filter selects one namespace, a capture of several compares its flows
// of it with a capture of that namespace alone, whose header names it.
func TestDiffNetns(t *testing.T) {
	both := lines(flowA, flowB, flowA, flowB)
	for _, sorted := range []bool{false, true} {
		all := func() *snapshot.Input {
			return nsSnapshot(t, both, snapshot.Header{Sorted: sorted}, map[int]string{0: "blue", 1: "blue", 2: "red", 3: "red"})
		}
		// Two namespaces' tables, each holding A and B: no duplicate.
		d := mustDiff(t, all(), all(), snapshot.DiffOptions{})
		if _, err := changes(d); err != nil {
			t.Fatal(err)
		}
		if s := d.Summary(); s.Differ() || s.Unchanged != 4 {
			t.Errorf("sorted %v: a capture of two namespaces against itself: %+v", sorted, s)
		}
		// red's B gone: one flow removed, blue's B stays.
		fewer := nsSnapshot(t, lines(flowA, flowB, flowA), snapshot.Header{Sorted: sorted}, map[int]string{0: "blue", 1: "blue", 2: "red"})
		cs, err := changes(mustDiff(t, all(), fewer, snapshot.DiffOptions{}))
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 1 || cs[0].Op != snapshot.Removed || cs[0].Old.Netns != "red" || cs[0].Old.Proto != format.UDP {
			t.Errorf("sorted %v: red's UDP flow gone: %v", sorted, cs)
		}
		// blue alone, as --netns blue captures it: the header names it.
		blue := func() *snapshot.Input {
			return nsSnapshot(t, lines(flowA, flowB2), snapshot.Header{Netns: "blue", Sorted: sorted}, nil)
		}
		cs, err = changes(mustDiff(t, all(), blue(), snapshot.DiffOptions{Filter: &format.Filter{Netns: "blue"}}))
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 0 {
			t.Errorf("sorted %v: blue's flows against blue alone: %d changes, %v", sorted, len(cs), cs[0])
		}
		// A capture that names no namespace (read inside it, ip netns
		// exec) compares with any one namespace's flows.
		cs, err = changes(mustDiff(t, all(), open(t, lines(flowA, flowB)), snapshot.DiffOptions{Filter: &format.Filter{Netns: "red"}}))
		if err != nil || len(cs) != 0 {
			t.Errorf("sorted %v: red's flows against a capture naming none: %v, %v", sorted, cs, err)
		}
		// Selecting red, blue alone holds none of them.
		d = mustDiff(t, all(), blue(), snapshot.DiffOptions{Filter: &format.Filter{Netns: "red"}})
		if _, err := changes(d); err != nil {
			t.Fatal(err)
		}
		if s := d.Summary(); s.Removed != 2 || s.Added != 0 {
			t.Errorf("sorted %v: red's flows against blue alone: %+v", sorted, s)
		}
		// A namespace only the new capture has, green, twice the same
		// flow in it: added, then a duplicate, as in a namespace both
		// have (a hash join numbers green only once it checks it).
		more := nsSnapshot(t, lines(flowA, flowB, flowA, flowB, flowA, flowA), snapshot.Header{Sorted: sorted},
			map[int]string{0: "blue", 1: "blue", 2: "red", 3: "red", 4: "green", 5: "green"})
		d = mustDiff(t, all(), more, snapshot.DiffOptions{})
		cs, err = changes(d)
		if err != nil {
			t.Fatal(err)
		}
		if s := d.Summary(); s.Added != 1 || s.Duplicates != 1 || s.Unchanged != 4 || len(cs) != 2 || cs[0].New.Netns != "green" {
			t.Errorf("sorted %v: green's flow twice, new: %+v, %v", sorted, s, cs)
		}
		// The same flow in two namespaces that no old flow has: two flows,
		// not a duplicate.
		d = mustDiff(t, all(), nsSnapshot(t, lines(flowA, flowA), snapshot.Header{Sorted: sorted}, map[int]string{0: "green", 1: "yellow"}), snapshot.DiffOptions{})
		if _, err := changes(d); err != nil {
			t.Fatal(err)
		}
		if s := d.Summary(); s != (snapshot.Summary{Added: 2, Removed: 4}) {
			t.Errorf("sorted %v: A in green and in yellow, new: %+v", sorted, s)
		}
	}
}

// TestSortedMixedNetns: a sorted capture whose flows of red and flows that
// name no namespace are sorted apart by name cannot be merged where the
// filter selects red, which takes both as red's: the error says so,
// rather than that the capture is out of order.
func TestSortedMixedNetns(t *testing.T) {
	mixed := func() *snapshot.Input {
		return nsSnapshot(t, lines(flowA, flowD), snapshot.Header{Sorted: true}, map[int]string{0: "", 1: "red"})
	}
	_, err := changes(mustDiff(t, mixed(), mixed(), snapshot.DiffOptions{Filter: &format.Filter{Netns: "red"}}))
	if err == nil || !strings.Contains(err.Error(), `holds flows of namespace "red" and flows that name none`) {
		t.Errorf("a mixed sorted capture under a filter of red: %v", err)
	}
	d := mustDiff(t, mixed(), mixed(), snapshot.DiffOptions{})
	if _, err := changes(d); err != nil || d.Summary() != (snapshot.Summary{Unchanged: 2}) {
		t.Errorf("a mixed sorted capture against itself: %+v, %v", d.Summary(), err)
	}
}

// TestSortedNetns: a sorted snapshot orders namespaces by name, whatever
// the order they come in, and so a Diff reads them: two sorted captures
// whose flows came in other orders of namespaces hold the same flows.
func TestSortedNetns(t *testing.T) {
	three := lines(flowA, flowA, flowA)
	sorted := func(netns ...string) *snapshot.Input {
		return nsSnapshot(t, three, snapshot.Header{Sorted: true}, map[int]string{0: netns[0], 1: netns[1], 2: netns[2]})
	}
	var got []string
	for f, err := range sorted("red", "blue", "green").Flows() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f.Netns)
	}
	if want := []string{"blue", "green", "red"}; !slices.Equal(got, want) {
		t.Errorf("sorted snapshot's namespaces %q, want %q", got, want)
	}
	d := mustDiff(t, sorted("red", "blue", "green"), sorted("green", "red", "blue"), snapshot.DiffOptions{})
	if _, err := changes(d); err != nil {
		t.Fatal(err)
	}
	if s := d.Summary(); s.Differ() || s.Unchanged != 3 {
		t.Errorf("the same flows, come in other orders of namespaces: %+v", s)
	}
	// A namespace that only the new capture has, whose name sorts before
	// the one both have: the merge orders them by name, as the files are.
	old := nsSnapshot(t, lines(flowA), snapshot.Header{Sorted: true}, map[int]string{0: "red"})
	cs, err := changes(mustDiff(t, old, nsSnapshot(t, lines(flowA, flowA), snapshot.Header{Sorted: true}, map[int]string{0: "red", 1: "blue"}), snapshot.DiffOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Op != snapshot.Added || cs[0].New.Netns != "blue" {
		t.Errorf("blue's flow new beside red's: %v", cs)
	}
}

// TestHeaderNetns: the header's namespace is read back, and a header
// without one is as before (no key), which the compat files check too; a
// capture of one namespace holds none of another's flows.
func TestHeaderNetns(t *testing.T) {
	var with, without bytes.Buffer
	h := snapshot.Header{Created: time.Unix(1, 0), Source: snapshot.Text(format.Proc)}
	for _, c := range []struct {
		buf   *bytes.Buffer
		netns string
	}{{&without, ""}, {&with, "pid 42"}} {
		h.Netns = c.netns
		w, err := snapshot.NewWriter(c.buf, h)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := snapshot.NewReader(bytes.NewReader(c.buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Header().Netns; got != c.netns {
			t.Errorf("header's netns %q read as %q", c.netns, got)
		}
	}
	if strings.Contains(without.String(), "netns") {
		t.Error("a header without a namespace has the key")
	}
	// A capture of blue alone holds blue's flows, none of red's; one that
	// names no namespace may be anyone's.
	blue := nsSnapshot(t, lines(flowA), snapshot.Header{Netns: "blue"}, nil)
	unnamed := open(t, lines(flowA))
	var f format.Flow
	if err := new(format.Dialect{Format: format.Proc}).Parse([]byte(flowA), &f); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in    *snapshot.Input
		x     *format.Filter
		netns string // the flow's
		want  bool
	}{
		{blue, nil, "", true},
		{blue, &format.Filter{Netns: "blue", Proto: new(format.TCP)}, "", true},
		{blue, &format.Filter{Netns: "blue", Proto: new(format.UDP)}, "", false},
		{blue, &format.Filter{Netns: "red"}, "", false},
		{unnamed, &format.Filter{Netns: "red"}, "", true},
		{unnamed, &format.Filter{Netns: "red"}, "blue", false},
		{unnamed, &format.Filter{Netns: "blue"}, "blue", true},
	} {
		f.Netns = c.netns
		if got := c.in.Match(c.x, &f); got != c.want {
			t.Errorf("capture of %q, Match(%+v) of a flow of %q: %v, want %v", c.in.Netns(), c.x, c.netns, got, c.want)
		}
	}
}
