package snapshot

import (
	"errors"
	"iter"
	"sync"
	"sync/atomic"

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
	onWait     func()

	// A Prefetcher with workers (prefetch) hands each batch to them too,
	// to run work on it before the loop takes it, in order still.
	workers int
	jobs    chan *scanBatch
	work    atomic.Pointer[func(worker int, b *scanBatch)]
	working sync.WaitGroup
}

// A scanBatch is flows read, and the error after them, if any: the
// reading goroutine then waits to be told to go on, so that a loop that
// stops at a bad line reads no further. The last batch says so. Bad lines
// that the reading skips are kept apart, to come before the flows.
type scanBatch struct {
	recs [scanLen]Scanned
	n    int
	bad  []error
	err  error
	last bool

	ready  chan struct{} // a worker is done with the batch
	worked bool          // the work was run on the batch
	ahead  *ahead        // what a join's work made of it
}

// scanLen is the most flows a scanBatch holds.
const scanLen = 256

// Prefetch starts reading the input's flows, those filter selects if it
// is not nil (as in.Match says). The Prefetcher must be read to the end of its loop, or
// stopped. A bad line stops the reading until the loop goes on after its
// error, unless skipBad: then the reading skips it, and its error comes
// ahead of the flows, before those read with it, a batch of up to 256 at
// a time, as a report of bad lines while the input is read.
func (in *Input) Prefetch(filter *format.Filter, skipBad bool) *Prefetcher {
	return in.prefetch(prefetching{filter: filter, skipBad: skipBad})
}

// prefetching says what a Prefetcher reads, and how.
type prefetching struct {
	filter  *format.Filter
	skipBad bool
	// workers are goroutines that run the work that setWork sets on each
	// batch, after it is read and before the loop takes it, so that the
	// loop takes on its own core only what must be done in order. Each
	// has twice a batch, so that they go on while the loop takes what
	// they made.
	workers int
	// flowsOnly leaves out of each Scanned all but its flow: its options,
	// line and gaps, which a Diff does not read.
	flowsOnly bool
}

// prefetch is Prefetch as how says.
func (in *Input) prefetch(how prefetching) *Prefetcher {
	workers := how.workers
	batches := 4 + 2*workers
	p := &Prefetcher{full: make(chan *scanBatch, batches-2), free: make(chan *scanBatch, batches),
		resume: make(chan struct{}), done: make(chan struct{}), workers: workers}
	for range batches {
		p.free <- &scanBatch{ready: make(chan struct{}, 1)}
	}
	if workers > 0 {
		p.jobs = make(chan *scanBatch, batches)
		p.working.Add(workers)
		for w := range workers {
			go p.run(w)
		}
	}
	go p.read(in, how)
	return p
}

// setWork makes the workers run work on each batch the loop has not taken
// yet; on those that a worker had before, the loop runs it as it takes
// them, and on the batch it is on now, at once, as worker number
// workers. The work must not change what the loop reads of the batch, but
// what it makes of it (scanBatch.ahead).
func (p *Prefetcher) setWork(work func(worker int, b *scanBatch)) {
	p.work.Store(&work)
	if p.cur != nil && !p.cur.worked {
		p.doWork(p.workers, p.cur)
	}
}

// doWork runs the work, if set, on b, as worker w.
func (p *Prefetcher) doWork(w int, b *scanBatch) {
	if work := p.work.Load(); work != nil {
		(*work)(w, b)
		b.worked = true
	}
}

// run is a worker's loop.
func (p *Prefetcher) run(w int) {
	defer p.working.Done()
	for b := range p.jobs {
		p.doWork(w, b)
		b.ready <- struct{}{}
	}
}

func (p *Prefetcher) read(in *Input, how prefetching) {
	defer close(p.full)
	if p.jobs != nil {
		defer close(p.jobs)
	}
	r := in.records()
	b := p.take()
	if b == nil {
		return
	}
	// Where the input paused, the flows read so far go to the loop
	// rather than wait for the batch to fill.
	in.idle = func() {
		if b == nil || b.n == 0 && len(b.bad) == 0 {
			return
		}
		if p.send(b) {
			b = p.take()
		} else {
			b = nil
		}
	}
	defer func() { in.idle = nil }()
	gaps := 0 // the gaps handed out
	for f, err := range r.flows() {
		if b == nil {
			return // stopped where the input paused
		}
		if err != nil && how.skipBad && badLine(err) {
			b.bad = append(b.bad, err)
			continue
		}
		if err == nil {
			if !in.Match(how.filter, f) {
				continue
			}
			rec := &b.recs[b.n]
			rec.Flow = *f
			if !how.flowsOnly {
				rec.Options, rec.Line = r.position()
				all := r.gaps()
				rec.Gaps, gaps = all[gaps:len(all):len(all)], len(all)
			}
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
	if b != nil {
		b.last = true
		p.send(b)
	}
}

// take returns a free batch, emptied, or nil if the Prefetcher was stopped.
func (p *Prefetcher) take() *scanBatch {
	select {
	case b := <-p.free:
		b.n, b.bad, b.err, b.last, b.worked = 0, b.bad[:0], nil, false, false
		return b
	case <-p.done:
		return nil
	}
}

// send hands b to the loop, and to the workers if there are, and reports
// false if the Prefetcher was stopped.
func (p *Prefetcher) send(b *scanBatch) bool {
	if p.jobs != nil {
		p.jobs <- b // never full: it has room for every batch
	}
	select {
	case p.full <- b:
		return true
	case <-p.done:
		return false
	}
}

// OnWait sets fn to run on the loop's goroutine whenever the loop is
// about to wait for flows not read yet. A loop that writes the flows to a
// buffer flushes it there, so that the flows of a live stream come out as
// they come in: the reading hands on the flows of a stream that paused
// (format.WithIdle) without waiting for a batch to fill.
func (p *Prefetcher) OnWait(fn func()) { p.onWait = fn }

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
		var b *scanBatch
		var ok bool
		select {
		case b, ok = <-p.full:
		default:
			if p.onWait != nil {
				p.onWait()
			}
			b, ok = <-p.full
		}
		if !ok {
			return nil, nil
		}
		if p.jobs != nil {
			<-b.ready
			if !b.worked {
				p.doWork(p.workers, b)
			}
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

// Stop ends the reading goroutine and waits for it, and for the workers;
// after the end of the flows it does nothing.
func (p *Prefetcher) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	close(p.done)
	for range p.full {
	}
	p.working.Wait()
}

// at returns the batch of the flow that next returned last, and the
// flow's index in it.
func (p *Prefetcher) at() (*scanBatch, int) { return p.cur, p.i - 1 }

// badLine reports whether err is a bad line's, which a loop may skip.
func badLine(err error) bool {
	var pe *format.ParseError
	return errors.As(err, &pe)
}
