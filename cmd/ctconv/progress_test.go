package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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

// TestAppendProgress: the line, at the start, midway, past the size (a
// file that grew), and with no entries counted yet.
func TestAppendProgress(t *testing.T) {
	bar := func(full int) string { return strings.Repeat("█", full) + strings.Repeat(" ", barWidth-full) }
	for _, tc := range []struct {
		read, size, n int64
		elapsed       time.Duration
		want          string
	}{
		{0, 256 << 20, 0, 0, "\rconvert   0% |" + bar(0) + "| 0/256 MB\x1b[K"},
		{105 << 20, 256 << 20, 409600, time.Second, "\rconvert  41% |" + bar(12) + "| 105/256 MB, 409600 entries, 409600/s\x1b[K"},
		{300 << 20, 256 << 20, 1000, 2 * time.Second, "\rconvert 100% |" + bar(30) + "| 300/256 MB, 1000 entries, 500/s\x1b[K"},
		{5 << 20, 8 << 20, 7, 0, "\rconvert  62% |" + bar(18) + "| 5/8 MB, 7 entries, 7000/s\x1b[K"},
	} {
		if got := string(appendProgress(nil, "convert", tc.read, tc.size, tc.n, tc.elapsed)); got != tc.want {
			t.Errorf("appendProgress(%d, %d, %d, %v) =\n%q, want\n%q", tc.read, tc.size, tc.n, tc.elapsed, got, tc.want)
		}
	}
}

// TestProgressDraws: the line is drawn at once, then at most every redraw,
// by any of the goroutines that count, and finish clears it once; after
// finish nothing is drawn.
func TestProgressDraws(t *testing.T) {
	var w lockedBuffer
	p := &progress{w: &w, what: "check", size: 8 << 20, start: time.Now()}
	r := p.reader(strings.NewReader(strings.Repeat("x", 1<<20)))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				p.entries(64)
			}
		})
	}
	io.Copy(io.Discard, r)
	wg.Wait()
	drawn := strings.Count(w.String(), "\r")
	if drawn < 1 || time.Duration(drawn-1)*redraw > time.Since(p.start) {
		t.Errorf("%d lines drawn in %v", drawn, time.Since(p.start))
	}
	p.finish()
	p.finish()
	p.entries(1 << 12)
	out := w.String()
	if strings.Count(out, "\r\x1b[K") != 1 || !strings.HasSuffix(out, "\x1b[K\r\x1b[K") {
		t.Errorf("not cleared once at the end: %q", out[max(len(out)-80, 0):])
	}
	if !strings.Contains(out, "| 1/8 MB") && !strings.Contains(out, "| 0/8 MB") {
		t.Errorf("no bytes on the line: %q", out)
	}
	if n := p.n.Load(); n != 4*1000*64+1<<12 {
		t.Errorf("%d entries counted", n)
	}
}

// lockedBuffer is a bytes.Buffer that goroutines may write at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
