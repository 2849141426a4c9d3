package main

import (
	"io"
	"math"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// progress shows a long run's progress on standard error, when that is a
// terminal: a line with a bar over the bytes of the inputs read, and the
// entries read and their rate, drawn again at most ten times a second and
// cleared at the end. A nil progress shows nothing, so callers need not
// ask. Goroutines reading at once may count on it.
type progress struct {
	w     io.Writer
	what  string
	size  int64
	start time.Time
	read  atomic.Int64 // bytes
	n     atomic.Int64 // entries
	next  atomic.Int64 // when to draw next, in nanoseconds after start
	mu    sync.Mutex   // held to draw
	line  []byte
	drawn bool
}

// minProgress is the input size below which a run is too short to show.
const minProgress = 4 << 20

// redraw is the least time between two drawings of the line.
const redraw = 100 * time.Millisecond

// newProgress returns a progress of inputs totalling size bytes, or nil
// when stderr is not a terminal or the run will be short.
func newProgress(stderr io.Writer, size int64, what string) *progress {
	if size < minProgress || !isTerminal(stderr) {
		return nil
	}
	return &progress{w: stderr, what: what, size: size, start: time.Now()}
}

// reader counts the bytes read from r.
func (p *progress) reader(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	return &countingReader{r: r, p: p}
}

type countingReader struct {
	r io.Reader
	p *progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.read.Add(int64(n))
	c.p.draw()
	return n, err
}

// entries counts k entries.
func (p *progress) entries(k int) {
	if p == nil {
		return
	}
	if n := p.n.Add(int64(k)); n>>12 != (n-int64(k))>>12 { // a look at the clock every few thousand
		p.draw()
	}
}

// draw draws the line if it is time to, unless another goroutine does.
func (p *progress) draw() {
	now := time.Since(p.start)
	if int64(now) < p.next.Load() || !p.mu.TryLock() {
		return
	}
	defer p.mu.Unlock()
	if int64(now) < p.next.Load() { // drawn meanwhile, or finished
		return
	}
	p.next.Store(int64(now + redraw))
	p.line = appendProgress(p.line[:0], p.what, p.read.Load(), p.size, p.n.Load(), now)
	p.w.Write(p.line)
	p.drawn = true
}

// finish clears the line, and draws it no more.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next.Store(math.MaxInt64)
	if p.drawn {
		io.WriteString(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// barWidth is the cells of the bar.
const barWidth = 30

// appendProgress appends the line of a run named what that has read read
// bytes of size, and n entries, in elapsed: from the start of the
// terminal's line, which it clears past its end.
//
//	convert  41% |████████████                  | 105/256 MB, 409600 entries, 392456/s
func appendProgress(dst []byte, what string, read, size, n int64, elapsed time.Duration) []byte {
	done := float64(min(max(read, 0), size)) / float64(max(size, 1))
	dst = append(append(dst, '\r'), what...)
	pct := strconv.Itoa(int(done * 100))
	dst = append(dst, "    "[len(pct):]...)
	dst = append(append(dst, pct...), "% |"...)
	full := int(done * barWidth)
	for i := range barWidth {
		if i < full {
			dst = append(dst, "█"...)
		} else {
			dst = append(dst, ' ')
		}
	}
	dst = append(dst, "| "...)
	dst = strconv.AppendInt(dst, read>>20, 10)
	dst = append(dst, '/')
	dst = strconv.AppendInt(dst, size>>20, 10)
	dst = append(dst, " MB"...)
	if n > 0 {
		dst = append(dst, ", "...)
		dst = strconv.AppendInt(dst, n, 10)
		dst = append(dst, " entries, "...)
		dst = strconv.AppendInt(dst, int64(float64(n)/max(elapsed.Seconds(), 1e-3)), 10)
		dst = append(dst, "/s"...)
	}
	return append(dst, "\x1b[K"...)
}

// fileSize returns the size of a regular file, 0 for anything else.
func fileSize(f *os.File) int64 {
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		return fi.Size()
	}
	return 0
}
