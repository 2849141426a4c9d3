package main

import (
	"net/netip"
	"runtime"
	"testing"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/lineartest"
)

// distinctFlows returns n UDP flows of distinct tuples, of IPv6 if v6.
func distinctFlows(n int, v6 bool) []format.Flow {
	fs := make([]format.Flow, n)
	for i := range fs {
		fam := format.IPv4
		src := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		dst := netip.AddrFrom4([4]byte{192, 0, 2, 1})
		if v6 {
			fam = format.IPv6
			src = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)})
			dst = netip.MustParseAddr("2001:db8::1:1")
		}
		fs[i] = format.Flow{Family: fam, Proto: format.UDP, Fields: format.FieldL4,
			Orig:  format.Tuple{Src: src, Dst: dst, SrcPort: 1000, DstPort: 53},
			Reply: format.Tuple{Src: dst, Dst: src, SrcPort: 53, DstPort: 1000}}
	}
	return fs
}

// TestTupleSetLinear: the tuples a restore holds take time and memory in
// proportion to the flows: about 110 bytes an IPv4 flow, 230 an IPv6 one.
// (The time of IPv6's, the same map of longer keys, is not measured again.)
func TestTupleSetLinear(t *testing.T) {
	for _, c := range []struct {
		v6  bool
		max float64
	}{{false, 160}, {true, 320}} {
		tupleSetLinear(t, c.v6, c.max)
	}
}

func tupleSetLinear(t *testing.T, v6 bool, maxPerFlow float64) {
	fill := func(fs []format.Flow) *tupleSet {
		var ids tupleSet
		file := ids.file("in", false)
		for i := range fs {
			if _, ok := ids.clash(&fs[i]); ok {
				t.Fatalf("flow %d: a clash", i)
			}
			ids.add(&fs[i], file, i+1)
		}
		return &ids
	}
	// Both sizes outgrow the caches, which a map of the smaller one would
	// fit in, and be 4 times faster for it than linear.
	small, large := distinctFlows(1<<13, v6), distinctFlows(16<<13, v6)
	if !v6 {
		lineartest.Check(t, "tupleSet", func() { fill(small) }, func() { fill(large) })
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ids := fill(large)
	runtime.GC()
	runtime.ReadMemStats(&after)
	perFlow := float64(after.HeapAlloc-before.HeapAlloc) / float64(len(large))
	t.Logf("IPv6 %v: %.0f bytes a flow", v6, perFlow)
	if perFlow > maxPerFlow {
		t.Errorf("IPv6 %v: %.0f bytes a flow, want at most %.0f", v6, perFlow, maxPerFlow)
	}
	runtime.KeepAlive(ids)
	runtime.KeepAlive(large)
}
