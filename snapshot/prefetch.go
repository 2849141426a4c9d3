package snapshot

import (
	"errors"
	"iter"

	"github.com/ctconv/ctconv/format"
)

// Scanned is a flow as an Input read it, with what its Scanner knew then:
// the conntrack options the input showed so far, and the line's number. A
// snapshot's flows have neither, but may come after gaps.
type Scanned struct {
	Flow    format.Flow
	Options format.Options
	Line    int
	// Gaps are those of a capture of events between the flow before and
	// this one (see Input.Gaps); the gaps after the last flow are the
	// Input's, once the loop has ended.
	Gaps []Gap
}

// A Prefetcher reads an Input's flows on a goroutine of its own, a batch
// at a time, so that parsing or decoding runs on one core while the caller
// works on another. Flows come in their order.
type Prefetcher struct {
	full, free chan *scanBatch
	resume     chan struct{} // the loop goes on after an error
	done       chan struct{}
	cur        *scanBatch
	i, bad     int  // the next flow and bad line of cur
	waiting    bool // the reading goroutine waits on resume
}

// A scanBatch is flows read, and the error after them, if any: the
// reading goroutine then waits to be told to go on, so that a loop that
// stops at a bad line reads no further. The last batch says so. Bad lines
// that the reading skips are kept apart, to come before the flows.
type scanBatch struct {
	recs [256]Scanned
	n    int
	bad  []error
	err  error
	last bool
}

// Prefetch starts reading the input's flows, those filter selects if it
// is not nil (as in.Match says). The Prefetcher must be read to the end of its loop, or
// stopped. A bad line stops the reading until the loop goes on after its
// error, unless skipBad: then the reading skips it, and its error comes
// ahead of the flows, before those read with it, a batch of up to 256 at
// a time, as a report of bad lines while the input is read.
func (in *Input) Prefetch(filter *format.Filter, skipBad bool) *Prefetcher {
	p := &Prefetcher{full: make(chan *scanBatch, 2), free: make(chan *scanBatch, 4),
		resume: make(chan struct{}), done: make(chan struct{})}
	for range 4 {
		p.free <- new(scanBatch)
	}
	go p.read(in, filter, skipBad)
	return p
}

func (p *Prefetcher) read(in *Input, filter *format.Filter, skipBad bool) {
	defer close(p.full)
	r := in.records()
	b := p.take()
	if b == nil {
		return
	}
	gaps := 0 // the gaps handed out
	for f, err := range r.flows() {
		if err != nil && skipBad && badLine(err) {
			b.bad = append(b.bad, err)
			continue
		}
		if err == nil {
			if !in.Match(filter, f) {
				continue
			}
			rec := &b.recs[b.n]
			rec.Flow = *f
			rec.Options, rec.Line = r.position()
			all := r.gaps()
			rec.Gaps, gaps = all[gaps:len(all):len(all)], len(all)
			if b.n++; b.n < len(b.recs) {
				continue
			}
		}
		b.err = err
		if !p.send(b) {
			return
		}
		if err != nil {
			select {
			case <-p.resume:
			case <-p.done:
				return
			}
		}
		if b = p.take(); b == nil {
			return
		}
	}
	b.last = true
	p.send(b)
}

// take returns a free batch, emptied, or nil if the Prefetcher was stopped.
func (p *Prefetcher) take() *scanBatch {
	select {
	case b := <-p.free:
		b.n, b.bad, b.err, b.last = 0, b.bad[:0], nil, false
		return b
	case <-p.done:
		return nil
	}
}

// send hands b to the loop, and reports false if the Prefetcher was
// stopped.
func (p *Prefetcher) send(b *scanBatch) bool {
	select {
	case p.full <- b:
		return true
	case <-p.done:
		return false
	}
}

// Flows returns an iterator over the flows, each valid until the
// iteration after the next, and the Input's errors, as Input.Flows yields
// them: the loop may go on after a bad line. The loop's end, by a break
// too, stops the Prefetcher.
//
//	p := in.Prefetch(nil, false)
//	for rec, err := range p.Flows() {
//		if err != nil {
//			return err
//		}
//		// use rec.Flow
//	}
func (p *Prefetcher) Flows() iter.Seq2[*Scanned, error] {
	return func(yield func(*Scanned, error) bool) {
		defer p.Stop()
		for {
			rec, err := p.next()
			if rec == nil && err == nil || !yield(rec, err) {
				return
			}
		}
	}
}

// next returns the next flow, valid until the call after the next, or the
// error after the flows before it; nil and nil at the end of the flows.
// After an error, the call that follows goes on with the flows after it.
func (p *Prefetcher) next() (*Scanned, error) {
	if p.cur != nil && p.bad < len(p.cur.bad) {
		p.bad++
		return nil, p.cur.bad[p.bad-1]
	}
	for p.cur == nil || p.i == p.cur.n {
		if b := p.cur; b != nil {
			p.cur = nil
			p.free <- b
			if b.last {
				return nil, nil
			}
			if b.err != nil {
				p.waiting = true
				return nil, b.err
			}
		}
		if p.waiting {
			p.waiting = false
			p.resume <- struct{}{}
		}
		b, ok := <-p.full
		if !ok {
			return nil, nil
		}
		p.cur, p.i, p.bad = b, 0, 0
		if len(b.bad) > 0 {
			p.bad++
			return nil, b.bad[0]
		}
	}
	p.i++
	return &p.cur.recs[p.i-1], nil
}

// Stop ends the reading goroutine and waits for it; after the end of the
// flows it does nothing.
func (p *Prefetcher) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	close(p.done)
	for range p.full {
	}
}

// badLine reports whether err is a bad line's, which a loop may skip.
func badLine(err error) bool {
	var pe *format.ParseError
	return errors.As(err, &pe)
}
