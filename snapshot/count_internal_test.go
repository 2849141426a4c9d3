package snapshot

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/ctconv/ctconv/format"
)

// TestCountLaysNoFlows counts the flows of a file of blocks by column with
// EachCount, after its first blocks were decoded for no one: no block lays
// out its flows, which a reader that only counts would have to fault in
// (they took a quarter of ctconv check's page faults). Flows lays out the
// blocks it reads.
func TestCountLaysNoFlows(t *testing.T) {
	const line = "ipv4     2 udp      17 3599 src=127.37.75.124 dst=127.0.0.1 sport=38284 dport=5353 packets=2 bytes=248 src=127.0.0.1 dst=127.37.75.124 sport=5353 dport=38284 packets=2 bytes=248 mark=0 zone=0 delta-time=0 use=2\n"
	const n = 5 * columnFlows
	sc, err := format.NewScanner(strings.NewReader(strings.Repeat(line, n)), format.Dialect{Format: format.Proc})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Header{Source: Text(format.Proc)})
	if err != nil {
		t.Fatal(err)
	}
	for f, err := range sc.Flows() {
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteFlow(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	blockDecoder() // made once a process
	for _, read := range []string{"EachCount", "Flows"} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := NewReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // the first blocks decode for no one
		var got int
		if read == "EachCount" {
			counts := make([]int, r.Workers())
			for err := range r.EachCount(func(w, k int) { counts[w] += k }) {
				t.Fatal(err)
			}
			for _, k := range counts {
				got += k
			}
		} else {
			for _, err := range r.Flows() {
				if err != nil {
					t.Fatal(err)
				}
				got++
			}
		}
		r.Close()
		runtime.ReadMemStats(&after)
		// Two workers decode 4 blocks for no one: laid out, their flows
		// take 4 times a block's.
		alloc, flows := after.TotalAlloc-before.TotalAlloc, uint64(columnFlows*unsafe.Sizeof(format.Flow{}))
		if got != n || (read == "EachCount") != (alloc < 2*flows) {
			t.Errorf("%s: %d flows of %d, %d bytes allocated, a block's flows take %d", read, got, n, alloc, flows)
		}
	}
}
