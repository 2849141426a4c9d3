package snapshot_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
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

// TestDiffReuseChanges diffs captures whose every flow changed, each in
// its own way, or is gone from the streamed capture, in many batches of
// the held flows left: with ReuseChanges a loop that takes each change at
// once sees those it would have kept (runDiff), made ahead by workers, on
// the loop, and of the held flows left, whatever the cores; and the
// changes take no memory of their own.
func TestDiffReuseChanges(t *testing.T) {
	const n = 24000
	var held, streamed strings.Builder
	for i := range n {
		held.WriteString(manyFlow(i, 1) + "\n")
		if i < n/3 {
			streamed.WriteString(manyFlow(i, i+2) + "\n")
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	procs := []int{1, 2, 4}
	if testing.Short() { // CI's race detector: two cores
		procs = procs[1:2]
	}
	for _, procs := range procs {
		runtime.GOMAXPROCS(procs)
		got, sum := runDiff(t, held.String(), streamed.String(), snapshot.DiffOptions{})
		if want := (snapshot.Summary{Changed: n / 3, Removed: n - n/3}); sum != want || len(got) != n {
			t.Fatalf("GOMAXPROCS %d: %d changes, summary %+v, want %+v", procs, len(got), sum, want)
		}
		if want := fmt.Sprintf("orig.packets 1→%d %+d", n/3+1, n/3); got[n/3-1].Fields[0] != want {
			t.Errorf("GOMAXPROCS %d: last change %v, want %s", procs, got[n/3-1], want)
		}
	}
	// The memory of a diff: with changes kept, and reused, which is that
	// of the batches a worker makes ahead, a few on one core.
	runtime.GOMAXPROCS(1)
	var alloc [2]uint64
	for i, reuse := range []bool{false, true} {
		d := mustDiff(t, open(t, held.String()), open(t, streamed.String()), snapshot.DiffOptions{ReuseChanges: reuse})
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for _, err := range d.Changes() {
			if err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		alloc[i] = after.TotalAlloc - before.TotalAlloc
	}
	spared(t, alloc, n)
}

// TestDiffReuseICMPGroups diffs sorted snapshots side by side where each
// held ping is of other hosts, and gone: a group of ICMP flows each, whose
// held flows left each come out of a join of their own. Reused, those
// changes take no memory of their own (they took a slab of 64 a group).
func TestDiffReuseICMPGroups(t *testing.T) {
	const n = 2000
	var pings strings.Builder
	for i := range n {
		fmt.Fprintf(&pings, "ipv4     2 icmp     1 29 src=10.2.%d.%d dst=10.1.0.2 type=8 code=0 id=3 packets=3 bytes=252 src=10.1.0.2 dst=10.2.%d.%d type=0 code=0 id=3 packets=3 bytes=252 mark=0 zone=0 delta-time=3 use=2\n",
			i>>8, i&255, i>>8, i&255)
	}
	var alloc [2]uint64
	for i, reuse := range []bool{false, true} {
		d := mustDiff(t, sortedSnapshot(t, pings.String(), true), sortedSnapshot(t, lines(flowA), true), snapshot.DiffOptions{ReuseChanges: reuse})
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		removed := 0
		for c, err := range d.Changes() {
			if err != nil {
				t.Fatal(err)
			}
			if c.Op == snapshot.Removed && c.Old.Proto == format.ICMP {
				removed++
			}
		}
		runtime.ReadMemStats(&after)
		if alloc[i] = after.TotalAlloc - before.TotalAlloc; removed != n {
			t.Fatalf("reuse %v: %d pings removed, want %d", reuse, removed, n)
		}
	}
	spared(t, alloc, n)
}

// spared checks that a Diff that reuses its changes allocated alloc[1]
// bytes, the memory of n changes at least less than alloc[0], that of one
// that kept them: a change kept takes a flow, or two.
func spared(t *testing.T, alloc [2]uint64, n int) {
	t.Helper()
	if spared := int64(alloc[0]) - int64(alloc[1]); spared < int64(n)*int64(unsafe.Sizeof(format.Flow{})) {
		t.Errorf("reusing changes spared %d bytes of %d, want the memory of %d changes at least", spared, alloc[0], n)
	}
}
