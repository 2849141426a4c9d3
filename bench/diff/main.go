// Command diff measures ctconv diff on two captures of a million flows,
// side by side with what a user would do without it, in one run:
// `sort a.txt > a.s; sort b.txt > b.s; diff a.s b.s` on the same text.
// The captures are synthetic (package gen): a NAT router's table, and the
// same table read later, churned (gen.Churn). It prints the median wall
// time and peak memory of each, and their ratios.
//
//	go run ./bench/diff [-n 1000000] [-runs 5]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/gen"
)

func main() {
	n := flag.Int("n", 1000000, "flows in each capture")
	runs := flag.Int("runs", 5, "timed runs of each measurement; the median is shown")
	flag.Parse()
	if err := run(*n, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "diff bench:", err)
		os.Exit(1)
	}
}

func run(n, runs int) error {
	dir, err := os.MkdirTemp("", "ctconv-bench-diff")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	if err := capture(a, b, n); err != nil {
		return err
	}
	bin := filepath.Join(dir, "ctconv")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/ctconv").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	as, bs := filepath.Join(dir, "a.ctsnap"), filepath.Join(dir, "b.ctsnap")
	ass, bss := filepath.Join(dir, "a-sorted.ctsnap"), filepath.Join(dir, "b-sorted.ctsnap")
	for _, p := range [][2]string{{a, as}, {b, bs}} {
		if _, err := measure(0, bin, "snapshot", "-o", p[1], p[0]); err != nil {
			return err
		}
	}
	for _, p := range [][2]string{{a, ass}, {b, bss}} {
		if _, err := measure(0, bin, "snapshot", "--sort", "-o", p[1], p[0]); err != nil {
			return err
		}
	}
	sh := fmt.Sprintf("sort %s > %s.s && sort %s > %s.s && diff %s.s %s.s > /dev/null; test $? -le 1", a, a, b, b, a, b)
	var ct, cs, css, sd []result
	for range runs {
		r, err := measure(1, bin, "diff", a, b)
		if err != nil {
			return err
		}
		ct = append(ct, r)
		if r, err = measure(1, bin, "diff", as, bs); err != nil {
			return err
		}
		cs = append(cs, r)
		if r, err = measure(1, bin, "diff", ass, bss); err != nil {
			return err
		}
		css = append(css, r)
		if r, err = measure(0, "sh", "-c", sh); err != nil {
			return err
		}
		sd = append(sd, r)
	}
	base := med(sd)
	fmt.Printf("two captures of %d flows (%s): %s\n", n, sizeOf(a, b), summary(bin, a, b))
	fmt.Printf("%-34s %10s %10s %12s %12s\n", "", "time", "peak MB", "time ratio", "memory ratio")
	for _, row := range []struct {
		name string
		r    result
	}{
		{"ctconv diff a.txt b.txt", med(ct)},
		{"ctconv diff a.ctsnap b.ctsnap", med(cs)},
		{"... snapshots written with --sort", med(css)},
		{"sort a; sort b; diff a.s b.s", base},
	} {
		fmt.Printf("%-34s %9.2fs %10.0f %12.2f %12.2f\n", row.name, row.r.wall.Seconds(), row.r.peakMB,
			row.r.wall.Seconds()/base.wall.Seconds(), row.r.peakMB/base.peakMB)
	}
	return nil
}

// capture writes the table to a and the churned table to b, in /proc's
// format, as ctgen does.
func capture(a, b string, n int) error {
	for i, name := range []string{a, b} {
		f, err := os.Create(name)
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(f, 1<<16)
		if err := gen.WriteTable(format.NewWriter(bw, format.Dialect{Format: format.Proc}), n, 1, uint64(2*i)); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

type result struct {
	wall   time.Duration
	peakMB float64
}

// measure runs a command and returns its wall time and the peak memory of
// its largest process; the exit status must be want.
func measure(want int, name string, args ...string) (result, error) {
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == want {
		err = nil
	}
	if err != nil {
		return result{}, fmt.Errorf("%s %v: %w", name, args, err)
	}
	if code := cmd.ProcessState.ExitCode(); code != want {
		return result{}, fmt.Errorf("%s %v: exit status %d, want %d", name, args, code, want)
	}
	peak := float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024 // Linux: KiB; a shell's is its largest child's
	return result{wall, peak}, nil
}

func med(rs []result) result {
	w := make([]time.Duration, len(rs))
	m := make([]float64, len(rs))
	for i, r := range rs {
		w[i], m[i] = r.wall, r.peakMB
	}
	slices.Sort(w)
	slices.Sort(m)
	return result{w[len(w)/2], m[len(m)/2]}
}

func sizeOf(files ...string) string {
	var total int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			total += fi.Size()
		}
	}
	return fmt.Sprintf("%.0f MB of text", float64(total)/1e6)
}

// summary returns the summary line of ctconv diff.
func summary(bin, a, b string) string {
	out, _ := exec.Command("sh", "-c", bin+" diff "+a+" "+b+" | tail -n 1").Output()
	return string(out[:max(len(out)-1, 0)])
}
