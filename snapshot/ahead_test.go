package snapshot_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/gen"
	"github.com/ctconv/ctconv/internal/goroutines"
	"github.com/ctconv/ctconv/snapshot"
)

// TestDiffWorkers diffs text captures whose Scanners parse on several
// workers, a hundred chunks each, so that the join's work runs where the
// flows are parsed (format.FlowsAhead), and checks that it finds what a
// Diff of the same captures read on one goroutine finds, through a
// Prefetcher: the same changes in the same order, counts and error, also
// where the changes are reused. The captures: a table and the same table
// read later, with flows held twice, a filter, each held, a bad line in
// either, a line too long, XML over lines, an event stream streamed.
func TestDiffWorkers(t *testing.T) {
	n := 20000
	if testing.Short() { // 33 Diffs: 27 s under the race detector
		n = 8000
	}
	old, new := genTable(t, n, 0), genTable(t, n, 7)
	ls := strings.SplitAfter(old, "\n")
	twice := strings.Join(ls[:n/2], "") + strings.Join(ls[n/4:], "") // flows n/4 to n/2-1 held twice
	bad := strings.Join(ls[:3*n/4], "") + "not a flow\n" + strings.Join(ls[3*n/4:], "")
	long := strings.Join(ls[:3*n/4], "") + strings.Repeat("x", format.DefaultMaxLine+1) + "\n" + strings.Join(ls[3*n/4:], "")
	// conntrack's XML, an element a line: cut before each <flow>.
	var xb bytes.Buffer
	if err := gen.WriteTable(format.NewWriter(&xb, format.Dialect{Format: format.XML}), n, 1, 0); err != nil {
		t.Fatal(err)
	}
	xml := strings.ReplaceAll(xb.String(), "><", ">\n<")
	events, err := os.ReadFile("../testdata/corpus/conntrack-E.txt")
	if err != nil {
		t.Fatal(err)
	}
	tcp := format.TCP
	tests := []struct {
		name     string
		old, new string
		opts     snapshot.DiffOptions
		has      string // what the Diff finds (\x00 its start), to show the test is sound
	}{
		{"churned", old, new, snapshot.DiffOptions{}, "\nchanged "},
		{"churned, new held", old, new, snapshot.DiffOptions{HoldNew: true}, "\nremoved "},
		{"volatile, tcp only", old, new, snapshot.DiffOptions{Volatile: true, Filter: &format.Filter{Proto: &tcp}}, "Unchanged:0 "},
		{"held twice", twice, new, snapshot.DiffOptions{}, fmt.Sprintf("Duplicates:%d ", n/4)},
		{"streamed twice", old, twice, snapshot.DiffOptions{}, fmt.Sprintf("Duplicates:%d ", n/4)},
		{"bad line held", bad, new, snapshot.DiffOptions{}, fmt.Sprintf("error %d:1: family", 3*n/4+1)},
		{"bad line streamed", old, bad, snapshot.DiffOptions{}, fmt.Sprintf("Unchanged:%d ", 3*n/4)},
		{"long line held", long, new, snapshot.DiffOptions{}, fmt.Sprintf("error %d:", 3*n/4+1)},
		{"XML over lines held", xml, new, snapshot.DiffOptions{}, "\nchanged "},
		{"XML over lines streamed", old, xml, snapshot.DiffOptions{}, fmt.Sprintf("Changed:0 Unchanged:%d ", n)},
		// Refused before the duplicates of the held capture: first.
		{"events streamed", twice, string(events), snapshot.DiffOptions{}, "\x00error snapshot: diff: the new capture is an event stream"},
	}
	for _, tt := range tests {
		diff := func(o snapshot.DiffOptions, opts ...format.ScanOption) string {
			in := func(text string) *snapshot.Input {
				in, err := snapshot.Open(strings.NewReader(text), snapshot.Text(format.Auto), format.Dialect{}, opts...)
				if err != nil {
					t.Fatal(err)
				}
				return in
			}
			d := mustDiff(t, in(tt.old), in(tt.new), o)
			var b strings.Builder
			for c, err := range d.Changes() {
				if err != nil {
					fmt.Fprintf(&b, "error %v\n", err)
					break
				}
				fmt.Fprintf(&b, "%v %+v %+v %+v\n", c.Op, c.Old, c.New, c.Fields)
			}
			fmt.Fprintf(&b, "%+v\n", d.Summary())
			return b.String()
		}
		want := diff(tt.opts)
		if !strings.Contains("\x00"+want, tt.has) {
			t.Fatalf("%s: %q not found: %.300s", tt.name, tt.has, want)
		}
		if got := diff(tt.opts, format.WithWorkers(2)); got != want {
			t.Errorf("%s: on workers, the Diff differs:\none goroutine: %.300s\nworkers:       %.300s",
				tt.name, firstDiff([]byte(want), []byte(got)), firstDiff([]byte(got), []byte(want)))
		}
		// The held flows' index grows aside from 1,024 slots on; the
		// changes reused, as ctconv diff takes them.
		restore := snapshot.SetAsideFrom(1024)
		reuse := tt.opts
		reuse.ReuseChanges = true
		if got := diff(reuse, format.WithWorkers(2)); got != want {
			t.Errorf("%s: on workers, the index growing aside, changes reused, the Diff differs:\none goroutine: %.300s\nworkers:       %.300s",
				tt.name, firstDiff([]byte(want), []byte(got)), firstDiff([]byte(got), []byte(want)))
		}
		restore()
	}
}

// genTable returns a table of n flows of internal/gen, churned if churn
// is not 0, as /proc/net/nf_conntrack prints it.
func genTable(t *testing.T, n int, churn uint64) string {
	var b bytes.Buffer
	if err := gen.WriteTable(format.NewWriter(&b, format.Dialect{Format: format.Proc}), n, 1, churn); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestDiffRestStop stops a loop among the held flows that no streamed
// flow paired with, which workers decode ahead: the Diff's goroutines
// end with it.
func TestDiffRestStop(t *testing.T) {
	old := genTable(t, 20000, 0)
	new := strings.Join(strings.SplitAfter(old, "\n")[:100], "")
	removed := 0
	g := goroutines.Start(func() {
		d := mustDiff(t, open(t, old), open(t, new), snapshot.DiffOptions{})
		for c, err := range d.Changes() {
			if err != nil {
				t.Fatal(err)
			}
			if c.Op == snapshot.Removed {
				if removed++; removed == 5000 {
					break
				}
			}
		}
	})
	if removed != 5000 {
		t.Fatalf("%d flows removed, want 5000 before the loop stops", removed)
	}
	g.Ended(t)
}
