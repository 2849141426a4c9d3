// Package goroutines counts the goroutines that a piece of a test
// started, apart from every other goroutine of the process: those of tests
// before it that are still ending, the runtime's, the testing package's.
// A count of all goroutines, taken before and after, mistakes the ones
// still ending for the test's own.
package goroutines

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// A Group is the goroutines started within one call of Start, and those
// they start in turn: they carry its profiler label, which a goroutine
// inherits from the one that starts it.
type Group struct{ label string }

var groups atomic.Int64

// Start calls f, and returns the Group of the goroutines that f starts.
func Start(f func()) Group {
	g := Group{label: strconv.FormatInt(groups.Add(1), 10)}
	pprof.Do(context.Background(), pprof.Labels("goroutines", g.label), func(context.Context) { f() })
	return g
}

// Count returns how many goroutines of g are running now.
func (g Group) Count() int {
	var b bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&b, 1); err != nil {
		panic(err)
	}
	// Goroutines of the same stack come as one entry, "N @ pc...", whose
	// next line gives their labels.
	want := fmt.Sprintf("# labels: {%q:%q}", "goroutines", g.label)
	n, last := 0, 0
	for line := range bytes.Lines(b.Bytes()) {
		line = bytes.TrimSpace(line)
		if count, _, ok := bytes.Cut(line, []byte(" @ ")); ok {
			last, _ = strconv.Atoi(string(count))
		} else if string(line) == want {
			n += last
		}
	}
	return n
}

// Ended fails t unless g's goroutines end within 5 s.
func (g Group) Ended(t testing.TB) {
	t.Helper()
	g.wait(t, false)
}

// Dropped is Ended for goroutines that end once what they serve is
// garbage: it collects garbage while it waits.
func (g Group) Dropped(t testing.TB) {
	t.Helper()
	g.wait(t, true)
}

func (g Group) wait(t testing.TB, collect bool) {
	t.Helper()
	for range 100 {
		if collect {
			runtime.GC()
		}
		if g.Count() == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("%d goroutines still running 5 s on", g.Count())
}
