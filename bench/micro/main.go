// Command micro runs the parse and print benchmarks of package format and
// prints their medians as a table: MB/s and allocations for each format's
// sample lines, and, for /proc lines, the baseline parser (strings.Fields,
// strconv, netip) beside ctconv's with the ratio.
// To compare two commits side by side, use bench/compare.sh.
//
//	go run ./bench/micro [-runs 5]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var line = regexp.MustCompile(`^Benchmark(Parse|Append|Baseline)/(\S+?)-\d+\s+\d+\s+[\d.]+ ns/op\s+([\d.]+) MB/s\s+\d+ B/op\s+(\d+) allocs/op`)

func main() {
	runs := flag.Int("runs", 5, "runs of each benchmark; the median is shown")
	flag.Parse()
	// Some sixty samples, each parsed and printed, runs times: 300 ms a
	// measurement keeps the whole under ten minutes.
	out, err := exec.Command("go", "test", "./format", "-run", "^$", "-bench", "^Benchmark(Parse|Append|Baseline)$",
		"-benchtime", "300ms", "-timeout", "0", "-count", strconv.Itoa(*runs)).CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "micro bench: %v\n%s", err, out)
		os.Exit(1)
	}
	mbs := map[string]map[string][]float64{} // sample -> kind -> MB/s
	allocs := map[string]map[string]int{}
	var samples []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		kind, sample := m[1], m[2]
		if mbs[sample] == nil {
			mbs[sample], allocs[sample] = map[string][]float64{}, map[string]int{}
			samples = append(samples, sample)
		}
		v, _ := strconv.ParseFloat(m[3], 64)
		mbs[sample][kind] = append(mbs[sample][kind], v)
		a, _ := strconv.Atoi(m[4])
		allocs[sample][kind] = max(allocs[sample][kind], a)
	}
	fmt.Printf("%-44s %12s %12s %14s %7s\n", "sample line", "parse MB/s", "print MB/s", "baseline MB/s", "ratio")
	for _, s := range samples {
		p, a, b := median(mbs[s]["Parse"]), median(mbs[s]["Append"]), median(mbs[s]["Baseline"])
		base, ratio := "", ""
		if b > 0 {
			base, ratio = fmt.Sprintf("%.0f", b), fmt.Sprintf("%.1fx", p/b)
		}
		note := ""
		if allocs[s]["Parse"]+allocs[s]["Append"] > 0 {
			note = fmt.Sprintf("  %d allocs!", allocs[s]["Parse"]+allocs[s]["Append"])
		}
		fmt.Printf("%-44s %12.0f %12.0f %14s %7s%s\n", strings.TrimPrefix(s, "/"), p, a, base, ratio, note)
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
