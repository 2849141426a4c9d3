package snapshot

import (
	"runtime"
	"testing"
)

// TestChunksAllocateOnce checks that chunks allocates each chunk once, and
// nothing much besides, that what it holds is where at finds it, and that
// reset keeps the first chunk alone.
func TestChunksAllocateOnce(t *testing.T) {
	const n = 3<<chunkBits + 5 // four chunks, the last just begun
	var s chunks[uint64]
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range n {
		s.add(uint64(i))
	}
	runtime.ReadMemStats(&after)
	chunk := uint64(8 << chunkBits)
	if got := after.TotalAlloc - before.TotalAlloc; got < 4*chunk || got > 5*chunk {
		t.Errorf("%d values took %d bytes, want four chunks of %d", n, got, chunk)
	}
	for _, i := range []int{0, 1<<chunkBits - 1, 1 << chunkBits, n - 1} {
		if got := *s.at(i); got != uint64(i) {
			t.Errorf("at(%d) = %d", i, got)
		}
	}
	s.reset()
	if s.n != 0 || len(s.c) != 1 || len(s.c[0]) != 0 || cap(s.c[0]) != 1<<chunkBits {
		t.Errorf("after reset: %d held, %d chunks", s.n, len(s.c))
	}
}
