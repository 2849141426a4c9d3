package snapshot_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/snapshot"
)

// manyFlow is flow i of TestDiffMany, as /proc prints it, with its
// original packets.
func manyFlow(i, packets int) string {
	return fmt.Sprintf("ipv4     2 tcp      6 431999 ESTABLISHED src=10.9.%d.%d dst=203.0.113.5 sport=%d dport=443 packets=%d bytes=420 src=203.0.113.5 dst=10.9.%d.%d sport=443 dport=%d packets=4 bytes=3001 [ASSURED] mark=0 zone=0 use=2",
		i>>8, i&255, 1024+i, packets, i>>8, i&255, 1024+i)
}

// TestDiffMany diffs captures of thousands of flows, which a Diff reads in
// many batches and works on ahead on as many cores as it has: the changes
// are those of the flows in the order of the streamed capture, then the
// held flows left, whatever the cores. The held capture holds a flow twice,
// the streamed capture another.
func TestDiffMany(t *testing.T) {
	const n = 6000
	var held, streamed strings.Builder
	var want []string
	for i := range n {
		held.WriteString(manyFlow(i, 1) + "\n")
	}
	held.WriteString(manyFlow(17, 9) + "\n")
	want = append(want, "duplicate 17")
	for i := range n {
		switch {
		case i%7 == 0:
			continue // removed
		case i%3 == 0:
			streamed.WriteString(manyFlow(i, 2) + "\n")
			want = append(want, fmt.Sprintf("changed %d orig.packets 1→2 +1", i))
		default:
			streamed.WriteString(manyFlow(i, 1) + "\n")
		}
		if i%11 == 0 {
			streamed.WriteString(manyFlow(n+i, 1) + "\n")
			want = append(want, fmt.Sprintf("added %d", n+i))
		}
		if i == 4000 {
			streamed.WriteString(manyFlow(5, 1) + "\n")
			want = append(want, "duplicate 5")
		}
	}
	for i := 0; i < n; i += 7 {
		want = append(want, fmt.Sprintf("removed %d", i))
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		got, sum := runDiff(t, held.String(), streamed.String(), snapshot.DiffOptions{})
		var ops []string
		for _, c := range got {
			var a, b, port int
			fmt.Sscanf(c.Flow, "tcp 10.9.%d.%d:%d", &a, &b, &port)
			ops = append(ops, strings.Join(append([]string{fmt.Sprintf("%s %d", c.Op, port-1024)}, c.Fields...), " "))
		}
		if d := cmp.Diff(want, ops); d != "" {
			t.Errorf("GOMAXPROCS %d: changes differ:\n%s", procs, d)
		}
		wantSum := snapshot.Summary{Added: 468, Removed: 858, Changed: 1714, Unchanged: 3428, Duplicates: 2}
		if sum != wantSum {
			t.Errorf("GOMAXPROCS %d: summary %+v, want %+v", procs, sum, wantSum)
		}
	}
}
