// Command halves parses a text capture the simplest parallel way, for a
// reference beside `ctconv check`: it cuts the file into GOMAXPROCS parts,
// at line ends, and parses each on a goroutine of its own with a Scanner
// of its own, which hands nothing to any other goroutine, merges nothing,
// and keeps no order. bench/cores.sh times it at each GOMAXPROCS in the
// same rounds as the commands. Its CPU time on n cores over its time on
// one is what the cores cost each other when they parse at once (caches,
// memory, the hypervisor), with no coordination to blame; its parts are
// large and of uneven cost, so it is not a bound on what chunks get.
//
//	halves FILE
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/ctconv/ctconv/format"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: halves FILE")
		os.Exit(2)
	}
	flows, err := parse(os.Args[1], runtime.GOMAXPROCS(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "halves:", err)
		os.Exit(1)
	}
	fmt.Println(flows, "flows")
}

// parse parses file in n parts at once, and returns the flows read.
func parse(file string, n int) (int, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	cuts := []int64{0}
	for i := 1; i < n; i++ {
		at := st.Size() * int64(i) / int64(n)
		buf := make([]byte, 64<<10)
		k, err := f.ReadAt(buf, at)
		if err != nil && err != io.EOF {
			return 0, err
		}
		nl := bytes.IndexByte(buf[:k], '\n')
		if nl < 0 {
			return 0, fmt.Errorf("no line end within 64 KiB after byte %d", at)
		}
		cuts = append(cuts, at+int64(nl)+1)
	}
	cuts = append(cuts, st.Size())
	counts := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			part := io.NewSectionReader(f, cuts[i], cuts[i+1]-cuts[i])
			sc, err := format.NewScanner(part, format.Dialect{Format: format.Auto})
			if err != nil {
				errs[i] = err
				return
			}
			// Counted in a local, stored once: counts' slots share a
			// cache line, which two cores writing each flow would pass
			// back and forth.
			n := 0
			for _, err := range sc.Flows() {
				if err != nil {
					errs[i] = err
					return
				}
				n++
			}
			counts[i] = n
		})
	}
	wg.Wait()
	total := 0
	for i := range n {
		if errs[i] != nil {
			return 0, errs[i]
		}
		total += counts[i]
	}
	return total, nil
}
