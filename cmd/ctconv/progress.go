package main

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress shows a long run's progress on standard error, when that is a
// terminal: a bar over the bytes of the inputs read, and the entries a
// second. A nil progress shows nothing, so callers need not ask.
type progress struct {
	bar   *progressbar.ProgressBar
	start time.Time
	n     atomic.Int64 // entries, which goroutines reading at once add to
}

// minProgress is the input size below which a run is too short to show.
const minProgress = 4 << 20

// newProgress returns a progress of inputs totalling size bytes, or nil
// when stderr is not a terminal or the run will be short.
func newProgress(stderr io.Writer, size int64, what string) *progress {
	if size < minProgress || !isTerminal(stderr) {
		return nil
	}
	return &progress{start: time.Now(), bar: progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionUseANSICodes(true),
	)}
}

// reader counts the bytes read from r on the bar.
func (p *progress) reader(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	return &countingReader{r: r, bar: p.bar}
}

type countingReader struct {
	r   io.Reader
	bar *progressbar.ProgressBar
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.bar.Add64(int64(n))
	return n, err
}

// entries counts k entries; the rate shows every few thousand.
func (p *progress) entries(k int) {
	if p == nil {
		return
	}
	if n := p.n.Add(int64(k)); n>>12 != (n-int64(k))>>12 {
		p.bar.Describe(fmt.Sprintf("%d entries, %.0f/s", n, float64(n)/time.Since(p.start).Seconds()))
	}
}

// finish clears the bar.
func (p *progress) finish() {
	if p != nil {
		p.bar.Finish()
	}
}

// fileSize returns the size of a regular file, 0 for anything else.
func fileSize(f *os.File) int64 {
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		return fi.Size()
	}
	return 0
}
