package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// tool returns the path of a compression tool of Debian's package pkg,
// skipping the test without it (CTCONV_LIVE=1, as in CI, makes that a
// failure).
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CTCONV_LIVE") == "1" {
			t.Fatalf("no %s: apt-get install %s", name, pkg)
		}
		t.Skipf("no %s (apt-get install %s)", name, pkg)
	}
	return path
}

// TestCompressionTools reads what the compression tools write through a
// pipe, where zstd cannot fit its window to the input: bzip2's, and each
// level and mode of zstd's and pzstd's that zstd -d decompresses by
// default, read as the capture does. A zstd window beyond that is refused
// with the limit and the way around it, not as damage; xz, lz4 and zip
// are named, with the command that decompresses each.
func TestCompressionTools(t *testing.T) {
	t.Parallel()
	data := readFile(t, "../../testdata/corpus/conntrack-L.txt")
	want := fmt.Sprintf("<stdin>: conntrack, %d flows, 0 bad lines\n", bytes.Count(data, []byte("\n")))
	for _, c := range []struct {
		tool, pkg string
		args      []string
		err       string // what ctconv check says, if it does not read it
	}{
		{"zstd", "zstd", []string{"-q", "-c", "-19"}, ""},
		{"zstd", "zstd", []string{"-q", "-c", "--ultra", "-20"}, ""},
		{"zstd", "zstd", []string{"-q", "-c", "--ultra", "-22"}, ""},
		{"zstd", "zstd", []string{"-q", "-c", "--long"}, ""},
		{"zstd", "zstd", []string{"-q", "-c", "--long=27", "-1"}, ""},
		{"pzstd", "zstd", []string{"-q", "-c", "-p", "2"}, ""},
		{"zstd", "zstd", []string{"-q", "-c", "--long=28"}, "zstd -d --long=31"},
		{"bzip2", "bzip2", []string{"-c"}, ""},
		{"xz", "xz-utils", []string{"-c"}, "xz: ctconv reads inputs compressed with gzip, zstd or bzip2, not xz: decompress it first, with xz -dc"},
		{"lz4", "lz4", []string{"-c"}, "with lz4 -dc"},
		{"zip", "zip", []string{"-q", "-", "-"}, "with unzip -p"},
	} {
		cmd := exec.Command(tool(t, c.tool, c.pkg), c.args...)
		cmd.Stdin = io.MultiReader(bytes.NewReader(data)) // a pipe: the tool does not see the size
		compressed, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v", c.tool, c.args, err)
		}
		code, out, errs := ctconv(t, string(compressed), "check", "-")
		switch {
		case c.err == "" && (code != 0 || out != want):
			t.Errorf("%s %v: exit %d, %q, stderr %q", c.tool, c.args, code, out, errs)
		case c.err != "" && (code != 1 || !strings.Contains(errs, c.err) || strings.Contains(errs, "damaged")):
			t.Errorf("%s %v: exit %d, stderr %q; want 1 and %q", c.tool, c.args, code, errs, c.err)
		}
	}
}

// TestZstdLongMemory reads 256 MiB of text that zstd --long compressed
// with a window of 128 MiB: the process's peak memory is about the
// window, not the input (140 MiB measured, against 10 MiB for zstd -3).
func TestZstdLongMemory(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("256 MiB of text")
	}
	zstd := tool(t, "zstd", "zstd")
	gnuTime, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		t.Skip("no /usr/bin/time (apt-get install time)")
	}
	line := strings.SplitAfter(string(readFile(t, "../../testdata/corpus/conntrack-L.txt")), "\n")[0]
	n := 256 << 20 / len(line)
	zst := bytes.Buffer{}
	cmd := exec.Command(zstd, "-q", "-c", "--long", "-1")
	cmd.Stdin = io.LimitReader(&repeater{s: line}, int64(n*len(line)))
	cmd.Stdout = &zst
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd = exec.Command(gnuTime, "-f", "peak %M KiB", build(t), "check", "-")
	cmd.Stdin, cmd.Stderr = &zst, &stderr
	out, err := cmd.Output()
	if want := fmt.Sprintf("<stdin>: conntrack, %d flows, 0 bad lines\n", n); err != nil || string(out) != want {
		t.Fatalf("%v: %q, stderr %.500q", err, out, stderr.String())
	}
	var kib int
	msg := stderr.String()
	if _, err := fmt.Sscanf(msg[strings.LastIndex(msg, "peak "):], "peak %d KiB", &kib); err != nil || kib > 192<<10 {
		t.Errorf("peak memory %d KiB (%v), want under 192 MiB", kib, err)
	}
	t.Logf("peak memory %d MiB", kib>>10)
}

// repeater repeats s without end.
type repeater struct {
	s   string
	off int
}

func (r *repeater) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.off:])
		n, r.off = n+c, (r.off+c)%len(r.s)
	}
	return n, nil
}
