// Command apart measures what two cores cost each other on work of the
// kind a diff's index does, random reads and writes over tables far
// larger than the caches, where they share nothing: on GOMAXPROCS
// goroutines of one process, each with a table of its own, it prints the
// wall and CPU time. Its CPU time on two goroutines, beside two processes
// of one each, says whether the cores that run one process slow each
// other more than the cores that run two do (BENCHMARKS.md, issue 20):
//
//	GOMAXPROCS=2 go run ./bench/apart
//	GOMAXPROCS=1 go run ./bench/apart & GOMAXPROCS=1 go run ./bench/apart; wait
package main

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// slots is the slots of each goroutine's table: 32 MiB.
const slots = 1 << 22

func main() {
	n := runtime.GOMAXPROCS(0)
	start := time.Now()
	var wg sync.WaitGroup
	sums := make([]uint64, n)
	for i := range n {
		wg.Go(func() { sums[i] = churn(uint64(i)*2 + 7) })
	}
	wg.Wait()
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Printf("%d goroutines: wall %.3f s, CPU %.3f s (%x)\n", n, time.Since(start).Seconds(), cpu.Seconds(), sums[0]&0xf)
}

// churn reads and writes a fresh table's slots at random, 12 a slot, as
// an index's probes and inserts do, and returns a sum of what it read.
func churn(seed uint64) uint64 {
	t := make([]uint64, slots)
	x, sum := seed, uint64(0)
	for range 12 * slots {
		x ^= x << 13 // xorshift64
		x ^= x >> 7
		x ^= x << 17
		j := x & (slots - 1)
		sum += t[j]
		t[j] = x
	}
	return sum
}
