package format_test

import (
	"bytes"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/goroutines"
)

// TestFlowsAheadWorkers reads many flows with FlowsAhead after a loop of
// Flows that stopped at the first, from a file and from a stream: the
// workers run work on the batches read after, and the loop only on those
// read before, no more than the Scanner reads ahead (2n, and the batch
// of the first flow). Every flow and the bad line are handed out, and
// work runs on every flow once: the first's too, in its batch.
func TestFlowsAheadWorkers(t *testing.T) {
	data, total := manyLines(t, 2000)
	for _, input := range []struct {
		name string
		r    io.Reader
	}{{"file", bytes.NewReader(data)}, {"stream", streamOnly{bytes.NewReader(data)}}} {
		sc, err := format.NewScanner(input.r, format.Dialect{}, format.WithWorkers(2), format.WithChunk(512))
		if err != nil {
			t.Fatal(err)
		}
		for range sc.Flows() {
			break
		}
		var batches, flows [3]atomic.Int64
		flowsSeen, bad := 1, 0
		for a, err := range format.FlowsAhead(sc, func(w int, fs []format.Flow, made *int) {
			batches[w].Add(1)
			flows[w].Add(int64(len(fs)))
			*made = len(fs)
		}) {
			if err != nil {
				bad++
				continue
			}
			if *a.Made <= a.Index {
				t.Fatalf("%s: flow %d of a batch of %d", input.name, a.Index, *a.Made)
			}
			flowsSeen++
		}
		byWorkers := batches[0].Load() + batches[1].Load()
		if flowsSeen != total || bad != 1 || flows[0].Load()+flows[1].Load()+flows[2].Load() != int64(total) {
			t.Errorf("%s: %d flows and %d bad lines handed out, %d worked, want %d, 1 and as many worked", input.name, flowsSeen, bad,
				flows[0].Load()+flows[1].Load()+flows[2].Load(), total)
		}
		if byLoop := batches[2].Load(); byLoop > 5 || byWorkers < 1000 {
			t.Errorf("%s: the loop ran work on %d batches, the workers on %d", input.name, byLoop, byWorkers)
		}
	}
}

// TestFlowsAheadPanic checks that a panic of work is raised by the loop,
// where its caller recovers it: of a worker's run, and of the loop's own,
// which runs work where there are no workers.
func TestFlowsAheadPanic(t *testing.T) {
	data, _ := manyLines(t, 500)
	for _, workers := range []int{0, 2} {
		sc, err := format.NewScanner(bytes.NewReader(data), format.Dialect{}, format.WithWorkers(workers), format.WithChunk(512))
		if err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if v := recover(); v != "work failed" {
					t.Errorf("%d workers: recovered %v, want work's panic", workers, v)
				}
			}()
			for range format.FlowsAhead(sc, func(int, []format.Flow, *int) { panic("work failed") }) {
			}
		}()
	}
}

// TestFlowsAheadEnds stops a loop of FlowsAhead after its first flow:
// work runs no more once the loop has ended, neither while the Scanner
// reads on with EachFlow nor later, and a Scanner dropped after such a
// loop, whose work refers to it, stops its goroutines.
func TestFlowsAheadEnds(t *testing.T) {
	data, total := manyLines(t, 2000)
	goroutines.Start(func() {
		sc, err := format.NewScanner(bytes.NewReader(data), format.Dialect{}, format.WithWorkers(2), format.WithChunk(512))
		if err != nil {
			t.Fatal(err)
		}
		var runs atomic.Int64
		work := func(w int, flows []format.Flow, made **format.Scanner) {
			runs.Add(1)
			*made = sc // refers to the Scanner, as a work that reads its options would
		}
		for range format.FlowsAhead(sc, work) {
			break
		}
		ran := runs.Load()
		flows := 1
		for range sc.EachFlow(func(w int, fs []format.Flow) { flows += len(fs) }) {
		}
		time.Sleep(20 * time.Millisecond)
		if n := runs.Load(); n != ran || ran == 0 {
			t.Errorf("work ran %d times by the loop's end, %d after", ran, n)
		}
		if flows != total {
			t.Errorf("%d flows, want %d", flows, total)
		}
		for range format.FlowsAhead(sc, work) {
			break
		}
	}).Dropped(t)
}
