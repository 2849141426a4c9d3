package main

import (
	"errors"
	"io"
	"os"
	"sync"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

// scanned is a flow as the input read it, with what the scanner knew then.
type scanned struct {
	f    format.Flow
	opts format.Options // conntrack's -o options the input showed so far
	cr   bool           // the line ended with CR LF
	line int
}

type scanBatch struct {
	recs [256]scanned
	n    int
}

// flowReader reads an input's flows on a goroutine of its own, so that
// parsing and printing share the machine's cores; the flows come out in
// their order.
type flowReader struct {
	full, free chan *scanBatch
	done       chan struct{}
	cur        *scanBatch
	i          int
}

func newFlowReader(in *snapshot.Input) *flowReader {
	r := &flowReader{full: make(chan *scanBatch, 2), free: make(chan *scanBatch, 4), done: make(chan struct{})}
	for range 4 {
		r.free <- new(scanBatch)
	}
	go func() {
		defer close(r.full)
		for {
			var b *scanBatch
			select {
			case b = <-r.free:
			case <-r.done:
				return
			}
			b.n = 0
			for b.n < len(b.recs) {
				rec := &b.recs[b.n]
				if !in.Scan(&rec.f) {
					break
				}
				if in.Scanner != nil {
					rec.opts, rec.cr, rec.line = in.Scanner.Options(), in.Scanner.CR(), in.Scanner.Line()
				}
				b.n++
			}
			last := b.n < len(b.recs)
			select {
			case r.full <- b:
			case <-r.done:
				return
			}
			if last {
				return
			}
		}
	}()
	return r
}

// next returns the next flow, valid until the call after the next, or nil
// at the end of the input, when the reading goroutine has ended.
func (r *flowReader) next() *scanned {
	for r.cur == nil || r.i == r.cur.n {
		if r.cur != nil {
			r.free <- r.cur
		}
		b, ok := <-r.full
		if !ok {
			return nil
		}
		r.cur, r.i = b, 0
	}
	r.i++
	return &r.cur.recs[r.i-1]
}

// stop ends the goroutine, if the reader is left before the end, and waits
// for it.
func (r *flowReader) stop() {
	close(r.done)
	for range r.full {
	}
}

// lockedWriter serialises the writes of goroutines to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Stat answers for the writer underneath, so that isTerminal sees through.
func (l *lockedWriter) Stat() (os.FileInfo, error) {
	if s, ok := l.w.(interface{ Stat() (os.FileInfo, error) }); ok {
		return s.Stat()
	}
	return nil, errors.New("not a file")
}
