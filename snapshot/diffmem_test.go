package snapshot_test

import (
	"iter"
	"net/netip"
	"runtime"
	"testing"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

// flows is a Source of n TCP flows of distinct identities, from the
// address base on, each of them repeated dup times in a row.
type flows struct {
	n, dup, i int
	base      [4]byte
	tmpl      format.Flow
}

func newFlows(t testing.TB, n, dup int, base [4]byte) *flows {
	s := &flows{n: n, dup: dup, base: base}
	if err := new(format.Dialect{Format: format.Proc}).Parse([]byte(flowA), &s.tmpl); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *flows) Flows() iter.Seq2[*format.Flow, error] {
	return func(yield func(*format.Flow, error) bool) {
		var f format.Flow
		for ; s.i < s.n*s.dup; s.i++ {
			i := s.i / s.dup
			f = s.tmpl
			a := s.base
			a[2], a[3] = byte(i>>16), byte(i>>8)
			f.Orig.Src = netip.AddrFrom4(a)
			f.Orig.SrcPort = uint16(i)
			if !yield(&f, nil) {
				s.i++
				return
			}
		}
	}
}

func (s *flows) Close() error { return nil }

// TestDiffMemory diffs a capture of 1,000 flows against one of 100,000
// others, then 500,000: the Diff holds the small one, and its memory does
// not grow with the one it streams (a set of every identity that only the
// streamed capture holds took 60 MB more here, 261 MB for 2 million).
func TestDiffMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 600,000 flows")
	}
	small, large := diffHeap(t, 1000, 100_000), diffHeap(t, 1000, 500_000)
	t.Logf("the heap grew by %.1f MiB for 100,000 flows streamed, %.1f MiB for 500,000", float64(small)/(1<<20), float64(large)/(1<<20))
	// What the heap holds past the held capture is mostly the batches the
	// workers fill ahead, some 15 MiB here, fewer where the machine is busy
	// (5.7 MiB in a run of CI's beside other tests): the bound allows
	// them, and not the 60 MB that the set of identities took.
	if large > small+16<<20 {
		t.Errorf("the heap grew by %d MiB more for 400,000 more flows streamed", (large-small)>>20)
	}
}

// diffHeap returns how much the live heap grew at most while a Diff held
// a capture of held flows and streamed one of streamed others.
func diffHeap(t *testing.T, held, streamed int) int64 {
	old := snapshot.FromSource(newFlows(t, held, 1, [4]byte{10, 1}), snapshot.Text(format.Proc))
	new := snapshot.FromSource(newFlows(t, streamed, 1, [4]byte{10, 2}), snapshot.Text(format.Proc))
	d := mustDiff(t, old, new, snapshot.DiffOptions{})
	var before, m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	peak, n := uint64(0), 0
	for _, err := range d.Changes() {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n%25_000 == 0 {
			runtime.GC() // what the Diff holds, not its garbage
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
		}
	}
	if sum := d.Summary(); sum.Added != streamed || sum.Removed != held {
		t.Fatalf("%+v", sum)
	}
	return int64(peak) - int64(before.HeapAlloc)
}

// TestDiffDuplicatesBound streams flows that each come twice, none of
// which the held capture has. Both times are reported as a Duplicate for
// the first as many identities as the held capture has flows, at least
// 65,536; Summary.Unchecked counts the flows beyond.
func TestDiffDuplicatesBound(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 280,000 flows")
	}
	for _, c := range []struct{ held, streamed, checked int }{
		{10, 1000, 1000},
		{10, 70_000, 1 << 16},
		{100_000, 70_000, 70_000},
	} {
		old := snapshot.FromSource(newFlows(t, c.held, 1, [4]byte{10, 1}), snapshot.Text(format.Proc))
		new := snapshot.FromSource(newFlows(t, c.streamed, 2, [4]byte{10, 2}), snapshot.Text(format.Proc))
		d := mustDiff(t, old, new, snapshot.DiffOptions{})
		_, err := changes(d)
		unchecked := 2 * (c.streamed - c.checked)
		want := snapshot.Summary{Added: c.checked + unchecked, Removed: c.held, Duplicates: c.checked, Unchecked: unchecked}
		if sum := d.Summary(); err != nil || sum != want {
			t.Errorf("%d held, %d streamed twice: %+v, %v; want %+v", c.held, c.streamed, sum, err, want)
		}
	}
}

// BenchmarkDiffChanges diffs 1,000 flows against 100,000 others: every
// flow is a change, the most a Diff yields.
func BenchmarkDiffChanges(b *testing.B) {
	for b.Loop() {
		old := snapshot.FromSource(newFlows(b, 1000, 1, [4]byte{10, 1}), snapshot.Text(format.Proc))
		new := snapshot.FromSource(newFlows(b, 100_000, 1, [4]byte{10, 2}), snapshot.Text(format.Proc))
		d := mustDiff(b, old, new, snapshot.DiffOptions{})
		for _, err := range d.Changes() {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
