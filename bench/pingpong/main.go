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
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// trips is the round trips of a run.
const trips = 1 << 20

func main() {
	cpus := [2]int{0, 1}
	switch len(os.Args) {
	case 1:
	case 3:
		for i, a := range os.Args[1:] {
			c, err := strconv.Atoi(a)
			if err != nil || c < 0 {
				usage()
			}
			cpus[i] = c
		}
		if cpus[0] == cpus[1] { // the two threads would take turns on one core
			usage()
		}
	default:
		usage()
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

func usage() {
	fmt.Fprintln(os.Stderr, "usage: pingpong [CPU CPU]: two different CPU numbers, 0 and 1 by default")
	os.Exit(2)
}

// ns returns a run's time a round trip, in nanoseconds.
func ns(d time.Duration) float64 { return float64(d.Nanoseconds()) / trips }

// run times trips round trips between a thread pinned to cpus[0] and one
// pinned to cpus[1].
func run(cpus [2]int) (time.Duration, error) {
	var (
		ball atomic.Int64 // even: the first's to hit, odd: the second's; -1: one could not pin
		took time.Duration
		errs [2]error
		wg   sync.WaitGroup
	)
	for side, cpu := range cpus {
		// Each side's goroutine ends locked to its thread, so that the
		// pinned thread ends with it.
		wg.Go(func() {
			if errs[side] = pin(cpu); errs[side] != nil {
				ball.Store(-1)
				return
			}
			start := time.Now()
			for i := int64(side); i < 2*trips; i += 2 {
				for b := ball.Load(); b != i; b = ball.Load() {
					if b < 0 {
						return
					}
				}
				ball.Store(i + 1)
			}
			if side == 0 {
				took = time.Since(start)
			}
		})
	}
	wg.Wait()
	return took, errors.Join(errs[:]...)
}

// pin locks the calling goroutine to its thread, and the thread to cpu.
// The goroutine is not to unlock it.
func pin(cpu int) error {
	runtime.LockOSThread()
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("cpu%d: %w", cpu, err)
	}
	return nil
}
