// Command snapshot measures snapshot files against the zstd command on the
// same text captures, side by side in one run: the size of a snapshot
// against `zstd -19`, the time to write one against `zstd -3 -T1` (wall
// time, and CPU time, as the snapshot writer works on two cores), and the
// records a second it is read back at. bench/snapshot.sh runs it on the
// corpus's 100,000-entry capture and a synthetic table of a million.
// Given the ctconv command (-ctconv), it also times `ctconv check` of
// each capture and of its snapshot (`ctconv convert --to snapshot`) as
// processes, side by side, at GOMAXPROCS 1, 2 and the machine's cores:
// wall and CPU time, and the text's time over the snapshot's.
//
//	go run ./bench/snapshot [-runs 5] [-ctconv PATH] FILE...
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

func main() {
	runs := flag.Int("runs", 5, "timed runs of each measurement; the median is shown")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the runs to `file`")
	ctconv := flag.String("ctconv", "", "the ctconv `command` whose check to time on the text and its snapshot")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fail(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if _, err := exec.LookPath("zstd"); err != nil {
		fail(fmt.Errorf("needs the zstd command (apt-get install zstd)"))
	}
	fmt.Printf("%-20s %9s %9s | %10s %10s %6s | %9s %9s %6s %9s | %12s %12s\n",
		"input", "records", "text MB", "zstd-19 MB", "snap MB", "ratio", "zstd-3 ms", "snap ms", "ratio", "cpu ratio", "read rec/s", "parse rec/s")
	for _, file := range flag.Args() {
		if err := measure(file, *runs); err != nil {
			pprof.StopCPUProfile()
			fail(fmt.Errorf("%s: %w", file, err))
		}
	}
	if *ctconv == "" {
		return
	}
	fmt.Printf("\n# ctconv check of the text and of its snapshot, as processes (medians of %d, alternately; load %s)\n", *runs, load())
	fmt.Printf("%-20s %5s | %9s %9s | %9s %9s | %11s %10s\n",
		"input", "procs", "text s", "text cpu", "snap s", "snap cpu", "text/snap", "cpu ratio")
	for _, file := range flag.Args() {
		if err := checks(*ctconv, file, *runs); err != nil {
			fail(fmt.Errorf("%s: %w", file, err))
		}
	}
	fmt.Printf("(load afterwards %s)\n", load())
}

// checks times ctconv check of file and of its snapshot, alternately, at
// GOMAXPROCS 1, 2 and the number of cores.
func checks(ctconv, file string, runs int) error {
	dir, err := os.MkdirTemp("", "ctconv-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	snap := dir + "/capture.ctsnap"
	if out, err := exec.Command(ctconv, "convert", "--to", "snapshot", "-o", snap, file).CombinedOutput(); err != nil {
		return fmt.Errorf("convert --to snapshot: %v: %s", err, out)
	}
	procs := []int{1, 2}
	if n := runtime.NumCPU(); n > 2 {
		procs = append(procs, n)
	}
	for _, p := range procs {
		var wall, cpu [2][]time.Duration // text, snapshot
		for range runs {
			for i, f := range []string{file, snap} {
				cmd := exec.Command(ctconv, "check", f)
				cmd.Env = append(os.Environ(), fmt.Sprintf("GOMAXPROCS=%d", p))
				start := time.Now()
				if out, err := cmd.CombinedOutput(); err != nil {
					return fmt.Errorf("check %s: %v: %s", f, err, out)
				}
				wall[i] = append(wall[i], time.Since(start))
				cpu[i] = append(cpu[i], cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
			}
		}
		tw, tc, sw, sc := median(wall[0]), median(cpu[0]), median(wall[1]), median(cpu[1])
		fmt.Printf("%-20s %5d | %9.3f %9.3f | %9.3f %9.3f | %11.2f %10.2f\n", filepath.Base(file), p,
			tw.Seconds(), tc.Seconds(), sw.Seconds(), sc.Seconds(), float64(tw)/float64(sw), float64(tc)/float64(sc))
	}
	return nil
}

// load returns the machine's load averages, as /proc/loadavg gives them.
func load() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "snapshot bench:", err)
	os.Exit(1)
}

func measure(file string, runs int) error {
	text, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "ctconv-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	snap, zst := dir+"/snap.ctsnap", dir+"/text.zst"

	z19, err := zstdSize(file, zst, "-19")
	if err != nil {
		return err
	}
	var records uint64
	var zTimes, wTimes, rTimes, pTimes, zCPU, wCPU []time.Duration
	for range runs {
		// Alternate the two, so that the machine's drift falls on both.
		var cpu time.Duration
		d, err := timed(func() (err error) { cpu, err = zstdRun(file, zst, "-3"); return err })
		if err != nil {
			return err
		}
		zTimes, zCPU = append(zTimes, d), append(zCPU, cpu)
		before := cpuTime()
		if d, err = timed(func() error { records, err = write(file, snap); return err }); err != nil {
			return err
		}
		wTimes, wCPU = append(wTimes, d), append(wCPU, cpuTime()-before)
		if d, err = timed(func() error { return read(snap, records) }); err != nil {
			return err
		}
		rTimes = append(rTimes, d)
		if d, err = timed(func() error { return parse(text) }); err != nil {
			return err
		}
		pTimes = append(pTimes, d)
	}
	fi, err := os.Stat(snap)
	if err != nil {
		return err
	}
	z3, w, r, p := median(zTimes), median(wTimes), median(rTimes), median(pTimes)
	fmt.Printf("%-20s %9d %9.2f | %10.2f %10.2f %6.2f | %9.1f %9.1f %6.2f %9.2f | %12.0f %12.0f\n",
		filepath.Base(file), records, mb(len(text)), mb(z19), mb(int(fi.Size())), float64(fi.Size())/float64(z19),
		ms(z3), ms(w), float64(w)/float64(z3), float64(median(wCPU))/float64(median(zCPU)),
		float64(records)/r.Seconds(), float64(records)/p.Seconds())
	return nil
}

// write makes a snapshot of the text capture file, as ctconv snapshot
// does but for the final fsync, which the zstd command does not do either.
func write(file, snap string) (uint64, error) {
	in, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	sc, err := format.NewScanner(in, format.Dialect{Format: format.Auto})
	if err != nil {
		return 0, err
	}
	fm, err := sc.Detect()
	if err != nil {
		return 0, err
	}
	out, err := os.Create(snap)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	w, err := snapshot.NewWriter(out, snapshot.Header{Created: time.Now(), Source: snapshot.Text(fm), Tool: "bench"})
	if err != nil {
		return 0, err
	}
	for f, err := range sc.Flows() {
		if err != nil {
			return 0, err
		}
		if err := w.WriteFlow(f); err != nil {
			return 0, err
		}
	}
	w.SetDialect(sc.Dialect())
	if err := w.Close(); err != nil {
		return 0, err
	}
	return w.Count(), out.Close()
}

// read reads the snapshot's records back into a Flow.
func read(snap string, want uint64) error {
	in, err := os.Open(snap)
	if err != nil {
		return err
	}
	defer in.Close()
	r, err := snapshot.NewReader(in)
	if err != nil {
		return err
	}
	defer r.Close()
	for _, err := range r.Flows() {
		if err != nil {
			return err
		}
	}
	if r.Count() != want {
		return fmt.Errorf("read %d records, wrote %d", r.Count(), want)
	}
	return nil
}

// parse parses the text from memory, for a sense of scale.
func parse(text []byte) error {
	sc, err := format.NewScanner(bytes.NewReader(text), format.Dialect{Format: format.Auto})
	if err != nil {
		return err
	}
	for _, err := range sc.Flows() {
		if err != nil {
			return err
		}
	}
	return nil
}

// zstdRun runs the zstd command on file and returns the CPU time it took.
func zstdRun(file, out, level string) (time.Duration, error) {
	f, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	cmd := exec.Command("zstd", "-q", level, "-T1", "-c", file)
	cmd.Stdout, cmd.Stderr = f, os.Stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("zstd %s: %w", level, err)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), f.Close()
}

// cpuTime returns the CPU time this process has taken.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func zstdSize(file, out, level string) (int, error) {
	if _, err := zstdRun(file, out, level); err != nil {
		return 0, err
	}
	fi, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	return int(fi.Size()), nil
}

func timed(fn func() error) (time.Duration, error) {
	start := time.Now()
	err := fn()
	return time.Since(start), err
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func mb(n int) float64           { return float64(n) / 1e6 }
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
