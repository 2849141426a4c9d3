package main

import (
	"sync"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/gen"
)

// benchFlows returns n synthetic flows (package gen), in batches of the
// size a parallel scan hands out.
func benchFlows(n int) [][]format.Flow {
	g := gen.New(1)
	flows := make([]format.Flow, n)
	for i := range flows {
		g.Flow(&flows[i])
	}
	var batches [][]format.Flow
	for len(flows) > 0 {
		k := min(256, len(flows))
		batches, flows = append(batches, flows[:k]), flows[k:]
	}
	return batches
}

// BenchmarkStatsCount counts a million flows into statsParts, and names
// and ranks them: on one goroutine, and on two, each its half into its
// own part. As a parser would, a worker writes each batch into flows of
// its own before it counts them; "copy" only writes them.
func BenchmarkStatsCount(b *testing.B) {
	batches := benchFlows(1 << 20)
	for _, count := range []bool{false, true} {
		for _, workers := range []int{1, 2} {
			name := map[bool]string{false: "copy", true: "count"}[count] + map[int]string{1: "/one", 2: "/two"}[workers]
			b.Run(name, func(b *testing.B) {
				var named time.Duration
				for b.Loop() {
					s := newStats()
					parts := s.workers(workers)
					var wg sync.WaitGroup
					for w := range workers {
						wg.Go(func() {
							own := make([]format.Flow, 256)
							for i := w; i < len(batches); i += workers {
								flows := own[:copy(own, batches[i])]
								if !count {
									continue
								}
								p := parts[w]
								for j := range flows {
									p.add(&flows[j])
								}
							}
						})
					}
					wg.Wait()
					t := time.Now()
					s.finish(10)
					named += time.Since(t)
				}
				b.ReportMetric(float64((b.Elapsed()-named).Nanoseconds())/float64(b.N)/(1<<20), "ns/flow")
				b.ReportMetric(float64(named.Nanoseconds())/float64(b.N)/1e6, "ms/finish")
			})
		}
	}
}
