package snapshot

import (
	"bytes"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
)

// ahead is what a hash join's workers make of a batch of flows before the
// join takes them, on the other cores (Prefetcher's workers), so that the
// join does in order only what must be: of every flow its identity; of a
// held flow its record, as the store keeps it; of a streamed flow the
// held flow of its identity and, as if the two paired, their change. The
// join pairs a streamed flow with another held flow, or with none, only
// where its capture holds the identity twice, or where an ICMP flow lacks
// its ICMP fields; it then does the work again itself.
type ahead struct {
	keys   [scanLen]flowKey
	hashes [scanLen]uint64
	// The held flows' records, one after another, each where its span
	// says, in a block for the store to keep as it is (store.adopt); a
	// zero span is a flow the store's encoding refuses, which the join
	// encodes again for the error.
	block []byte
	spans [scanLen]span
	// The held flow of each streamed flow's identity, -1 if none, and the
	// change: of the two flows, nil if they are the same, or of the
	// streamed one alone, with its Op for the join to set.
	held    [scanLen]int32
	changes [scanLen]*Change
}

// joinWorker is a worker's own: to encode, decode and compare flows.
type joinWorker struct {
	enc    *codec.MsgpackEncoder
	dec    *codec.MsgpackDecoder
	recs   []byte // what enc wrote
	f      format.Flow
	fields []FieldChange
}

// Write takes a record from the encoder, which writes one a call.
func (w *joinWorker) Write(p []byte) (int, error) {
	w.recs = append(w.recs, p...)
	return len(p), nil
}

// workers returns a join's workers' own, one for each of n workers and
// one for the loop (see Prefetcher.setWork).
func workers(n int) []*joinWorker {
	ws := make([]*joinWorker, n+1)
	for i := range ws {
		ws[i] = &joinWorker{}
	}
	return ws
}

// holdAhead returns the work on a batch of the held capture: identities
// and records.
func (d *Diff) holdAhead(ws []*joinWorker) func(int, *scanBatch) {
	return func(w int, b *scanBatch) {
		a, jw := b.prepare(), ws[w]
		if jw.enc == nil {
			jw.enc = codec.NewMsgpackEncoder(jw)
			jw.enc.SelfContained()
		}
		jw.recs = jw.recs[:0]
		for i := range b.n {
			f := &b.recs[i].Flow
			a.keys[i] = identity(f, d.opts.Filter)
			a.hashes[i] = a.keys[i].hash()
			from := len(jw.recs)
			a.spans[i] = span{}
			if jw.enc.EncodeFlow(f) == nil {
				a.spans[i] = span{int32(from), int32(len(jw.recs))}
			}
		}
		// A block of its own, of the records' size, where the pages
		// are first written on this core.
		a.block = bytes.Clone(jw.recs)
	}
}

// left is a streamed flow's held flow where a worker left the flow to the
// join: where the held flow's record would not decode, for the join to
// report the error.
const left = -2

// streamAhead returns the work on a batch of the streamed capture, once j
// holds the other: identities, the held flow of each, and the change.
func (d *Diff) streamAhead(j *join, ws []*joinWorker, heldOld bool) func(int, *scanBatch) {
	return func(w int, b *scanBatch) {
		a, jw := b.prepare(), ws[w]
		if jw.dec == nil {
			jw.dec = codec.NewMsgpackDecoder(nil)
		}
		for i := range b.n {
			k := &a.keys[i]
			*k = identity(&b.recs[i].Flow, d.opts.Filter)
			a.hashes[i] = k.hash()
		}
		j.index.findMany(&j.s.keys, a.keys[:b.n], a.hashes[:b.n], a.held[:b.n])
		for i := range b.n {
			f := &b.recs[i].Flow
			a.changes[i] = nil
			if a.held[i] < 0 {
				a.changes[i] = onlyChange(0, f, !heldOld)
				continue
			}
			if j.s.decode(jw.dec, int(a.held[i]), &jw.f) != nil {
				a.held[i] = left
				continue
			}
			old, new := &jw.f, f
			if !heldOld {
				old, new = f, &jw.f
			}
			if jw.fields = d.compare(jw.fields[:0], old, new); len(jw.fields) > 0 {
				a.changes[i] = changed(jw.fields, old, new)
			}
		}
	}
}

// prepare returns what the work makes of b, to be made again.
func (b *scanBatch) prepare() *ahead {
	if b.ahead == nil {
		b.ahead = new(ahead)
	}
	return b.ahead
}
