package snapshot_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

// flowsRead is what a loop read of a snapshot file: its flows, as JSON,
// sorted (EachFlow tells no order), its error and its gaps.
type flowsRead struct {
	flows []string
	err   string
	gaps  []snapshot.Gap
}

func jsonLine(f *format.Flow) string {
	js, err := codec.AppendJSON(nil, f)
	if err != nil {
		return err.Error()
	}
	return string(js)
}

// readFlows reads b with Flows, or with EachFlow.
func readFlows(b []byte, each bool) flowsRead {
	var got flowsRead
	r, err := snapshot.NewReader(bytes.NewReader(b))
	if err != nil {
		return flowsRead{err: "NewReader: " + err.Error()}
	}
	defer r.Close()
	if each {
		parts := make([][]string, r.Workers())
		var busy sync.Map
		for err := range r.EachFlow(func(w int, flows []format.Flow) {
			if _, was := busy.LoadOrStore(w, true); was {
				panic(fmt.Sprintf("worker %d called while busy", w))
			}
			for i := range flows {
				parts[w] = append(parts[w], jsonLine(&flows[i]))
			}
			busy.Delete(w)
		}) {
			got.err = err.Error()
		}
		got.flows = slices.Concat(parts...)
	} else {
		for f, err := range r.Flows() {
			if err != nil {
				got.err = err.Error()
				break
			}
			got.flows = append(got.flows, jsonLine(f))
		}
	}
	slices.Sort(got.flows)
	got.gaps = r.Gaps()
	return got
}

// countFlows reads b with EachCount.
func countFlows(b []byte) (n int, err string, gaps []snapshot.Gap) {
	r, rerr := snapshot.NewReader(bytes.NewReader(b))
	if rerr != nil {
		return 0, "NewReader: " + rerr.Error(), nil
	}
	defer r.Close()
	counts := make([]int, r.Workers())
	for e := range r.EachCount(func(w, k int) { counts[w] += k }) {
		err = e.Error()
	}
	for _, k := range counts {
		n += k
	}
	return n, err, r.Gaps()
}

// blocksFile returns a snapshot file of n flows, in blocks of up to 8,192,
// with a gap every 7,000 and one at 8,192 (6 gaps in 30,000), and its
// flows as JSON.
func blocksFile(t *testing.T, n int) ([]byte, []string) {
	flows := events(t)
	var buf bytes.Buffer
	w, err := snapshot.NewWriter(&buf, snapshot.Header{Source: snapshot.Text(format.Conntrack)})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	var all []string
	for i := range n {
		if i%7000 == 0 || i == 8192 {
			if err := w.WriteGap(snapshot.Gap{Events: int64(i), Time: at}); err != nil {
				t.Fatal(err)
			}
		}
		f := &flows[i%len(flows)]
		if err := w.WriteFlow(f); err != nil {
			t.Fatal(err)
		}
		all = append(all, jsonLine(f))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), all
}

// TestEachFlowFile reads snapshot files with EachFlow, EachCount and
// Flows: EachFlow hands out exactly the flows that Flows yields before its
// error, EachCount counts as many, and both end with the same error and
// gaps. The files are blocksFile, whole, cut and with bytes flipped, and
// the hostile files.
func TestEachFlowFile(t *testing.T) {
	n, gaps := 30000, 6  // 4 blocks
	if testing.Short() { // 20 s under the race detector
		n, gaps = 17000, 4 // 3 blocks
	}
	whole, _ := blocksFile(t, n)
	at0 := recordsAt(whole)
	first := whole[at0 : at0+8+int(binary.BigEndian.Uint32(whole[at0+4:]))]
	files := map[string][]byte{"whole": whole, "a block after the end": slices.Concat(whole, first)}
	for i := 1; i <= 12; i++ {
		at := len(whole) * i / 13
		files[fmt.Sprintf("cut at %d", at)] = whole[:at]
		flipped := bytes.Clone(whole)
		flipped[at] ^= 0x40
		files[fmt.Sprintf("byte %d flipped", at)] = flipped
	}
	hostile, _ := filepath.Glob("../testdata/hostile/*")
	for _, path := range hostile {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files[path] = b
	}
	if len(hostile) < 10 {
		t.Fatalf("only %d hostile files", len(hostile))
	}
	for name, b := range files {
		want, got := readFlows(b, false), readFlows(b, true)
		if got.err != want.err || !slices.Equal(got.flows, want.flows) || !slices.Equal(got.gaps, want.gaps) {
			t.Errorf("%s: EachFlow read %d flows, %q, gaps %v; Flows %d, %q, gaps %v",
				name, len(got.flows), got.err, got.gaps, len(want.flows), want.err, want.gaps)
		}
		if n, err, gaps := countFlows(b); n != len(want.flows) || err != want.err || !slices.Equal(gaps, want.gaps) {
			t.Errorf("%s: EachCount counted %d flows, %q, gaps %v; Flows read %d, %q, gaps %v",
				name, n, err, gaps, len(want.flows), want.err, want.gaps)
		}
	}
	if w := readFlows(whole, true); len(w.flows) != n || w.err != "" || len(w.gaps) != gaps {
		t.Errorf("whole: %d flows, %q, %d gaps", len(w.flows), w.err, len(w.gaps))
	}
}

// TestEachCountThenFlows stops EachCount with a panic of each, and reads
// on with Flows: it lays out the flows that the workers had only checked,
// so that every flow of the file is counted or read, once.
func TestEachCountThenFlows(t *testing.T) {
	file, all := blocksFile(t, 30000)
	r, err := snapshot.NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var counted, stopped atomic.Int64 // stopped: the count each panicked at
	func() {
		defer func() {
			if v := recover(); v != "stop" {
				t.Fatalf("EachCount raised %v, want each's panic", v)
			}
		}()
		for range r.EachCount(func(_, k int) {
			if counted.Add(int64(k)) > 8000 && stopped.CompareAndSwap(0, int64(k)) {
				panic("stop")
			}
		}) {
		}
	}()
	var read []string
	for f, err := range r.Flows() {
		if err != nil {
			t.Fatal(err)
		}
		read = append(read, jsonLine(f))
	}
	// The batch that each panicked at was not counted: Flows reads it.
	if n := int(counted.Load() - stopped.Load()); n+len(read) != 30000 {
		t.Fatalf("EachCount counted %d, then Flows read %d, of 30000", n, len(read))
	}
	slices.Sort(read)
	slices.Sort(all)
	// What Flows read is some of the file's flows.
	for i, j := 0, 0; i < len(read); j++ {
		if j == len(all) {
			t.Fatalf("Flows read %s, which is not one of the file's", read[i])
		}
		if read[i] == all[j] {
			i++
		}
	}
}

// TestEachCountLoopStops stops EachCount with a panic of each on the
// loop's goroutine, which counts the blocks decoded before EachCount
// began (after a first flow read with Flows), once the workers have handed
// later blocks out: Flows reads on past the blocks they handed out, and
// counts their records against the end record's count (it reported the
// file short of it). A worker that hands out a block that holds flows
// from before gives them back without waiting for room (it waited
// forever).
func TestEachCountLoopStops(t *testing.T) {
	const total = 200000
	file, _ := blocksFile(t, total)
	// Until the loop has stopped twice so: the first blocks' decoding, and
	// the workers', take longer on a slower machine or with the race
	// detector, and each round waits longer.
	stopped := 0
	for wait := 20 * time.Millisecond; stopped < 2 && wait < 3*time.Second; wait *= 2 {
		r, err := snapshot.NewReader(bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		read := 0
		for _, err := range r.Flows() {
			if err != nil {
				t.Fatal(err)
			}
			read++
			break
		}
		time.Sleep(wait) // the next blocks are decoded for no loop
		loop := r.Workers() - 1
		var byWorkers, byLoop atomic.Int64
		func() {
			defer func() {
				if v := recover(); v == "stop" {
					stopped++
				} else if v != nil {
					t.Fatalf("EachCount raised %v, want each's panic", v)
				}
			}()
			for range r.EachCount(func(w, k int) {
				switch {
				case w != loop:
					byWorkers.Add(int64(k))
				case byWorkers.Load() > 0:
					panic("stop")
				default:
					byLoop.Add(int64(k))
					time.Sleep(wait / 4) // while the workers hand blocks out
				}
			}) {
			}
		}()
		for _, err := range r.Flows() {
			if err != nil {
				t.Fatalf("after %d flows counted: %v", byWorkers.Load()+byLoop.Load(), err)
			}
			read++
		}
		if n := int(byWorkers.Load()+byLoop.Load()) + read; n != total {
			t.Fatalf("EachCount counted %d, then Flows read %d, of %d", n-read, read, total)
		}
		r.Close()
	}
	if stopped == 0 {
		t.Error("the loop never counted a block after the workers had handed one out")
	}
}

// TestCountLaysNoFlows counts the flows of a file of blocks by column with
// EachCount, after its first blocks could have been decoded for no one: no
// block lays out its flows, which a reader that only counts would have to
// fault in (they took a quarter of ctconv check's page faults). Flows lays
// out the blocks it reads.
func TestCountLaysNoFlows(t *testing.T) {
	const line = "ipv4     2 udp      17 3599 src=127.37.75.124 dst=127.0.0.1 sport=38284 dport=5353 packets=2 bytes=248 src=127.0.0.1 dst=127.37.75.124 sport=5353 dport=38284 packets=2 bytes=248 mark=0 zone=0 delta-time=0 use=2\n"
	const n = 5 * snapshot.ColumnFlows // five blocks
	file, _ := snapshotOf(t, []byte(strings.Repeat(line, n)))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, read := range []string{"Flows", "EachCount", "Flows"} { // the first makes the decoders
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := snapshot.NewReader(bytes.NewReader(file))
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
		// Blocks decoded before EachCount began would be laid out, a
		// block's flows each (up to 4 with two workers).
		alloc, flows := after.TotalAlloc-before.TotalAlloc, uint64(snapshot.ColumnFlows*unsafe.Sizeof(format.Flow{}))
		if got != n || (read == "EachCount") != (alloc < 2*flows) {
			t.Errorf("%s: %d flows of %d, %d bytes allocated, a block's flows take %d", read, got, n, alloc, flows)
		}
	}
}
