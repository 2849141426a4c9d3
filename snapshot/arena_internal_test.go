package snapshot

import (
	"bytes"
	"testing"
)

// TestWorkerBlock checks the blocks a worker copies its records into: each
// holds the records, has no room past them (a store that appends to the
// block it holds last must not write into the next), and none changes
// when later ones are made, whether they fit the arena or need another,
// up to a batch larger than an arena's most.
func TestWorkerBlock(t *testing.T) {
	var w joinWorker
	var blocks, want [][]byte
	for i, size := range []int{100, 60 << 10, 5000, 200 << 10, 1, 5 << 20, 3000} {
		w.recs = bytes.Repeat([]byte{byte(i + 1)}, size)
		b := w.block()
		if !bytes.Equal(b, w.recs) || cap(b) != len(b) {
			t.Fatalf("block %d: %d bytes, room for %d, want a copy of %d", i, len(b), cap(b), size)
		}
		blocks, want = append(blocks, b), append(want, bytes.Clone(w.recs))
		w.recs[0] = 0 // the worker's buffer is its own again
	}
	for i := range blocks {
		if !bytes.Equal(blocks[i], want[i]) {
			t.Errorf("block %d changed after the blocks that followed it", i)
		}
	}
	if cap(w.arena) > 5<<20 {
		t.Errorf("arena of %d bytes, want at most the largest batch's", cap(w.arena))
	}
}
