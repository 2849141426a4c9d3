package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/internal/lab"
)

// captures writes the files the exit-status tests run on: a clean capture,
// one of its lines (a capture that differs from it), one with a bad line,
// and two snapshots.
func captures(t *testing.T) (clean, other, bad, snapA, snapB string) {
	t.Helper()
	dir := t.TempDir()
	clean = corpusProc
	lines := strings.SplitAfter(string(readFile(t, corpusProc)), "\n")
	other, bad = filepath.Join(dir, "other.txt"), filepath.Join(dir, "bad.txt")
	os.WriteFile(other, []byte(lines[0]), 0o644)
	os.WriteFile(bad, []byte(lines[0]+"tcp 6 garbage\n"+lines[1]), 0o644)
	snapA, snapB = filepath.Join(dir, "a.ctsnap"), filepath.Join(dir, "b.ctsnap")
	for _, s := range []string{snapA, snapB} {
		if code, _, errs := ctconv(t, "", "convert", "--to", "snapshot", "-o", s, corpusProc); code != 0 {
			t.Fatalf("snapshot: exit %d: %s", code, errs)
		}
	}
	return clean, other, bad, snapA, snapB
}

// runWithStdout runs the binary with stdout as its standard output, and
// returns its exit status and standard error.
func runWithStdout(t *testing.T, stdout *os.File, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(build(t), args...)
	cmd.Stdout = stdout
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// TestClosedPipeStatus runs each command into a pipe whose reader has gone
// away, as in "ctconv diff a b | head -0": the run is quiet about it, and
// exits with the status it earned, never 0 in place of "differ" or "bad
// lines".
func TestClosedPipeStatus(t *testing.T) {
	clean, other, bad, snapA, snapB := captures(t)
	for _, c := range []struct {
		args []string
		code int
		err  string // the only lines on stderr start with it
	}{
		{[]string{"diff", clean, other}, 1, ""},
		{[]string{"diff", "--format", "json", clean, other}, 1, ""},
		{[]string{"diff", clean, clean}, 0, ""},
		{[]string{"check", bad}, 1, bad + ":2:"},
		{[]string{"check", bad, clean}, 1, bad + ":2:"},
		{[]string{"check", clean, bad}, 1, bad + ":2:"}, // the closed pipe does not stop the check
		{[]string{"check", clean}, 0, ""},
		{[]string{"convert", "--keep-going", bad}, 1, bad + ":2:"},
		{[]string{"convert", clean}, 0, ""},
		{[]string{"convert", "--to", "snapshot", clean}, 0, ""},
		{[]string{"snapshot", "--info", snapA, snapB}, 0, ""},
		{[]string{"snapshot", "--info", "/nonexistent", snapA}, 1, "ctconv snapshot: /nonexistent: open /nonexistent: no such file"},
		{[]string{"stats", clean}, 0, ""},
		{[]string{"--help"}, 0, ""},
		{[]string{"--version"}, 0, ""},
		{[]string{"check", "--help"}, 0, ""},
		{[]string{"completion", "bash"}, 0, ""},
	} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		code, errs := runWithStdout(t, w, c.args...)
		w.Close()
		ok := code == c.code
		for _, line := range strings.Split(strings.TrimSuffix(errs, "\n"), "\n") {
			ok = ok && (line == "" && c.err == "" || c.err != "" && strings.HasPrefix(line, c.err) || strings.HasPrefix(line, "    "))
		}
		if !ok {
			t.Errorf("%v | head -0: exit %d, want %d; stderr:\n%s", c.args, code, c.code, errs)
		}
	}
}

// TestWriteErrors runs each command with its standard output /dev/full, as
// on a full file system: it says so, once, and exits with status 1 (diff:
// 2, trouble, as 1 is "differ").
func TestWriteErrors(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer full.Close()
	clean, other, bad, snapA, _ := captures(t)
	for _, c := range []struct {
		args []string
		code int
		cmd  string // as messages name it
	}{
		{[]string{"check", clean}, 1, "check"},
		{[]string{"check", bad}, 1, "check"},
		{[]string{"check", "--help"}, 1, "check"},
		{[]string{"stats", clean}, 1, "stats"},
		{[]string{"stats", "--format", "json", clean}, 1, "stats"},
		{[]string{"--help"}, 1, "help"},
		{[]string{"--version"}, 1, "version"},
		{[]string{"completion", "bash"}, 1, "completion"},
		{[]string{"completion", "--help"}, 1, "completion"},
		{[]string{"diff", clean, other}, 2, "diff"},
		{[]string{"snapshot", "--info", snapA}, 1, "snapshot"},
		{[]string{"convert", clean}, 1, "convert"},
		{[]string{"convert", "--keep-going", bad}, 1, "convert"},
		{[]string{"convert", "--to", "json", clean}, 1, "convert"},
		{[]string{"watch", "--help"}, 1, "watch"},
	} {
		code, errs := runWithStdout(t, full, c.args...)
		msg := "ctconv " + c.cmd + ": write: no space left on device\n"
		if code != c.code || strings.Count(errs, msg) != 1 {
			t.Errorf("%v > /dev/full: exit %d, want %d and %q; stderr:\n%s", c.args, code, c.code, msg, errs)
		}
	}
}

// TestNumericFlags gives each command's numeric flags values out of their
// range: a usage error, status 2, that names the flag and the value.
func TestNumericFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"stats", "--top", "-1", corpusProc}, "ctconv stats: --top -1: "},
		{[]string{"stats", "--max", "-1", corpusProc}, "ctconv stats: --max -1: "},
		{[]string{"watch", "--count", "-1"}, "ctconv watch: --count -1: "},
		{[]string{"watch", "--buffer", "-1"}, "ctconv watch: --buffer -1: "},
		{[]string{"watch", "--buffer", "4294967296"}, "ctconv watch: --buffer 4294967296: "},
		{[]string{"check", "--max-errors", "-1", corpusProc}, "ctconv check: --max-errors -1: "},
		{[]string{"convert", "--max-errors", "-1", corpusProc}, "ctconv convert: --max-errors -1: "},
		// The filters, which every command but check has.
		{[]string{"convert", "--sport", "-1", corpusProc}, "ctconv convert: --sport -1: "},
		{[]string{"convert", "--dport", "65536", corpusProc}, "ctconv convert: --dport 65536: "},
		{[]string{"convert", "--port", "x", corpusProc}, "ctconv convert: --port x: "},
		{[]string{"convert", "--zone", "65536", corpusProc}, "ctconv convert: --zone 65536: "},
		{[]string{"convert", "--mark", "-1", corpusProc}, "ctconv convert: --mark -1: "},
		{[]string{"convert", "--mark", "1/0", corpusProc}, "ctconv convert: --mark 1/0: "},
		{[]string{"convert", "--proto", "256", corpusProc}, "ctconv convert: --proto 256: "},
		{[]string{"snapshot", "--zone", "-1", corpusProc}, "ctconv snapshot: --zone -1: "},
		{[]string{"diff", "--sport", "65536", corpusProc, corpusProc}, "ctconv diff: --sport 65536: "},
		{[]string{"stats", "--dport", "-1", corpusProc}, "ctconv stats: --dport -1: "},
		{[]string{"watch", "--port", "-1"}, "ctconv watch: --port -1: "},
	} {
		code, out, errs := ctconv(t, "", c.args...)
		if code != 2 || out != "" || !strings.HasPrefix(errs, c.msg) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", c.args, code, out, errs, c.msg)
		}
	}
	// The ends of the ranges are accepted.
	for _, args := range [][]string{
		{"stats", "--top", "0", corpusProc},
		{"stats", "--max", "0", corpusProc},
		{"check", "--max-errors", "0", corpusProc},
	} {
		if code, _, errs := ctconv(t, "", args...); code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, errs)
		}
	}
}

// TestMaxErrors checks that check and convert --keep-going report at most
// --max-errors bad lines, then how many more there were.
func TestMaxErrors(t *testing.T) {
	lines := strings.SplitAfter(string(readFile(t, corpusProc)), "\n")
	input := lines[0] + strings.Repeat("tcp 6 garbage\n", 1000) + lines[1]
	for _, c := range []struct {
		args  []string
		shown int // bad lines reported
	}{
		{[]string{"check"}, 100},
		{[]string{"check", "--max-errors", "5"}, 5},
		{[]string{"check", "--max-errors", "0"}, 1000},
		{[]string{"check", "--max-errors", "1000"}, 1000},
		{[]string{"convert", "--keep-going"}, 100},
		{[]string{"convert", "--keep-going", "--max-errors", "7"}, 7},
		{[]string{"convert", "--keep-going", "--max-errors", "0"}, 1000},
	} {
		code, out, errs := ctconv(t, input, c.args...)
		shown := strings.Count(errs, "<stdin>:")
		more := "ctconv " + c.args[0] + ": ... and " + itoa(1000-c.shown) + " more bad lines, 1000 in all"
		if code != 1 || shown != c.shown || (c.shown < 1000) != strings.Contains(errs, more) {
			t.Errorf("%v: exit %d, %d bad lines shown, want %d and %q; stderr ends %q", c.args, code, shown, c.shown, more, errs[max(0, len(errs)-200):])
		}
		if c.args[0] == "check" && !strings.HasPrefix(out, "<stdin>: proc, 2 flows, 1000 bad lines") {
			t.Errorf("%v: stdout %q", c.args, out)
		}
	}
}

// TestBlankLines checks that blank lines in a text capture are not bad
// lines: a table pasted with an empty line after it converts, and a line
// followed by a million newlines checks at once, quietly.
func TestBlankLines(t *testing.T) {
	table := string(readFile(t, corpusProc))
	code, out, errs := ctconv(t, "\n"+table+"\n  \n", "convert")
	if code != 0 || out != table || errs != "" {
		t.Errorf("convert: exit %d, output equal %v, stderr %q", code, out == table, errs)
	}
	lines := strings.SplitAfter(table, "\n")
	start := time.Now()
	code, out, errs = ctconv(t, lines[0]+strings.Repeat("\n", 1<<20), "check")
	if code != 0 || out != "<stdin>: proc, 1 flow, 0 bad lines, 1048576 blank lines\n" || errs != "" {
		t.Errorf("check: exit %d, stdout %q, stderr %.200q", code, out, errs)
	}
	t.Logf("a line and 2^20 newlines: checked in %v", time.Since(start))
}

// TestLongLineExcerpt checks that a line too long to read, or a long line
// with a fault near its end, is reported with a bounded excerpt of it.
func TestLongLineExcerpt(t *testing.T) {
	good := strings.TrimSuffix(strings.SplitAfter(string(readFile(t, corpusProc)), "\n")[0], "\n")
	tooLong := good + strings.Repeat(" x=y", 50000) + "\n"
	longBad := strings.Replace(good, " use=", strings.Repeat(" x=y", 16000)+" use=-", 1) + "\n"
	for _, c := range []struct {
		name, input string
		args        []string
	}{
		{"convert, too long", tooLong, []string{"convert"}},
		{"check, too long", tooLong, []string{"check"}},
		{"diff, too long", tooLong, []string{"diff", "-", corpusProc}},
		{"convert, long and bad", longBad, []string{"convert"}},
		{"convert --keep-going, too long", tooLong + good + "\n", []string{"convert", "--keep-going"}},
	} {
		code, _, errs := ctconv(t, c.input, c.args...)
		if code == 0 || len(errs) > 2000 || !strings.Contains(errs, "<stdin>:1:") {
			t.Errorf("%s: exit %d, %d bytes of stderr:\n%.300s", c.name, code, len(errs), errs)
		}
	}
}

// TestLiveWatchOutput runs watch with its output /dev/full, and into a
// pipe whose reader has gone away: the first reports the write error with
// status 1, the second ends quietly with status 0, at the first event.
func TestLiveWatchOutput(t *testing.T) {
	l := newLab(t)
	bin := build(t)
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer full.Close()
	r, closed, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer closed.Close()
	for _, c := range []struct {
		name   string
		stdout *os.File
		code   int
		err    string
	}{
		{"/dev/full", full, 1, "ctconv watch: write: no space left on device\n"},
		{"closed pipe", closed, 0, ""},
	} {
		cmd := l.Command(bin, "watch")
		cmd.Stdout = c.stdout
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		subscribed(t, l, cmd)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := l.Insert(lab.Fixed()[:1]); err != nil { // an event
			t.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("%s: watch still runs after an event", c.name)
		}
		if code := cmd.ProcessState.ExitCode(); code != c.code || stderr.String() != c.err {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", c.name, code, stderr.String(), c.code, c.err)
		}
	}
}
