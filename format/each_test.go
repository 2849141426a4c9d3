package format_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
)

// eachTrace reads data with EachFlow, and writes down what a serial scan
// must tell alike: each error, with the Scanner's state there, then the
// state at the end, and the flows handed out, sorted, for their order is
// not told. It checks that no two calls of a worker overlap, and that by
// each error, at least as many flows were handed out as were before it.
func eachTrace(t testing.TB, r io.Reader, d format.Dialect, opts ...format.ScanOption) (string, []int) {
	t.Helper()
	sc, err := format.NewScanner(r, d, append([]format.ScanOption{format.WithName("in")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	state := func() {
		fmt.Fprintf(&b, "  line %d skipped %d messages %d normalized %d unknown %d others %d notrecords %d blank %d dialect %+v\n",
			sc.Line(), sc.Skipped(), sc.Messages(), sc.Normalized(), sc.Unknown(), sc.Others(), sc.NotRecords(), sc.Blank(), sc.Dialect())
	}
	flows := make([][]string, sc.Workers())
	busy := make([]atomic.Bool, sc.Workers())
	var handed atomic.Int64
	var before []int // flows handed out by each error
	for err := range sc.EachFlow(func(w int, fs []format.Flow) {
		if !busy[w].CompareAndSwap(false, true) {
			t.Errorf("worker %d called while it is busy", w)
		}
		for i := range fs {
			flows[w] = append(flows[w], fmt.Sprintf("%+v", fs[i]))
		}
		handed.Add(int64(len(fs)))
		busy[w].Store(false)
	}) {
		var pe *format.ParseError
		if errors.As(err, &pe) {
			fmt.Fprintf(&b, "bad %s\n", pe)
		} else {
			fmt.Fprintf(&b, "error %v\n", err)
		}
		before = append(before, int(handed.Load()))
		state()
	}
	b.WriteString("end\n")
	state()
	all := slices.Concat(flows...)
	slices.Sort(all)
	for _, f := range all {
		b.WriteString(f + "\n")
	}
	return b.String(), before
}

// checkEach checks that EachFlow of data with opts tells what it tells
// serially, and hands out as many flows by each error.
func checkEach(t *testing.T, name string, data []byte, reader func(io.Reader) io.Reader, opts ...format.ScanOption) {
	t.Helper()
	d := format.Dialect{Format: format.Auto}
	want, wantBefore := eachTrace(t, bytes.NewReader(data), d, opts[:0:0]...)
	got, before := eachTrace(t, reader(bytes.NewReader(data)), d, opts...)
	if got != want {
		t.Errorf("%s: parallel differs:\n%s", name, firstDiff(want, got))
		return
	}
	for i := range before {
		if before[i] < wantBefore[i] {
			t.Errorf("%s: error %d yielded after %d flows, before %d of them were handed out", name, i+1, before[i], wantBefore[i])
		}
	}
}

// TestEachFlowCaptures reads every capture of testdata with EachFlow on
// three workers, in chunks of a few sizes, and as a live stream.
func TestEachFlowCaptures(t *testing.T) {
	for _, file := range captures(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, chunk := range []int{1, 100, 4096, 1 << 20} {
			reader := func(r io.Reader) io.Reader { return r }
			if chunk == 1<<20 {
				reader = func(r io.Reader) io.Reader { return &lineReader{r: bufio.NewReader(r)} }
			}
			checkEach(t, fmt.Sprintf("%s, chunks of %d", file, chunk), data, reader, format.WithWorkers(3), format.WithChunk(chunk))
		}
	}
}

// TestEachFlowEdges reads the inputs of TestParallelEdges with EachFlow,
// in chunks of every size.
func TestEachFlowEdges(t *testing.T) {
	for _, tt := range edges(t) {
		opts := []format.ScanOption{}
		if tt.maxLine > 0 {
			opts = append(opts, format.WithMaxLine(tt.maxLine))
		}
		data := []byte(tt.in)
		reader := func(r io.Reader) io.Reader { return r }
		if tt.err != nil {
			reader = func(r io.Reader) io.Reader { return io.MultiReader(r, failing{tt.err}) }
		}
		for _, chunk := range tt.chunks() {
			o := append(slices.Clip(opts), format.WithWorkers(2), format.WithChunk(chunk))
			// The serial trace reads with the same options but workers.
			d := format.Dialect{Format: format.Auto}
			want, _ := eachTrace(t, reader(bytes.NewReader(data)), d, opts...)
			got, _ := eachTrace(t, reader(bytes.NewReader(data)), d, o...)
			if got != want {
				t.Errorf("%s, chunks of %d: parallel differs:\n%s", tt.name, chunk, firstDiff(want, got))
				break
			}
		}
	}
}

// manyLines returns n copies of the corpus's /proc lines, with a bad line
// after the first half.
func manyLines(t *testing.T, n int) (data []byte, flows int) {
	lines := readLines(t, "../testdata/corpus/proc.txt", 5)
	var b bytes.Buffer
	for i := range n {
		if i == n/2 {
			b.WriteString("not a flow\n")
		}
		for _, l := range lines {
			b.WriteString(l)
		}
	}
	return b.Bytes(), n * len(lines)
}

// TestEachFlowStop stops a loop at its bad line: each is called no more
// once the loop has ended, and the Scanner reads no more. The workers may
// hand out flows after the bad line until the loop stops them. So that
// they cannot run to the end of the input before the loop has its turn,
// as on a busy machine, each waits in a batch past the bad line's until
// the loop has stopped it: the flows after the bad line are of zone 1,
// but for the first few, of zone 2, which the bad line's batch may hold.
func TestEachFlowStop(t *testing.T) {
	data, total := manyLines(t, 2000)
	at := bytes.Index(data, []byte("not a flow\n"))
	after := bytes.ReplaceAll(data[at:], []byte(" zone=0 "), []byte(" zone=1 "))
	after = bytes.Replace(after, []byte(" zone=1 "), []byte(" zone=2 "), 5)
	data = append(data[:at], after...)
	sc, err := format.NewScanner(bytes.NewReader(data), format.Dialect{}, format.WithWorkers(2), format.WithChunk(512))
	if err != nil {
		t.Fatal(err)
	}
	var ended atomic.Bool
	var handed atomic.Int64
	bad := make(chan struct{})
	var stopped func() bool // set before bad is closed
	for err := range sc.EachFlow(func(w int, fs []format.Flow) {
		if ended.Load() {
			t.Error("each called after the loop ended")
		}
		if !slices.ContainsFunc(fs, func(f format.Flow) bool { return f.Zone != 1 }) {
			<-bad
			// And until the loop's end has stopped the hand-out, however
			// late the loop's goroutine runs.
			for start := time.Now(); !stopped(); time.Sleep(time.Millisecond) {
				if time.Since(start) > 10*time.Second {
					t.Error("the loop's end did not stop the hand-out")
					break
				}
			}
		}
		handed.Add(int64(len(fs)))
	}) {
		if !errors.As(err, new(*format.ParseError)) {
			t.Fatalf("got %v, want the bad line", err)
		}
		stopped = sc.HandOutStopped()
		close(bad)
		break
	}
	ended.Store(true)
	if n := handed.Load(); n < int64(total/2) || n >= int64(total) {
		t.Errorf("%d flows handed out by the bad line, want at least %d and fewer than all %d", n, total/2, total)
	}
	for f, err := range sc.Flows() {
		t.Fatalf("read %v, %v after the loop stopped", f, err)
	}
}

// TestEachFlowPanic: a panic of each, on a worker, is raised by the
// loop, where the caller can recover it.
func TestEachFlowPanic(t *testing.T) {
	data, _ := manyLines(t, 500)
	sc, err := format.NewScanner(bytes.NewReader(data), format.Dialect{}, format.WithWorkers(2), format.WithChunk(512))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if v := recover(); v != "each failed" {
			t.Errorf("recovered %v, want each's panic", v)
		}
	}()
	for range sc.EachFlow(func(w int, fs []format.Flow) { panic("each failed") }) {
	}
	t.Error("the loop ended without the panic")
}

// TestEachFlowAfterFlows: EachFlow hands out the flows that a loop over
// Flows, which stopped, left.
func TestEachFlowAfterFlows(t *testing.T) {
	data, total := manyLines(t, 300)
	for _, workers := range []int{1, 2} {
		sc, err := format.NewScanner(bytes.NewReader(data), format.Dialect{}, format.WithWorkers(workers), format.WithChunk(512))
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		for f, err := range sc.Flows() {
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, f.String())
			if len(seen) == 100 {
				break
			}
		}
		var bad int
		var mu atomic.Int64
		for err := range sc.EachFlow(func(w int, fs []format.Flow) { mu.Add(int64(len(fs))) }) {
			if errors.As(err, new(*format.ParseError)) {
				bad++
			} else {
				t.Fatal(err)
			}
		}
		if got := len(seen) + int(mu.Load()); got != total || bad != 1 {
			t.Errorf("workers %d: %d flows and %d bad lines, want %d and 1", workers, got, bad, total)
		}
	}
}

// A panicAt is a file whose ReadAt panics when asked for more than 3000
// bytes past at: the chunks that the workers read, not the windows
// around the cuts that the reader goroutine reads.
type panicAt struct {
	*bytes.Reader
	at int64
}

func (p panicAt) ReadAt(b []byte, off int64) (int, error) {
	if len(b) > 3000 && off+int64(len(b)) > p.at {
		panic("boom at")
	}
	return p.Reader.ReadAt(b, off)
}

// TestParallelReadAtPanic: a panic of the file's ReadAt on a worker that
// reads its chunk is raised by the loop, where the caller can recover
// it, as a Reader's panic is, for Flows and EachFlow alike.
func TestParallelReadAtPanic(t *testing.T) {
	data, _ := manyLines(t, 4000)
	for _, each := range []bool{false, true} {
		v := func() (v any) {
			defer func() { v = recover() }()
			sc, err := format.NewScanner(panicAt{bytes.NewReader(data), int64(len(data) / 2)}, format.Dialect{}, format.WithWorkers(2), format.WithChunk(4096))
			if err != nil {
				t.Fatal(err)
			}
			if each {
				for range sc.EachFlow(func(int, []format.Flow) {}) {
				}
			} else {
				for range sc.Flows() {
				}
			}
			return nil
		}()
		if v != "boom at" {
			t.Errorf("EachFlow %v: recovered %v, want ReadAt's panic", each, v)
		}
	}
}

// TestEachFlowStopXML stops a loop at a bad XML record that shares its
// line with others: the Scanner reads no more, not even the records of
// that line after it, which a serial Scanner held in its XML window.
func TestEachFlowStopXML(t *testing.T) {
	lines := readLines(t, "../testdata/corpus/xml-L.txt", 4)
	one := strings.TrimSuffix(lines[2], "\n")
	in := lines[0] + lines[1] + one + "<flow><bad/></flow>" + one + one + "\n" + lines[3] + "</conntrack>\n"
	for _, workers := range []int{1, 2} {
		sc, err := format.NewScanner(strings.NewReader(in), format.Dialect{}, format.WithWorkers(workers))
		if err != nil {
			t.Fatal(err)
		}
		for err := range sc.EachFlow(func(int, []format.Flow) {}) {
			if !errors.As(err, new(*format.ParseError)) {
				t.Fatalf("got %v, want the bad record", err)
			}
			break
		}
		for f, err := range sc.Flows() {
			t.Errorf("%d workers: read %v, %v after the loop stopped", workers, f, err)
		}
	}
}

// TestEachFlowBodyPanics ends a loop by a panic of its body at the bad
// line, as t.Fatal ends one by runtime.Goexit: each is called no more
// once the loop has ended, however it ended.
func TestEachFlowBodyPanics(t *testing.T) {
	data, _ := manyLines(t, 2000)
	sc, err := format.NewScanner(bytes.NewReader(data), format.Dialect{}, format.WithWorkers(2), format.WithChunk(512))
	if err != nil {
		t.Fatal(err)
	}
	var ended atomic.Bool
	var after atomic.Int64
	func() {
		defer func() {
			if v := recover(); v != "body" {
				t.Errorf("recovered %v, want the body's panic", v)
			}
		}()
		for range sc.EachFlow(func(_ int, fs []format.Flow) {
			time.Sleep(time.Millisecond)
			if ended.Load() {
				after.Add(int64(len(fs)))
			}
		}) {
			panic("body")
		}
	}()
	ended.Store(true)
	time.Sleep(100 * time.Millisecond)
	if n := after.Load(); n > 0 {
		t.Errorf("%d flows handed out after the loop ended", n)
	}
}

// TestEachFlowQuiet reads a file and a stream of many chunks with one bad
// line: of the batches, only the bad line's and the last go to the loop,
// and the rest are handed out and read again by the workers alone.
func TestEachFlowQuiet(t *testing.T) {
	data, total := manyLines(t, 2000)
	for _, r := range []io.Reader{bytes.NewReader(data), streamOnly{bytes.NewReader(data)}} {
		sc, err := format.NewScanner(r, format.Dialect{}, format.WithWorkers(2), format.WithChunk(512))
		if err != nil {
			t.Fatal(err)
		}
		var n atomic.Int64
		bad := 0
		for err := range sc.EachFlow(func(_ int, fs []format.Flow) { n.Add(int64(len(fs))) }) {
			if err == nil || bad > 0 {
				t.Fatalf("%T: error %v", r, err)
			}
			bad++
		}
		if n.Load() != int64(total) || bad != 1 {
			t.Errorf("%T: %d flows, %d bad lines; want %d, 1", r, n.Load(), bad, total)
		}
		if got := sc.LoopBatches(); got != 2 {
			t.Errorf("%T: %d batches went to the loop, want 2 of %d", r, got, len(data)/512)
		}
	}
}

// TestEachFlowParked delays the read of a file's first chunk. The worker
// that reads the chunks after it does not wait for their turn: it leaves
// their flows for the first chunk's worker to hand out, and goes on. So
// one worker hands every flow out, and they are those a serial Scanner
// reads.
func TestEachFlowParked(t *testing.T) {
	data, _ := manyLines(t, 8)
	chunk := format.WithChunk(len(data)/3 + 1) // 3 or 4 chunks: as many batches as 2 workers have
	want, _ := eachTrace(t, streamOnly{bytes.NewReader(data)}, format.Dialect{})
	got, _ := eachTrace(t, slowAt{bytes.NewReader(data), 100 * time.Millisecond}, format.Dialect{}, format.WithWorkers(2), chunk)
	if got != want {
		t.Fatalf("parallel differs:\n%s", firstDiff(want, got))
	}
	sc, err := format.NewScanner(slowAt{bytes.NewReader(data), 100 * time.Millisecond}, format.Dialect{}, format.WithWorkers(2), chunk)
	if err != nil {
		t.Fatal(err)
	}
	var by [2]int
	for range sc.EachFlow(func(w int, flows []format.Flow) { by[w] += len(flows) }) {
	}
	if by[0] != 0 && by[1] != 0 {
		t.Errorf("flows handed out by worker 0: %d, by worker 1: %d; want all by the first chunk's", by[0], by[1])
	}
}

// A slowAt is a file whose read at its start takes d.
type slowAt struct {
	*bytes.Reader
	d time.Duration
}

func (s slowAt) ReadAt(b []byte, off int64) (int, error) {
	if off == 0 {
		time.Sleep(s.d)
	}
	return s.Reader.ReadAt(b, off)
}
