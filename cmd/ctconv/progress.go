package main

import (
	"io"
	"math"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// progress shows a long run's progress on standard error, when that is a
// terminal: a line with a bar over the bytes of the inputs read, the time
// left, and the entries read and their rate, drawn again at most ten
// times a second, within the terminal's width, and cleared once the
// inputs are read to their size, or at the end. A nil progress shows
// nothing, so callers need not ask. Goroutines reading at once may count
// on it.
type progress struct {
	t     *termLine
	what  string
	size  int64
	width int // the terminal's columns
	start time.Time
	since func(time.Time) time.Duration // time.Since, or a test's clock
	read  atomic.Int64                  // bytes
	n     atomic.Int64                  // entries
	next  atomic.Int64                  // when to draw next, in nanoseconds after start
	mu    sync.Mutex                    // held to draw
	line  []byte
}

// minProgress is the input size below which a run is too short to show.
const minProgress = 4 << 20

// redraw is the least time between two drawings of the line.
const redraw = 100 * time.Millisecond

// newProgress returns a progress of inputs totalling size bytes, or nil
// when stderr is not a terminal (a termLine) or the run will be short.
func newProgress(stderr io.Writer, size int64, what string) *progress {
	tw, ok := stderr.(interface{ terminal() *termLine })
	if size < minProgress || !ok {
		return nil
	}
	t := tw.terminal()
	if t == nil {
		return nil
	}
	width := 80
	if w, _, err := term.GetSize(int(t.Fd())); err == nil && w > 0 {
		width = w
	}
	return &progress{t: t, what: what, size: size, width: width, start: time.Now(), since: time.Since}
}

// termLine is standard error where it is a terminal (main), whose last row
// a progress line may hold: a message written to it clears the row first,
// and the progress line comes back at its next drawing.
type termLine struct {
	w    io.Writer
	mu   sync.Mutex
	held bool // the row holds a progress line
}

func (t *termLine) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clearHeld()
	return t.w.Write(b)
}

// Fd is the terminal's, for its width; ^uintptr(0), no descriptor, where
// it is not a file.
func (t *termLine) Fd() uintptr {
	if f, ok := t.w.(interface{ Fd() uintptr }); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}

func (t *termLine) terminal() *termLine { return t }

// show writes a progress line, drawn from the row's start.
func (t *termLine) show(line []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.w.Write(line)
	t.held = true
}

// clear clears the row of the progress line it holds, if any.
func (t *termLine) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clearHeld()
}

func (t *termLine) clearHeld() {
	if t.held {
		io.WriteString(t.w, "\r\x1b[K")
		t.held = false
	}
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
	if c.p.read.Add(int64(n)) >= c.p.size {
		c.p.finish() // before what the command prints at the end
	} else {
		c.p.draw()
	}
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
	now := p.since(p.start)
	if int64(now) < p.next.Load() || !p.mu.TryLock() {
		return
	}
	defer p.mu.Unlock()
	if int64(now) < p.next.Load() { // drawn meanwhile, or finished
		return
	}
	p.next.Store(int64(now + redraw))
	p.line = appendProgress(append(p.line[:0], '\r'), p.what, p.read.Load(), p.size, p.n.Load(), now, p.width)
	p.t.show(p.line)
}

// finish clears the line, and draws it no more.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next.Store(math.MaxInt64)
	p.t.clear()
}

// barWidth is the cells of the bar where the terminal has room.
const barWidth = 30

// appendProgress appends the line of a run named what that has read
// `read` bytes of size, and n entries, in elapsed, fitted to a terminal
// of width columns, and the escape that clears the terminal's line past
// it; on 80 columns:
//
//	check   41% |███████            | 105/256 MB, 1s left, 409600 entries, 409600/s
//
// Where the line is too wide, the bar shrinks to 10 cells, then the name
// goes, or the entries where they do not fit either, or both, and then
// the bar.
func appendProgress(dst []byte, what string, read, size, n int64, elapsed time.Duration, width int) []byte {
	read = min(max(read, 0), size)
	pct := strconv.FormatInt(read*100/max(size, 1), 10)
	amount := strconv.FormatInt(read/1e6, 10) + "/" + strconv.FormatInt(size/1e6, 10) + " MB"
	if read > 0 && elapsed >= time.Second { // before, the rate says little
		left := time.Duration(float64(elapsed) * float64(size-read) / float64(read))
		amount += ", " + left.Round(time.Second).String() + " left"
	}
	var entries string
	if n > 0 {
		entries = ", " + strconv.FormatInt(n, 10) + " entries, " + strconv.FormatInt(int64(float64(n)/max(elapsed.Seconds(), 1e-3)), 10) + "/s"
	}
	// The line keeps one column short of width, that the terminal does
	// not wrap it, and what it can of the name and the entries, the
	// entries first, with a bar of 10 cells at least.
	bar := 0
	for _, keep := range [...]struct{ name, entries bool }{{true, true}, {false, true}, {true, false}, {false, false}} {
		cols := 6 + 3 + len(amount) // the percentage, the bar's ends, the amount
		if keep.name {
			cols += utf8.RuneCountInString(what) + 1
		}
		if keep.entries {
			cols += len(entries)
		}
		if bar = min(barWidth, width-1-cols); bar >= 10 || !keep.name && !keep.entries {
			if !keep.name {
				what = ""
			}
			if !keep.entries {
				entries = ""
			}
			break
		}
	}
	if what != "" {
		dst = append(append(dst, what...), ' ')
	}
	dst = append(append(dst, "   "[min(len(pct)-1, 3):]...), pct...)
	dst = append(dst, "% "...)
	if bar > 0 {
		full := int(read * int64(bar) / max(size, 1))
		dst = append(dst, '|')
		for i := range bar {
			if i < full {
				dst = append(dst, "█"...)
			} else {
				dst = append(dst, ' ')
			}
		}
		dst = append(dst, "| "...)
	}
	dst = append(append(dst, amount...), entries...)
	return append(dst, "\x1b[K"...)
}

// fileSize returns the size of a regular file, 0 for anything else.
func fileSize(f *os.File) int64 {
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		return fi.Size()
	}
	return 0
}
