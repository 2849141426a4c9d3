package snapshot

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// TestCarriedStatsBounded reads files of flows that carry the most records
// of the table's counters a Reader keeps, and one more: blocks of the same
// record compress some thousand times, so that without the bound a file of
// a few KiB took GiBs. The Writer refuses the record over the bound, so
// the file over it is made past WriteStats.
func TestCarriedStatsBounded(t *testing.T) {
	var st format.Stats
	st.Set(format.Stat(1), 1)
	for _, n := range []int{MaxCarriedStats, MaxCarriedStats + 1} {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, Header{Source: Text(format.Proc)})
		if err != nil {
			t.Fatal(err)
		}
		for range min(n, MaxCarriedStats) {
			if err := w.WriteStats(&st); err != nil {
				t.Fatal(err)
			}
		}
		if n > MaxCarriedStats {
			if err := w.WriteStats(&st); err == nil {
				t.Errorf("Writer: record %d of the counters written", n)
			}
			w.err = nil
			w.cur.stats = append(w.cur.stats, st)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r, err := NewReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		for _, err = range r.Flows() {
			if err != nil {
				break
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		kept := r.CarriedStats()
		r.Close()
		if n <= MaxCarriedStats && (err != nil || len(kept) != n) {
			t.Errorf("%d records of counters: %v, %d kept", n, err, len(kept))
		}
		if n > MaxCarriedStats && !errors.Is(err, ErrCorrupt) {
			t.Errorf("%d records of counters: %v, want ErrCorrupt", n, err)
		}
		// What the Reader holds once read: the records, 200 bytes each.
		if got := int64(after.HeapAlloc) - int64(before.HeapAlloc); got > 32<<20 {
			t.Errorf("%d records of counters, a file of %d bytes: the Reader holds %d MiB", n, buf.Len(), got>>20)
		}
		// What it took to read them, collected since.
		if got := after.TotalAlloc - before.TotalAlloc; got > 256<<20 {
			t.Errorf("%d records of counters, a file of %d bytes: reading it allocated %d MiB", n, buf.Len(), got>>20)
		}
	}
}
