// Command pingpong measures how long a line of memory takes to move from
// one core to another: two threads, pinned to two cores, pass a counter
// back and forth, each spinning until the other has written it, and it
// prints the median round trip of five runs. A line that one core writes
// and the other reads next (a batch of parsed flows, the index diff's
// loop builds) costs about half a round trip (BENCHMARKS.md, issue 20):
//
//	go run ./bench/pingpong          # cpu0 and cpu1
//	go run ./bench/pingpong 0 3
package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// trips is the round trips of a run.
const trips = 1 << 20

func main() {
	cpus := [2]int{0, 1}
	if len(os.Args) == 3 {
		for i, a := range os.Args[1:] {
			c, err := strconv.Atoi(a)
			if err != nil || c < 0 {
				fmt.Fprintln(os.Stderr, "pingpong: want two CPU numbers")
				os.Exit(2)
			}
			cpus[i] = c
		}
	}
	runtime.GOMAXPROCS(max(runtime.GOMAXPROCS(0), 2))
	var runs []time.Duration
	for range 5 {
		d, err := run(cpus)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pingpong:", err)
			os.Exit(1)
		}
		runs = append(runs, d)
	}
	slices.Sort(runs)
	fmt.Printf("cpu%d <-> cpu%d: %.0f ns a round trip (median of 5 runs of %d; %.0f to %.0f)\n",
		cpus[0], cpus[1], ns(runs[2]), trips, ns(runs[0]), ns(runs[4]))
}

// ns returns a run's time a round trip, in nanoseconds.
func ns(d time.Duration) float64 { return float64(d.Nanoseconds()) / trips }

// run times trips round trips between a thread pinned to cpus[0] and one
// pinned to cpus[1].
func run(cpus [2]int) (time.Duration, error) {
	var ball atomic.Int64 // even: cpus[0]'s to hit; odd: cpus[1]'s; -1: cpus[1] failed
	errs := make(chan error, 1)
	go func() {
		if err := pin(cpus[1]); err != nil {
			ball.Store(-1)
			errs <- err
			return
		}
		for i := int64(1); i < 2*trips; i += 2 {
			for ball.Load() != i {
			}
			ball.Store(i + 1)
		}
		errs <- nil
	}()
	if err := pin(cpus[0]); err != nil {
		return 0, err
	}
	defer runtime.UnlockOSThread()
	start := time.Now()
	for i := int64(0); i < 2*trips; i += 2 {
		for b := ball.Load(); b != i; b = ball.Load() {
			if b < 0 {
				return 0, <-errs
			}
		}
		ball.Store(i + 1)
	}
	d := time.Since(start)
	return d, <-errs
}

// pin locks the calling goroutine to its thread, and the thread to cpu.
func pin(cpu int) error {
	runtime.LockOSThread()
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("cpu%d: %w", cpu, err)
	}
	return nil
}
