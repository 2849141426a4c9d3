package snapshot

import (
	"iter"
	"runtime"
	"slices"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
)

// ahead is what a hash join's workers make of a batch of flows before the
// join takes them, on the other cores, so that the join does in order only
// what must be: of every flow whether the Diff selects it, and its
// identity; of a held flow its record, as the store keeps it; of a
// streamed flow the held flow of its identity and, as if the two paired,
// their change. The join pairs a streamed flow with another held flow, or
// with none, only where its capture holds the identity twice, or where an
// ICMP flow lacks its ICMP fields; it then does the work again itself.
// Each slice has an entry a flow of the batch.
type ahead struct {
	runs   int    // the work's runs on it: a batch read again has more
	skip   []bool // the Diff does not select the flow
	keys   []flowKey
	hashes []uint64
	// The held flows' records, one after another, each where its span
	// says, in a block for the store to keep as it is (store.adopt); a
	// zero span is a flow the store's encoding refuses, which the join
	// encodes again for the error.
	block []byte
	spans []span
	// The held flow of each streamed flow's identity, -1 if none, and the
	// change: of the two flows, nil if they are the same, or of the
	// streamed one alone, with its Op for the join to set.
	held    []int32
	changes []*Change
	// The changes and their fields, where the Diff reuses its changes.
	ones   slabs[oneFlow]
	twos   slabs[twoFlows]
	fields []FieldChange
}

// resize makes a's slices hold n entries, keeping their memory.
func (a *ahead) resize(n int) {
	a.skip, a.keys, a.hashes = sized(a.skip, n), sized(a.keys, n), sized(a.hashes, n)
	a.spans, a.held, a.changes = sized(a.spans, n), sized(a.held, n), sized(a.changes, n)
}

// sized returns s with n elements, grown if need be.
func sized[T any](s []T, n int) []T { return slices.Grow(s[:0], n)[:n] }

// A flowBatch is the flows that a join's work is run on: a Scanner's batch
// (flows), or a Prefetcher's (recs).
type flowBatch struct {
	flows []format.Flow
	recs  []Scanned
}

func (b flowBatch) len() int { return len(b.flows) + len(b.recs) }

func (b flowBatch) at(i int) *format.Flow {
	if b.recs != nil {
		return &b.recs[i].Flow
	}
	return &b.flows[i]
}

// work is what a join's workers run on each batch, worker w into a.
type work func(w int, b flowBatch, a *ahead)

// joinWorker is a worker's own: to encode, decode and compare flows.
type joinWorker struct {
	enc    *codec.MsgpackEncoder
	dec    *codec.MsgpackDecoder
	recs   []byte // what enc wrote
	arena  []byte // where block puts them
	f      format.Flow
	fields []FieldChange
}

// joinWorkers returns a join's workers' own, one for each of n workers
// and one for the loop, worker n.
func joinWorkers(n int) []*joinWorker {
	ws := make([]*joinWorker, n+1)
	for i := range ws {
		ws[i] = &joinWorker{}
	}
	return ws
}

// Write takes a record from the encoder, which writes one a call.
func (w *joinWorker) Write(p []byte) (int, error) {
	w.recs = append(w.recs, p...)
	return len(p), nil
}

// block returns a copy of recs in a block of its own, of their size, for a
// store to keep: a part of the worker's arena, memory mapped at once
// (mapped) on this core, of 64 KiB and then twice the last, up to 4 MiB,
// so that a few flows do not map megabytes.
func (w *joinWorker) block() []byte {
	if len(w.recs) > cap(w.arena)-len(w.arena) {
		w.arena = mapped[byte](max(len(w.recs), min(max(2*cap(w.arena), 64<<10), 4<<20)))[:0]
	}
	from := len(w.arena)
	w.arena = append(w.arena, w.recs...)
	return w.arena[from:len(w.arena):len(w.arena)]
}

// selectAhead sets a's identities, their hashes, and which flows of b the
// Diff selects; held says b is of the held capture (Diff.identity).
func (d *Diff) selectAhead(in *Input, b flowBatch, a *ahead, held bool) {
	a.runs++
	a.resize(b.len())
	for i := range b.len() {
		f := b.at(i)
		a.skip[i] = !in.Match(d.opts.Filter, f)
		a.keys[i] = d.identity(f, held && !a.skip[i])
		a.hashes[i] = a.keys[i].hash()
	}
}

// holdAhead returns the work on a batch of the held capture, in:
// identities and records. The records of a batch of one flow, as a
// Scanner that reads on alone gives, the store encodes into its own
// blocks, rather than keep a block a flow.
func (d *Diff) holdAhead(in *Input, ws []*joinWorker) work {
	return func(w int, b flowBatch, a *ahead) {
		d.selectAhead(in, b, a, true)
		if b.len() == 1 {
			a.spans[0], a.block = span{}, nil
			return
		}
		jw := ws[w]
		if jw.enc == nil {
			jw.enc = codec.NewMsgpackEncoder(jw)
			jw.enc.SelfContained()
		}
		jw.recs = jw.recs[:0]
		for i := range b.len() {
			from := len(jw.recs)
			a.spans[i] = span{}
			if !a.skip[i] && jw.enc.EncodeFlow(b.at(i)) == nil {
				a.spans[i] = span{int32(from), int32(len(jw.recs))}
			}
		}
		a.block = jw.block()
	}
}

// left is a streamed flow's held flow where a worker left the flow to the
// join: where the held flow's record would not decode, for the join to
// report the error.
const left = -2

// streamAhead returns the work on a batch of the streamed capture, in,
// once j holds the other: identities, the held flow of each, and the
// change.
func (d *Diff) streamAhead(in *Input, j *join, ws []*joinWorker, heldOld bool) work {
	return func(w int, b flowBatch, a *ahead) {
		d.selectAhead(in, b, a, false)
		jw := ws[w]
		if jw.dec == nil {
			jw.dec = codec.NewMsgpackDecoder(nil)
		}
		j.index.findMany(&j.s.keys, a.keys, a.hashes, a.held)
		reuse := d.opts.ReuseChanges
		a.ones.n, a.twos.n, a.fields = 0, 0, a.fields[:0]
		for i := range b.len() {
			f := b.at(i)
			a.changes[i] = nil
			switch {
			case a.skip[i]:
			case a.held[i] < 0:
				a.changes[i] = onlyChange(a.ones.next(reuse), 0, f, !heldOld)
			case j.s.decode(jw.dec, int(a.held[i]), &jw.f) != nil:
				a.held[i] = left
			default:
				old, new := &jw.f, f
				if !heldOld {
					old, new = f, &jw.f
				}
				if jw.fields = d.compare(jw.fields[:0], old, new); len(jw.fields) > 0 {
					fields := jw.fields
					if reuse { // kept with the batch, as jw.fields is not
						from := len(a.fields)
						a.fields = append(a.fields, jw.fields...)
						fields = a.fields[from:len(a.fields):len(a.fields)]
					}
					a.changes[i] = changed(a.twos.next(reuse), fields, old, new)
				}
			}
		}
	}
}

// aheadReader reads a join's capture, running the join's work on its
// flows ahead: on the Scanner's workers, where its Scanner parses on
// several (format.WithWorkers, format.FlowsAhead), or else on a
// Prefetcher's workers, one a core, which the Prefetcher copies the flows
// to.
type aheadReader struct {
	in *Input
	sc *format.Scanner // text parsed on several cores
	p  *Prefetcher     // or
}

func newAheadReader(in *Input) *aheadReader {
	r := &aheadReader{in: in}
	if lr, ok := in.records().(*lineRecords); ok && lr.statsDec == nil && lr.sc.Workers() > 1 {
		r.sc = lr.sc
	} else {
		r.p = in.prefetch(prefetching{workers: runtime.GOMAXPROCS(0), flowsOnly: true})
	}
	return r
}

// workers returns the number of the worker that the loop's goroutine runs
// the work as; the workers' are below it.
func (r *aheadReader) workers() int {
	if r.sc != nil {
		return r.sc.Workers()
	}
	return r.p.workers
}

// first returns the first flow that the Diff selects, a copy, or the error
// before it; false at the end of the flows. flows goes on after it.
func (r *aheadReader) first(x *format.Filter) (f format.Flow, ok bool, err error) {
	if r.sc != nil {
		for g, err := range r.sc.Flows() {
			if err != nil {
				return f, false, err
			}
			if r.in.Match(x, g) {
				return *g, true, nil
			}
		}
		return f, false, nil
	}
	for rec, err := r.p.next(); rec != nil || err != nil; rec, err = r.p.next() {
		if err != nil {
			return f, false, err
		}
		if r.in.Match(x, &rec.Flow) {
			return rec.Flow, true, nil
		}
	}
	return f, false, nil
}

// flows returns an iterator over the flows after those read so far, each
// with what w made of its batch, and the errors; its loop may not go on
// after an error.
func (r *aheadReader) flows(w work) iter.Seq2[format.Ahead[ahead], error] {
	return func(yield func(format.Ahead[ahead], error) bool) {
		if r.sc != nil {
			for m, err := range format.FlowsAhead(r.sc, func(worker int, flows []format.Flow, a *ahead) {
				w(worker, flowBatch{flows: flows}, a)
			}) {
				if !yield(m, err) {
					return
				}
			}
			return
		}
		r.p.setWork(func(worker int, b *scanBatch) {
			if b.ahead == nil {
				b.ahead = new(ahead)
			}
			w(worker, flowBatch{recs: b.recs[:b.n]}, b.ahead)
		})
		for rec, err := r.p.next(); rec != nil || err != nil; rec, err = r.p.next() {
			var m format.Ahead[ahead]
			if rec != nil {
				b, i := r.p.at()
				m = format.Ahead[ahead]{Flow: &rec.Flow, Made: b.ahead, Index: i}
			}
			if !yield(m, err) {
				return
			}
		}
	}
}

// stop stops a Prefetcher's reading. A Scanner reads ahead until its
// input ends or it is garbage (format.WithWorkers), and runs the work no
// more once the loop of flows ends.
func (r *aheadReader) stop() {
	if r.p != nil {
		r.p.Stop()
	}
}
