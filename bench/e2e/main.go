// Command e2e measures ctconv's commands end to end, as processes, beside
// what a user would run without it, on the same files in one run: the
// median wall time and peak memory of each, and their ratios to the first
// row of each table.
//
//	go run ./bench/e2e [-runs 5] FILE...
//
// For each /proc capture FILE:
//
//	cat FILE > /dev/null                      the floor: reading the file
//	ctconv convert --from proc --to json FILE the conversion (and with GOMAXPROCS=1)
//	awk (each key=value's value to CSV)       the one-liner it replaces
//	ctconv stats, ctconv check FILE           the other streaming commands
//	gzip -9, zstd -3 -T1, zstd -19 -T1        the compressors a snapshot replaces
//	ctconv snapshot, ctconv check FILE.ctsnap writing and reading a snapshot (writing
//	                                          also with GOMAXPROCS=1)
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// awkCSV prints each line's family, protocol and the value of each
// key=value field, as CSV: what the JSON holds, the way awk does it.
const awkCSV = `awk '{ line = $1 "," $3; for (i = 5; i <= NF; i++) { n = index($i, "="); if (n) line = line "," substr($i, n + 1) } print line }'`

func main() {
	runs := flag.Int("runs", 5, "timed runs of each command; the median is shown")
	flag.Parse()
	if err := run(*runs, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "e2e bench:", err)
		os.Exit(1)
	}
}

func run(runs int, files []string) error {
	dir, err := os.MkdirTemp("", "ctconv-bench-e2e")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "ctconv")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/ctconv").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	gnuTime, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		return fmt.Errorf("needs GNU time for peak memory (apt-get install time)")
	}
	for _, file := range files {
		fi, err := os.Stat(file)
		if err != nil {
			return err
		}
		snap := filepath.Join(dir, "capture.ctsnap")
		rows := []struct{ name, cmd string }{
			{"cat > /dev/null", "cat " + file + " > /dev/null"},
			{"ctconv convert --to json", bin + " convert --from proc --to json " + file + " > /dev/null"},
			{"  the same on one core", "GOMAXPROCS=1 " + bin + " convert --from proc --to json " + file + " > /dev/null"},
			{"awk, values to CSV", awkCSV + " " + file + " > /dev/null"},
			{"ctconv stats", bin + " stats " + file + " > /dev/null"},
			{"ctconv check", bin + " check " + file + " > /dev/null"},
			{"gzip -9", "gzip -9 -c " + file + " > " + dir + "/c.gz"},
			{"zstd -3 -T1", "zstd -q -3 -T1 -c " + file + " > " + dir + "/c.zst"},
			{"zstd -19 -T1", "zstd -q -19 -T1 -c " + file + " > " + dir + "/c19.zst"},
			{"ctconv snapshot", bin + " snapshot -o " + snap + " " + file},
			{"  the same on one core", "GOMAXPROCS=1 " + bin + " snapshot -o " + snap + " " + file},
			{"ctconv check FILE.ctsnap (read)", bin + " check " + snap + " > /dev/null"},
		}
		fmt.Printf("\n%s: %.1f MB\n", filepath.Base(file), float64(fi.Size())/1e6)
		fmt.Printf("%-34s %10s %8s %10s %10s\n", "", "time", "ratio", "peak MB", "out MB")
		var base time.Duration
		for i, r := range rows {
			times, peak := make([]time.Duration, 0, runs), 0.0
			n := runs
			if strings.Contains(r.name, "-19") {
				n = 1 // minutes on a large file; size is what it is for
			}
			for range n {
				d, kb, err := timed(gnuTime, r.cmd)
				if err != nil {
					return fmt.Errorf("%s: %w", r.name, err)
				}
				times = append(times, d)
				peak = max(peak, kb/1024)
			}
			slices.Sort(times)
			med := times[len(times)/2]
			if i == 0 {
				base = med
			}
			out := ""
			for _, o := range []string{dir + "/c.gz", dir + "/c.zst", dir + "/c19.zst", snap} {
				if strings.Contains(r.cmd, "> "+o) || strings.Contains(r.cmd, "-o "+o) {
					if fo, err := os.Stat(o); err == nil {
						out = fmt.Sprintf("%.2f", float64(fo.Size())/1e6)
					}
				}
			}
			fmt.Printf("%-34s %9.3fs %8.1f %10.1f %10s\n", r.name, med.Seconds(), float64(med)/float64(base), peak, out)
		}
	}
	return nil
}

// timed runs a shell command under GNU time and returns its wall time and
// peak resident memory in KiB.
func timed(gnuTime, cmd string) (time.Duration, float64, error) {
	var stderr bytes.Buffer
	c := exec.Command(gnuTime, "-f", "peak %M", "sh", "-c", cmd)
	c.Stderr = &stderr
	start := time.Now()
	err := c.Run()
	d := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("%v: %s", err, stderr.String())
	}
	text := stderr.String()
	i := strings.LastIndex(text, "peak ")
	if i < 0 {
		return 0, 0, fmt.Errorf("no peak in %q", text)
	}
	kb, err := strconv.ParseFloat(strings.TrimSpace(text[i+5:]), 64)
	return d, kb, err
}
