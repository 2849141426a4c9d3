package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/gen"
)

// TestProgress converts a gzip-compressed capture of a million flows on a
// terminal, which script(1) provides: a progress bar with the entries a
// second shows on it. Piped, the same run shows nothing.
func TestProgress(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a capture of a million flows")
	}
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to give ctconv a terminal (apt-get install bsdutils)")
	}
	bin := build(t)
	dir := t.TempDir()
	capture := filepath.Join(dir, "table.txt.gz")
	f, _ := os.Create(capture)
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	bw := bufio.NewWriterSize(zw, 1<<16)
	w := format.NewWriter(bw, format.Dialect{Format: format.Proc})
	g := gen.New(1)
	var fl format.Flow
	for range 1000000 {
		g.Flow(&fl)
		w.Write(&fl)
	}
	bw.Flush()
	zw.Close()
	f.Close()

	out := filepath.Join(dir, "table.json")
	term, err := exec.Command(script, "-qec", bin+" convert --to json -o "+out+" "+capture, "/dev/null").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, term)
	}
	if !bytes.Contains(term, []byte("entries, ")) || !bytes.Contains(term, []byte("/s")) || !bytes.Contains(term, []byte("%")) {
		t.Errorf("no progress bar on the terminal:\n%q", term[:min(len(term), 400)])
	}
	if n := bytes.Count(readFile(t, out), []byte("\n")); n != 1000000 {
		t.Errorf("converted %d flows", n)
	}

	var stderr bytes.Buffer
	cmd := exec.Command(bin, "convert", "--to", "json", "-o", out, capture)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("piped: %v, stderr %q", err, strings.TrimSpace(stderr.String()))
	}
}

// TestAppendProgress: the line at the start, midway, past the size (a
// file that grew), and on terminals too narrow for all of it.
func TestAppendProgress(t *testing.T) {
	bar := func(full, cells int) string {
		return "|" + strings.Repeat("█", full) + strings.Repeat(" ", cells-full) + "| "
	}
	for _, tc := range []struct {
		what          string
		read, size, n int64
		elapsed       time.Duration
		width         int
		want          string
	}{
		{"check", 0, 256e6, 0, 0, 80, "check    0% " + bar(0, 30) + "0/256 MB"},
		{"check", 105e6, 256e6, 409600, time.Second, 120, "check   41% " + bar(12, 30) + "105/256 MB, 1s left, 409600 entries, 409600/s"},
		{"check", 300e6, 256e6, 1000, 2 * time.Second, 120, "check  100% " + bar(30, 30) + "256/256 MB, 0s left, 1000 entries, 500/s"},
		{"convert", 29, 100, 7, time.Second / 2, 120, "convert   29% " + bar(8, 30) + "0/0 MB, 7 entries, 14/s"},
		// 80 columns: the bar shrinks to fit, one column to spare.
		{"check", 105e6, 256e6, 409600, time.Second, 80, "check   41% " + bar(7, 19) + "105/256 MB, 1s left, 409600 entries, 409600/s"},
		// A long name goes before the entries; narrower, the entries go
		// and the name comes back; narrower still, both go.
		{"/var/tmp/captures/node-17/table.txt", 105e6, 256e6, 409600, time.Second, 80, "  41% " + bar(10, 25) + "105/256 MB, 1s left, 409600 entries, 409600/s"},
		{"check", 105e6, 256e6, 409600, time.Second, 60, "check   41% " + bar(10, 25) + "105/256 MB, 1s left"},
		{"/var/tmp/captures/node-17/table.txt", 105e6, 256e6, 409600, time.Second, 60, "  41% " + bar(12, 30) + "105/256 MB, 1s left"},
		// Narrower still: the bar goes.
		{"check", 105e6, 256e6, 409600, time.Second, 25, "  41% 105/256 MB, 1s left"},
	} {
		got := string(appendProgress(nil, tc.what, tc.read, tc.size, tc.n, tc.elapsed, tc.width))
		if want := tc.want + "\x1b[K"; got != want {
			t.Errorf("appendProgress(%q, %d, %d, %d, %v, %d) =\n%q, want\n%q", tc.what, tc.read, tc.size, tc.n, tc.elapsed, tc.width, got, want)
		}
		if cols := utf8.RuneCountInString(strings.TrimSuffix(got, "\x1b[K")); cols >= tc.width && tc.width >= 40 {
			t.Errorf("%q: %d columns on a terminal of %d", got, cols, tc.width)
		}
	}
}

// TestProgressDraws: the line is drawn at once, and again once redraw has
// passed, by any of the goroutines that count; it is cleared once, when
// the inputs are read to their size, and then drawn no more.
func TestProgressDraws(t *testing.T) {
	var buf bytes.Buffer
	tl := &termLine{w: &buf}
	written := func() string {
		tl.mu.Lock()
		defer tl.mu.Unlock()
		return buf.String()
	}
	const size = 1 << 20
	p := newProgress(&lockedWriter{w: tl}, size*8, "check") // as convert wraps its standard error
	p.size, p.width = size, 100
	var clock atomic.Int64 // the time since start, which the test moves on
	p.since = func(time.Time) time.Duration { return time.Duration(clock.Load()) }
	input := strings.NewReader(strings.Repeat("x", size))
	r := p.reader(input)
	count := func() {
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 64 {
					p.entries(64)
				}
			})
		}
		wg.Wait()
	}
	count()
	if got := strings.Count(written(), "\r"); got != 1 {
		t.Fatalf("%d lines drawn at first, want 1: %q", got, written())
	}
	clock.Add(int64(redraw))
	io.CopyN(io.Discard, r, size/2)
	if got := strings.Count(written(), "\r"); got != 2 || !strings.Contains(written(), "16384 entries") {
		t.Fatalf("%d lines drawn after %v, want 2, the second with the entries: %q", got, redraw, written())
	}
	io.Copy(io.Discard, r) // to the size: cleared
	if out := written(); !strings.HasSuffix(out, "\x1b[K\r\x1b[K") {
		t.Errorf("not cleared once read to the size: %q", out[max(len(out)-80, 0):])
	}
	clock.Add(int64(redraw))
	p.entries(1 << 12)
	p.finish()
	out := written()
	if strings.Count(out, "\r\x1b[K") != 1 || !strings.HasSuffix(out, "\x1b[K\r\x1b[K") {
		t.Errorf("not cleared once, at the end: %q", out[max(len(out)-80, 0):])
	}
	if n := p.n.Load(); n != 4*64*64+1<<12 {
		t.Errorf("%d entries counted", n)
	}
}

// TestProgressMessages: a message written to standard error while the
// progress line is shown clears the line first, and the line comes back
// at its next drawing; where a message cleared it last, the end clears
// nothing more.
func TestProgressMessages(t *testing.T) {
	var buf bytes.Buffer
	tl := &termLine{w: &buf}
	p := newProgress(tl, 8<<20, "check")
	p.width = 100
	p.draw()
	fmt.Fprintln(tl, "capture.txt:7:1: a bad line")
	time.Sleep(redraw + 10*time.Millisecond)
	p.draw()
	fmt.Fprintln(tl, "capture.txt:9:1: another")
	p.finish()
	line := "\rcheck    0% |" + strings.Repeat(" ", barWidth) + "| 0/8 MB\x1b[K"
	clear := "\r\x1b[K"
	if got, want := buf.String(), line+clear+"capture.txt:7:1: a bad line\n"+line+clear+"capture.txt:9:1: another\n"; got != want {
		t.Errorf("standard error:\n%q, want\n%q", got, want)
	}
	if newProgress(&buf, 8<<20, "check") != nil {
		t.Error("a progress line on standard error that is no terminal")
	}
}
