package snapshot

import "github.com/ctconv/ctconv/format"

// Scanned is a flow as an Input read it, with what its Scanner knew then:
// the conntrack options the input showed so far, and the line's number. A
// snapshot's flows have neither.
type Scanned struct {
	Flow    format.Flow
	Options format.Options
	Line    int
}

// A Prefetcher reads an Input's flows on a goroutine of its own, a batch
// at a time, so that parsing or decoding runs on one core while the caller
// works on another. Flows come in their order.
type Prefetcher struct {
	full, free chan *scanBatch
	done       chan struct{}
	cur        *scanBatch
	i          int
	err        error
}

type scanBatch struct {
	recs [256]Scanned
	n    int
	err  error // on the last batch: the Input's error
}

// Prefetch starts reading the input's flows, those filter selects if it
// is not nil. The Prefetcher must be read to its end or stopped.
func (in *Input) Prefetch(filter *format.Filter) *Prefetcher {
	p := &Prefetcher{full: make(chan *scanBatch, 2), free: make(chan *scanBatch, 4), done: make(chan struct{})}
	for range 4 {
		p.free <- new(scanBatch)
	}
	go p.read(in, filter)
	return p
}

func (p *Prefetcher) read(in *Input, filter *format.Filter) {
	defer close(p.full)
	r := in.records()
	for {
		var b *scanBatch
		select {
		case b = <-p.free:
		case <-p.done:
			return
		}
		b.n = 0
		for b.n < len(b.recs) {
			rec := &b.recs[b.n]
			if !r.Scan(&rec.Flow) {
				break
			}
			if filter != nil && !filter.Match(&rec.Flow) {
				continue
			}
			rec.Options, rec.Line = r.position()
			b.n++
		}
		last := b.n < len(b.recs)
		if last {
			b.err = r.Err()
		}
		select {
		case p.full <- b:
		case <-p.done:
			return
		}
		if last {
			return
		}
	}
}

// Next returns the next flow, valid until the call after the next, or nil
// at the end of the flows, where Err tells why they ended.
func (p *Prefetcher) Next() *Scanned {
	for p.cur == nil || p.i == p.cur.n {
		if p.cur != nil {
			if p.cur.n < len(p.cur.recs) {
				p.err = p.cur.err
				return nil
			}
			p.free <- p.cur
		}
		b, ok := <-p.full
		if !ok {
			return nil
		}
		p.cur, p.i = b, 0
	}
	p.i++
	return &p.cur.recs[p.i-1]
}

// Err returns the error that ended the flows, nil at the input's clean end.
func (p *Prefetcher) Err() error { return p.err }

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
