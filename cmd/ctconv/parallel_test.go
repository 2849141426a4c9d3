package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/gen"
)

// table returns n synthetic flows (package gen) in format fm, of the
// table read later if churn is not 0.
func table(t testing.TB, fm format.Format, n int, churn uint64) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gen.WriteTable(format.NewWriter(&b, format.Dialect{Format: fm}), n, 1, churn); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// damage spoils every 997th line of text, and puts a blank line and
// conntrack's message here and there: bad lines and lines that are no
// records, in chunks far apart.
func damage(text []byte) []byte {
	lines := bytes.SplitAfter(text, []byte("\n"))
	for i := 3; i < len(lines); i += 997 {
		switch i % 4 {
		case 0:
			lines[i] = lines[i][:len(lines[i])/2]
			lines[i] = append(lines[i], '\n')
		case 1:
			lines[i] = append([]byte("garbage "), lines[i]...)
		case 2:
			lines[i] = append([]byte("\n"), lines[i]...)
		case 3:
			lines[i] = append(lines[i], "conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.\n"...)
		}
	}
	return bytes.Join(lines, nil)
}

// TestCommandsParallel runs check, stats, diff, convert and snapshot on
// captures of tens of thousands of flows, with bad lines, at GOMAXPROCS 1
// and 4: their outputs, errors and exit statuses are the same, byte for
// byte.
func TestCommandsParallel(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"proc.txt":      damage(table(t, format.Proc, 30000, 0)),
		"proc-new.txt":  table(t, format.Proc, 30000, 7),
		"conntrack.txt": damage(bytes.ReplaceAll(table(t, format.Conntrack, 20000, 0), []byte("\n"), []byte("\r\n"))),
		"xml.txt":       damage(table(t, format.XML, 10000, 0)),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	proc, procNew, snap := filepath.Join(dir, "proc.txt"), filepath.Join(dir, "proc-new.txt"), filepath.Join(dir, "proc.ctsnap")
	runs := [][]string{
		{"check", proc, filepath.Join(dir, "conntrack.txt"), filepath.Join(dir, "xml.txt")},
		{"check", "--strict", filepath.Join(dir, "conntrack.txt")},
		{"stats", proc, filepath.Join(dir, "conntrack.txt")},
		{"diff", proc, procNew},
		{"diff", "--from", "auto", filepath.Join(dir, "xml.txt"), procNew},
		{"convert", "--keep-going", "--max-errors", "0", "--to", "json", proc},
		{"convert", "--keep-going", "--to", "xml", filepath.Join(dir, "conntrack.txt")},
		{"convert", filepath.Join(dir, "xml.txt")},
		{"snapshot", "--time", "2026-01-02T03:04:05Z", "--host", "h", "-o", snap, procNew},
		{"convert", snap},
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, args := range runs {
		var out [2]string
		for i, procs := range []int{1, 4} {
			runtime.GOMAXPROCS(procs)
			code, stdout, stderr := ctconv(t, "", args...)
			out[i] = fmt.Sprintf("exit %d\n%s\n--- stderr\n%s", code, stdout, stderr)
		}
		if out[0] != out[1] {
			t.Errorf("%s: GOMAXPROCS 4 differs from 1:\n%s", strings.Join(args, " "), lineDiff(out[0], out[1]))
		}
		// A run that writes to -o says nothing; the run after it reads what it wrote.
		if !slices.Contains(args, "-o") && (!strings.Contains(out[0], "\n") || len(out[0]) < 40) {
			t.Errorf("%s: little output:\n%s", strings.Join(args, " "), out[0])
		}
	}
}

// lineDiff shows the first line where a and b differ.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n1: %s\n4: %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines, %d lines", len(al), len(bl))
}

// TestCheckPipeMemory streams a million flows through a pipe into
// ctconv check -, parsed on two cores: the peak memory, which GNU time
// measures, stays under 64 MiB, however long the stream.
func TestCheckPipeMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("a million flows")
	}
	gnuTime, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		t.Skip("no /usr/bin/time (apt-get install time)")
	}
	bin := build(t)
	text := table(t, format.Proc, 100000, 0)
	cmd := exec.Command(gnuTime, "-f", "peak %M KiB", bin, "check", "-")
	cmd.Env = append(os.Environ(), "GOMAXPROCS=2")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := stdin.Write(text); err != nil {
			t.Fatal(err)
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	if want := "<stdin>: proc, 1000000 flows, 0 bad lines\n"; stdout.String() != want {
		t.Errorf("stdout %q, want %q", stdout.String(), want)
	}
	msg := stderr.String()
	var kib int
	if _, err := fmt.Sscanf(msg[strings.LastIndex(msg, "peak "):], "peak %d KiB", &kib); err != nil || kib > 64<<10 {
		t.Errorf("peak memory %d KiB (%v)", kib, err)
	}
	t.Logf("peak memory %d KiB", kib)
}
