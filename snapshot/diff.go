package snapshot

import (
	"errors"
	"iter"
	"math"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
)

// Op says what a Change is.
type Op uint8

// The kinds of change.
const (
	Added     Op = iota + 1 // a flow only the new capture holds
	Removed                 // a flow only the old capture holds
	Changed                 // a flow both hold, with fields that differ
	Duplicate               // a flow whose identity its capture holds more than once
)

var opNames = [...]string{Added: "added", Removed: "removed", Changed: "changed", Duplicate: "duplicate"}

// String returns the op's name: "added", "removed", "changed" or "duplicate".
func (o Op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return "op" + strconv.Itoa(int(o))
}

// Change is one difference between two captures.
type Change struct {
	Op Op
	// Old is the flow of the old capture (Removed, Changed, a Duplicate
	// in the old capture), New that of the new one (Added, Changed, a
	// Duplicate in the new capture); the other is nil.
	Old, New *format.Flow
	// Fields are the fields that differ, for Changed, in a fixed order.
	Fields []FieldChange
}

// FieldChange is a field whose value differs between two captures of a flow.
type FieldChange struct {
	// Field is the field's name, as DiffOptions.Ignore takes it: "state",
	// "status", "mark", "reply.dst", "orig.packets", ...
	Field string
	// Old and New are the values as conntrack prints them; for status,
	// the bits' netlink names joined by "|".
	Old, New string
	// Counter says that the field is a counter; Delta is then New - Old.
	Counter bool
	Delta   int64
}

// DiffOptions change what a Diff compares and how.
type DiffOptions struct {
	// Ignore names fields not to compare: any name DiffFields returns,
	// a FieldChange.Field or a group of them. NewDiff refuses others.
	Ignore []string
	// Volatile compares too the fields that move on every read of a
	// table: timeout, use and delta-time.
	Volatile bool
	// Filter, if not nil, selects the flows to compare, in both captures
	// (as Input.Match says). Where it selects a namespace, flows match
	// without it: a capture of several namespaces compares its flows of
	// that one with a capture of that namespace alone.
	Filter *format.Filter
	// HoldNew makes the Diff hold the new capture in memory and read the
	// old one as a stream, where it holds the old one by default: memory
	// grows with the capture held, so hold the smaller.
	HoldNew bool
	// ReuseChanges lets Changes yield each Change, its flows and its
	// fields in memory that a later iteration overwrites, as
	// encoding/csv's Reader.ReuseRecord does, where by default each is
	// the loop's to keep. A loop that is done with each change before the
	// next, as one that prints them, spares a Diff the memory of each: a
	// sixth of its time in a diff of a million flows of which 280,000
	// changed.
	ReuseChanges bool
}

// Summary counts what a Diff found.
type Summary struct {
	Added, Removed, Changed, Unchanged, Duplicates int
	// Unchecked counts the flows that only the streamed capture holds
	// whose identity a Diff did not check for duplicates, to keep its
	// memory bounded by the held capture (see Diff).
	Unchecked int
}

// minOnly is the fewest identities that only the streamed capture holds
// which a Diff checks for duplicates, whatever the held capture's size:
// 65,536, in 4 MiB, and as much again where each brings a namespace's
// name that no held flow has (netnsNames).
const minOnly = 1 << 16

// Differ reports whether the captures differ.
func (s Summary) Differ() bool { return s.Added+s.Removed+s.Changed+s.Duplicates > 0 }

// A Diff compares two captures of flows, in any encodings: text of any
// format, JSON Lines, snapshot files. It matches flows by their identity in
// the kernel's table (family, protocol, zone and original tuple, and the
// namespace where a capture of several names it on the flow) and
// compares the rest: the reply tuple (a NAT mapping that moved), state,
// status (but NAT's flags and those of its setup, which the reply tuple
// tells), mark, secmark, secctx, labels, helper, id, start and stop times,
// the reply zone, GRE timeouts, counters; a field only where both flows
// have it, so captures of different formats compare on what they share.
// So it is with the identity: an ICMP flow that lacks its type, code and
// id (conntrack's XML does not print them, nor JSON converted from it)
// matches an ICMP flow of the same family, protocol, zone and addresses in
// the other capture, the first in capture order that is left, as a
// capture and its conversion keep the order; two flows that both have
// their ICMP fields match only if these are equal.
//
// A Diff holds one capture in memory, in a compact form (about 150 bytes
// a flow with its index), and streams the other: its memory grows with
// the held capture, never with the streamed one. Changes come in the
// order of the streamed capture, then those of flows only the held one
// has, in its order. Duplicate identities are found in the held capture,
// among the streamed flows that the held capture has too, and among the
// first of those it has not: as many as the held capture has flows, at
// least 65,536; Summary.Unchecked counts the others. Two snapshots
// written sorted (Header.Sorted) are both streamed, every duplicate
// found, in memory that does not grow with them but for the ICMP flows of
// the same two addresses, which the Diff holds, those of the old capture,
// to match them as above; their changes come in identity order. ICMP
// flows that lack their ICMP fields have no identity of their own: they
// are never duplicates.
type Diff struct {
	old, new *Input
	opts     DiffOptions
	fields   []diffField
	netns    netnsNames // of the held flows selected, and of the identities checked for duplicates
	err      error
	sum      Summary
}

// NewDiff returns a Diff of old against new. A nil input, an input of
// expectations, an option that names no field (see DiffFields) are an
// *OptionError.
func NewDiff(old, new *Input, opts DiffOptions) (*Diff, error) {
	for _, in := range []struct {
		name string
		in   *Input
	}{{"old", old}, {"new", new}} {
		switch {
		case in.in == nil:
			return nil, &OptionError{Option: in.name, Value: "nil", Msg: "no input"}
		case !in.in.made():
			return nil, &OptionError{Option: in.name, Value: "Input{}", Msg: notMade}
		case in.in.expect:
			return nil, &OptionError{Option: in.name, Value: in.in.enc.String(), Msg: "holds expectations, and a Diff compares flows"}
		}
	}
	fields, err := selectFields(opts)
	if err != nil {
		return nil, err
	}
	return &Diff{old: old, new: new, opts: opts, fields: fields}, nil
}

// EventsError says that a capture given to a Diff is an event stream,
// as conntrack -E prints one: its records are events (new, update,
// destroy), which a Diff, comparing tables, cannot match.
type EventsError struct {
	Old bool // the old capture is; the new one otherwise
}

func (e *EventsError) Error() string {
	return "snapshot: diff: the " + map[bool]string{false: "new", true: "old"}[e.Old] +
		" capture is an event stream, not a table; diff compares tables"
}

// table returns an *EventsError if f is an event, of the old capture or not.
func table(f *format.Flow, old bool) error {
	if f.Event != format.EventNone {
		return &EventsError{Old: old}
	}
	return nil
}

// Summary returns the counts of what the Diff found so far.
func (d *Diff) Summary() Summary { return d.sum }

// Changes returns the changes, computed as the loop asks for them, and
// at their end the error that stopped the Diff, if any:
//
//	for c, err := range d.Changes() {
//		if err != nil {
//			return err
//		}
//		// use c
//	}
//
// Each Change, its flows and its fields are the loop's to keep: a Diff
// does not reuse them, unless DiffOptions.ReuseChanges says to.
func (d *Diff) Changes() iter.Seq2[*Change, error] {
	return func(yield func(*Change, error) bool) {
		e := emitter{d: d, yield: yield}
		if d.err == nil {
			if d.old.sorted() && d.new.sorted() {
				d.merge(&e)
			} else {
				d.hashJoin(&e)
			}
		}
		if d.err != nil && !e.done {
			yield(nil, d.err)
		}
	}
}

// emitter yields a Diff's changes and counts them.
type emitter struct {
	d      *Diff
	yield  func(*Change, error) bool
	fields []FieldChange // reused by each compare
	done   bool          // the loop stopped asking
	// The changes it makes, where the Diff reuses them.
	one oneFlow
	two twoFlows
}

// reused returns m, the memory of a change, where d reuses its changes,
// or else nil, for a new one.
func reused[T any](d *Diff, m *T) *T {
	if d.opts.ReuseChanges {
		return m
	}
	return nil
}

// slabs is the memory of changes that a Diff reuses, in slabs that do not
// move, so that a change stays where it is while more are made.
type slabs[T any] struct {
	s [][]T
	n int // in use
}

// slabLen is the changes of a slab.
const slabLen = 64

// next returns the memory of one more change, or nil, for a new one,
// where the Diff does not reuse them.
func (m *slabs[T]) next(reuse bool) *T {
	if !reuse {
		return nil
	}
	if m.n == len(m.s)*slabLen {
		m.s = append(m.s, make([]T, slabLen))
	}
	m.n++
	return &m.s[(m.n-1)/slabLen][(m.n-1)%slabLen]
}

// oneFlow and twoFlows are a Change with the flows it points at, in one
// allocation: each Change yielded is new, and its flows copies, unless
// the Diff reuses its changes (DiffOptions.ReuseChanges).
type (
	oneFlow struct {
		Change
		f format.Flow
	}
	twoFlows struct {
		Change
		old, new format.Flow
	}
)

// onlyChange returns a change of op of one flow, a copy of f, from the old
// capture or not: in m where m is not nil, or else new.
func onlyChange(m *oneFlow, op Op, f *format.Flow, old bool) *Change {
	if m == nil {
		m = &oneFlow{}
	}
	m.Change, m.f = Change{Op: op}, *f
	if old {
		m.Old = &m.f
	} else {
		m.New = &m.f
	}
	return &m.Change
}

// changed returns a Changed change of copies of old and new, whose fields
// differ: in m, with fields as they are, where m is not nil, or else new,
// with a copy of fields.
func changed(m *twoFlows, fields []FieldChange, old, new *format.Flow) *Change {
	if m == nil {
		m, fields = &twoFlows{}, slices.Clone(fields)
	}
	m.Change = Change{Op: Changed, Fields: fields}
	m.old, m.new = *old, *new
	m.Old, m.New = &m.old, &m.new
	return &m.Change
}

// emit counts c and yields it; it reports whether to go on.
func (e *emitter) emit(c *Change) bool {
	e.d.count(c.Op)
	e.done = !e.yield(c, nil)
	return !e.done
}

// only yields a change of op of one flow, from the old capture or not.
func (e *emitter) only(op Op, f *format.Flow, old bool) bool {
	return e.emit(onlyChange(reused(e.d, &e.one), op, f, old))
}

// both compares the flow's two versions and yields a Changed if they differ.
func (e *emitter) both(old, new *format.Flow) bool {
	var c *Change
	if e.fields = e.d.compare(e.fields[:0], old, new); len(e.fields) > 0 {
		c = changed(reused(e.d, &e.two), e.fields, old, new)
	}
	return e.paired(c)
}

// paired yields c, the change of a flow that both captures hold, or counts
// the flow unchanged if c is nil.
func (e *emitter) paired(c *Change) bool {
	if c == nil {
		e.d.sum.Unchanged++
		return true
	}
	return e.emit(c)
}

// hashJoin holds one capture in a store, indexed, and streams the other.
// Workers make what they can of each flow ahead (see ahead, aheadReader).
func (d *Diff) hashJoin(e *emitter) {
	hold, stream := d.old, d.new
	if d.opts.HoldNew {
		hold, stream = d.new, d.old
	}
	heldOld := !d.opts.HoldNew
	j := newJoin()
	// The streamed capture's first flow, read first, so that an event
	// stream is refused before any change.
	sr := newAheadReader(stream)
	defer sr.stop()
	first, ok, firstErr := sr.first(d.opts.Filter)
	if ok {
		if d.err = table(&first, !heldOld); d.err != nil {
			return
		}
	}
	hr := newAheadReader(hold)
	defer hr.stop()
	j.index.aside = hr.workers() > 1
	ws := joinWorkers(max(hr.workers(), sr.workers()))
	var adopted *ahead // the batch, and its run, whose records the store adopted last
	runs := 0
	for m, err := range hr.flows(d.holdAhead(hold, ws)) {
		if d.err = err; err != nil {
			return
		}
		a, i := m.Made, m.Index
		if a.skip[i] {
			continue
		}
		if d.err = table(m.Flow, heldOld); d.err != nil {
			return
		}
		if a != adopted || a.runs != runs { // a batch of records made ahead: the store keeps their block
			if len(a.block) > 0 {
				j.s.adopt(a.block)
			}
			j.index.warm(a.hashes[i:])
			adopted, runs = a, a.runs
		}
		if !e.hold(j, m.Flow, &a.keys[i], a.hashes[i], a.spans[i], heldOld) {
			return
		}
	}
	// The held capture is read to its end, and its work ran its last: its
	// workers' own (ws) are the streamed capture's now.
	hr.stop()
	// The identities only the streamed capture has, to find those it holds
	// twice: as many as the held capture has flows, so that memory grows
	// with the held capture only; the flows beyond go unchecked.
	j.ready(max(j.s.keys.n, minOnly))
	if d.err = firstErr; firstErr != nil {
		return
	}
	if ok {
		k := d.identity(&first, false)
		if !e.stream(j, &first, &k, heldOld, nil, 0) {
			return
		}
	}
	for m, err := range sr.flows(d.streamAhead(stream, j, ws, heldOld)) {
		if d.err = err; err != nil {
			return
		}
		a, i := m.Made, m.Index
		if a.skip[i] {
			continue
		}
		if d.err = table(m.Flow, !heldOld); d.err != nil {
			return
		}
		if !e.stream(j, m.Flow, &a.keys[i], heldOld, a, i) {
			return
		}
	}
	e.rest(j, heldOld)
}

// hold adds f, a flow of the held capture whose identity is k, to j, or
// yields it as a duplicate; it reports whether to go on. h is k's hash;
// at, if not the zero span, is where f's record is, made ahead, in the
// block the store adopted last.
func (e *emitter) hold(j *join, f *format.Flow, k *flowKey, h uint64, at span, heldOld bool) bool {
	dup, err := j.hold(f, k, h, at)
	if e.d.err = err; err != nil {
		return false
	}
	return !dup || e.only(Duplicate, f, heldOld)
}

// stream pairs b, a flow of the streamed capture whose identity is k, with
// a held flow of j, and yields its change; it reports whether to go on.
// a, if not nil, is what a worker made of b ahead, at index at.
func (e *emitter) stream(j *join, b *format.Flow, k *flowKey, heldOld bool, a *ahead, at int) bool {
	found, c := int32(left), (*Change)(nil)
	if a != nil {
		found, c = a.held[at], a.changes[at]
	}
	if found == left && !k.hostsOnly {
		found = j.index.find(&j.s.keys, k, k.hash())
	}
	i, dup := j.pair(k, found)
	if i >= 0 {
		if i == found && a != nil && a.held[at] != left { // compared ahead
			return e.paired(c)
		}
		if e.d.err = j.s.get(int(i), &j.f); e.d.err != nil {
			return false
		}
		if heldOld {
			return e.both(&j.f, b)
		}
		return e.both(b, &j.f)
	}
	op := Added
	if !heldOld {
		op = Removed
	}
	switch {
	case dup:
		op = Duplicate
	case !k.hostsOnly: // a flow without its ICMP fields has no identity to check
		if k.netns == unnumbered {
			// Of a namespace no held flow has: numbered if the set takes
			// the identity, or if one it holds has the namespace (since
			// the worker looked); else not, so that memory does not grow.
			ns := e.d.netnsOf(b)
			if j.only.full() && e.d.netns.find(ns) == unnumbered {
				e.d.sum.Unchecked++
				break
			}
			numbered := *k
			numbered.netns = e.d.netns.id(ns)
			k = &numbered
		}
		switch had, has := j.only.add(k); {
		case had:
			op = Duplicate
		case !has:
			e.d.sum.Unchecked++
		}
	}
	if found != -1 || c == nil { // no change of b alone made ahead
		return e.only(op, b, !heldOld)
	}
	c.Op = op
	return e.emit(c)
}

// rest yields the held flows of j that no streamed flow paired with, in
// their order; it reports whether to go on.
func (e *emitter) rest(j *join, heldOld bool) bool {
	op := Removed
	if !heldOld {
		op = Added
	}
	for b := range j.unpaired(op, heldOld, e.d.opts.ReuseChanges) {
		for _, c := range b.changes {
			if !e.emit(c) {
				return false
			}
		}
		if e.d.err = b.err; b.err != nil {
			return false
		}
	}
	return true
}

// restLen is the held flows that a worker of join.unpaired reads at once.
const restLen = 1024

// A restBatch is the changes of op of the unpaired held flows among
// restLen of a join, and the error of a record that would not decode,
// which ends them.
type restBatch struct {
	changes []*Change
	err     error
	made    slabs[oneFlow] // the changes, where the Diff reuses them
}

// unpaired returns an iterator over the changes of op of j's held flows
// that no streamed flow paired with, in their order, restLen held flows a
// batch: beyond one batch, workers, one a core, decode them ahead while
// the loop takes the batches before; at most two a worker wait for it.
func (j *join) unpaired(op Op, heldOld, reuse bool) iter.Seq[restBatch] {
	return func(yield func(restBatch) bool) {
		n := (len(j.matched) + restLen - 1) / restLen
		if n <= 1 {
			// In the join's batch: merge's icmpGroup has one a group.
			j.rest = j.unpairedIn(j.s.dec, 0, op, heldOld, reuse, j.rest)
			yield(j.rest)
			clear(j.rest.changes) // kept, they are the loop's
			return
		}
		workers := runtime.GOMAXPROCS(0)
		out := make([]chan restBatch, 2*workers) // batch k's at k modulo its length
		// A batch the loop is done with, to decode another into: its
		// memory, where the Diff reuses its changes.
		tokens := make(chan restBatch, len(out))
		for i := range out {
			out[i] = make(chan restBatch, 1)
			tokens <- restBatch{}
		}
		stop := make(chan struct{})
		defer close(stop)
		var next atomic.Int64
		for range workers {
			go func() {
				dec := codec.NewMsgpackDecoder(nil)
				for {
					var b restBatch
					select {
					case b = <-tokens:
					case <-stop:
						return
					}
					select {
					case <-stop: // the loop ended while this worker took a token
						return
					default:
					}
					k := int(next.Add(1) - 1)
					if k >= n {
						return
					}
					out[k%len(out)] <- j.unpairedIn(dec, k*restLen, op, heldOld, reuse, b)
				}
			}()
		}
		for k := range n {
			b := <-out[k%len(out)]
			if !yield(b) || b.err != nil {
				return
			}
			clear(b.changes) // kept, they are the loop's
			tokens <- b
		}
	}
}

// unpairedIn returns the batch of changes of op of the unpaired held flows
// of j from from, decoded with dec, in b's memory.
func (j *join) unpairedIn(dec *codec.MsgpackDecoder, from int, op Op, heldOld, reuse bool, b restBatch) restBatch {
	b.changes, b.err, b.made.n = b.changes[:0], nil, 0
	var f format.Flow
	for i := from; i < min(from+restLen, len(j.matched)); i++ {
		if j.matched[i] != unpaired {
			continue
		}
		if b.err = j.s.decode(dec, i, &f); b.err != nil {
			break
		}
		b.changes = append(b.changes, onlyChange(b.made.next(reuse), op, &f, heldOld))
	}
	return b
}

// identity returns f's identity in d's hash join, of its namespace as
// netnsOf says, numbered: where held (a held flow that d selects),
// numbering it if need be; else unnumbered if no held flow, nor an
// identity checked for duplicates so far, has it.
func (d *Diff) identity(f *format.Flow, held bool) flowKey {
	switch ns := d.netnsOf(f); {
	case ns == "":
		return keyOf(f, 0)
	case held:
		return keyOf(f, d.netns.id(ns))
	default:
		return keyOf(f, d.netns.find(ns))
	}
}

// netnsOf returns the namespace of f's identity in d: none where d's
// filter selects one, as a capture of that namespace alone names none
// (Header.Netns) and one of several names it on each flow.
func (d *Diff) netnsOf(f *format.Flow) string {
	if x := d.opts.Filter; x != nil && x.Netns != "" {
		return ""
	}
	return f.Netns
}

// cursor walks a sorted capture, checking its order.
type cursor struct {
	p     *Prefetcher
	d     *Diff
	f     *format.Flow
	id    mergeKey
	named bool // f names its namespace
	dup   bool // f has the identity of the flow before
	which string
}

// mergeKey is an identity as the merge of two sorted captures orders it:
// by its namespace's name, which the merge does not number, as its
// memory must not grow with the captures, then by the rest (compareKeys).
// The ICMP flows of a group that icmpGroup holds are of one namespace:
// their keys have none.
type mergeKey struct {
	netns string
	k     flowKey // without its namespace
}

func compareMerge(a, b *mergeKey) int {
	if c := strings.Compare(a.netns, b.netns); c != 0 {
		return c
	}
	return compareKeys(&a.k, &b.k, nil)
}

func (c *cursor) next() error {
	prev, had, named := c.id, c.f != nil, c.named
	rec, err := c.p.next()
	if rec == nil {
		c.f = nil
		return err
	}
	c.f = &rec.Flow
	if err := table(c.f, c.which == "old"); err != nil {
		return err
	}
	c.id, c.named = mergeKey{c.d.netnsOf(c.f), keyOf(c.f, 0)}, c.f.Netns != ""
	if had {
		switch compareMerge(&prev, &c.id) {
		case 1:
			if x := c.d.opts.Filter; x != nil && x.Netns != "" && named != c.named {
				// Sorted apart by name, but one namespace to the filter.
				return errors.New("snapshot: diff: the " + c.which + " capture holds flows of namespace " + strconv.Quote(x.Netns) +
					" and flows that name none, sorted apart by name, which a filter of that namespace takes alike: they cannot be merged in identity order")
			}
			return errors.New("snapshot: diff: the " + c.which + " capture is not in identity order, as its header says")
		case 0:
			c.dup = !c.id.k.icmp() // ICMP flows of the same hosts: see icmpGroup
			return nil
		}
	}
	c.dup = false
	return nil
}

// merge walks two sorted snapshots side by side, in memory that does not
// grow with them but for the ICMP flows of the same hosts (icmpGroup); the
// changes come in identity order.
func (d *Diff) merge(e *emitter) {
	o := cursor{p: d.old.Prefetch(d.opts.Filter, false), d: d, which: "old"}
	n := cursor{p: d.new.Prefetch(d.opts.Filter, false), d: d, which: "new"}
	defer o.p.Stop()
	defer n.p.Stop()
	if d.err = o.next(); d.err != nil {
		return
	}
	if d.err = n.next(); d.err != nil {
		return
	}
	j := newJoin() // for the ICMP flows of the same hosts
	for (o.f != nil || n.f != nil) && !e.done && d.err == nil {
		c := 0
		switch {
		case o.f != nil && o.dup:
			e.only(Duplicate, o.f, true)
			d.err = o.next()
			continue
		case n.f != nil && n.dup:
			e.only(Duplicate, n.f, false)
			d.err = n.next()
			continue
		case o.f == nil:
			c = 1
		case n.f == nil:
			c = -1
		default:
			c = compareMerge(&o.id, &n.id)
		}
		switch {
		case c <= 0 && o.id.k.icmp():
			d.icmpGroup(e, j, &o, &n, mergeKey{o.id.netns, o.id.k.hosts()})
		case c > 0 && n.id.k.icmp():
			d.icmpGroup(e, j, &o, &n, mergeKey{n.id.netns, n.id.k.hosts()})
		case c < 0:
			e.only(Removed, o.f, true)
			d.err = o.next()
		case c > 0:
			e.only(Added, n.f, false)
			d.err = n.next()
		default:
			e.both(o.f, n.f)
			if d.err = o.next(); d.err == nil {
				d.err = n.next()
			}
		}
	}
}

// icmpGroup diffs the ICMP flows of hosts h, which a sorted capture holds
// together, in capture order, as the hash join does: it holds the old ones
// and pairs the new ones with them. A flow that lacks its ICMP fields pairs
// by capture order, which a sorted snapshot keeps.
func (d *Diff) icmpGroup(e *emitter, j *join, o, n *cursor, h mergeKey) {
	j.reset()
	for o.f != nil && compareMerge(&o.id, &h) == 0 {
		if !e.hold(j, o.f, &o.id.k, o.id.k.hash(), span{}, true) {
			return
		}
		if d.err = o.next(); d.err != nil {
			return
		}
	}
	j.ready(math.MaxInt) // the new flows of the group, all checked for duplicates
	for n.f != nil && compareMerge(&n.id, &h) == 0 {
		if !e.stream(j, n.f, &n.id.k, true, nil, 0) {
			return
		}
		if d.err = n.next(); d.err != nil {
			return
		}
	}
	e.rest(j, true)
}

func (d *Diff) count(op Op) {
	switch op {
	case Added:
		d.sum.Added++
	case Removed:
		d.sum.Removed++
	case Changed:
		d.sum.Changed++
	case Duplicate:
		d.sum.Duplicates++
	}
}

// diffField is a field a Diff compares.
type diffField struct {
	name     string
	group    string // the name that ignores it with others, if any
	volatile bool
	fields   format.Fields // what both flows must have for it to compare
	l4       format.Layer4 // for reply.sport and the like: the layer-4 kind it is of
	// diff appends a FieldChange if the field differs between a and b.
	diff func(dst []FieldChange, name string, a, b *format.Flow) []FieldChange
}

// volatile marks a field as one that moves on every read.
func volatile(f diffField) diffField {
	f.volatile = true
	return f
}

// replyL4 is a field of the reply tuple's layer-4 part of kind k.
func replyL4(name string, k format.Layer4, get func(*format.Tuple) uint64) diffField {
	f := uintField(name, "reply", format.FieldL4, func(f *format.Flow) uint64 { return get(&f.Reply) })
	f.l4 = k
	return f
}

func uintField(name, group string, fs format.Fields, get func(*format.Flow) uint64) diffField {
	return diffField{name: name, group: group, fields: fs, diff: func(dst []FieldChange, name string, a, b *format.Flow) []FieldChange {
		if x, y := get(a), get(b); x != y {
			dst = append(dst, FieldChange{Field: name, Old: strconv.FormatUint(x, 10), New: strconv.FormatUint(y, 10)})
		}
		return dst
	}}
}

func counterField(name string, fs format.Fields, get func(*format.Flow) uint64) diffField {
	return diffField{name: name, group: "counters", fields: fs, diff: func(dst []FieldChange, name string, a, b *format.Flow) []FieldChange {
		if x, y := get(a), get(b); x != y {
			dst = append(dst, FieldChange{Field: name, Old: strconv.FormatUint(x, 10), New: strconv.FormatUint(y, 10), Counter: true, Delta: int64(y - x)})
		}
		return dst
	}}
}

func stringField(name string, fs format.Fields, get func(*format.Flow) string) diffField {
	return diffField{name: name, fields: fs, diff: func(dst []FieldChange, name string, a, b *format.Flow) []FieldChange {
		if x, y := get(a), get(b); x != y {
			dst = append(dst, FieldChange{Field: name, Old: x, New: y})
		}
		return dst
	}}
}

func addrField(name string, get func(*format.Flow) netip.Addr) diffField {
	return diffField{name: name, group: "reply", diff: func(dst []FieldChange, name string, a, b *format.Flow) []FieldChange {
		if x, y := get(a), get(b); x != y {
			dst = append(dst, FieldChange{Field: name, Old: x.String(), New: y.String()})
		}
		return dst
	}}
}

// diffFields are the fields a Diff compares, in the order it reports them.
var diffFields = []diffField{
	addrField("reply.src", func(f *format.Flow) netip.Addr { return f.Reply.Src }),
	addrField("reply.dst", func(f *format.Flow) netip.Addr { return f.Reply.Dst }),
	replyL4("reply.sport", format.L4Ports, func(t *format.Tuple) uint64 { return uint64(t.SrcPort) }),
	replyL4("reply.dport", format.L4Ports, func(t *format.Tuple) uint64 { return uint64(t.DstPort) }),
	replyL4("reply.srckey", format.L4Keys, func(t *format.Tuple) uint64 { return uint64(t.SrcPort) }),
	replyL4("reply.dstkey", format.L4Keys, func(t *format.Tuple) uint64 { return uint64(t.DstPort) }),
	replyL4("reply.type", format.L4ICMP, func(t *format.Tuple) uint64 { return uint64(t.Type) }),
	replyL4("reply.code", format.L4ICMP, func(t *format.Tuple) uint64 { return uint64(t.Code) }),
	replyL4("reply.id", format.L4ICMP, func(t *format.Tuple) uint64 { return uint64(t.ID) }),
	{name: "state", fields: format.FieldState, diff: func(dst []FieldChange, name string, a, b *format.Flow) []FieldChange {
		if a.State != b.State {
			dst = append(dst, FieldChange{Field: name, Old: a.Proto.StateName(a.State), New: b.Proto.StateName(b.State)})
		}
		return dst
	}},
	// The reply tuple tells NAT: its flags, which save and netlink show and
	// the other formats do not, are compared there, and so are those of its
	// setup, which netlink shows of every flow that passed a nat hook.
	{name: "status", fields: format.FieldStatus, diff: func(dst []FieldChange, name string, a, b *format.Flow) []FieldChange {
		const nat = format.StatusSrcNAT | format.StatusDstNAT | format.StatusSrcNATDone | format.StatusDstNATDone
		if a.Status&^nat != b.Status&^nat {
			dst = append(dst, FieldChange{Field: name, Old: a.Status.String(), New: b.Status.String()})
		}
		return dst
	}},
	uintField("mark", "", format.FieldMark, func(f *format.Flow) uint64 { return uint64(f.Mark) }),
	uintField("secmark", "", format.FieldSecmark, func(f *format.Flow) uint64 { return uint64(f.Secmark) }),
	stringField("secctx", format.FieldSecctx, func(f *format.Flow) string { return f.Secctx }),
	stringField("labels", format.FieldLabels, func(f *format.Flow) string { return f.Labels }),
	stringField("helper", format.FieldHelper, func(f *format.Flow) string { return f.Helper }),
	uintField("zone-reply", "", format.FieldReplyZone, func(f *format.Flow) uint64 { return uint64(f.ReplyZone) }),
	uintField("id", "", format.FieldID, func(f *format.Flow) uint64 { return uint64(f.ID) }),
	uintField("start", "", format.FieldStart, func(f *format.Flow) uint64 { return f.Start }),
	uintField("stop", "", format.FieldStop, func(f *format.Flow) uint64 { return f.Stop }),
	uintField("gre.timeout", "gre", format.FieldGRETimeouts, func(f *format.Flow) uint64 { return uint64(f.GRETimeout) }),
	uintField("gre.stream-timeout", "gre", format.FieldGRETimeouts, func(f *format.Flow) uint64 { return uint64(f.GREStreamTimeout) }),
	counterField("orig.packets", format.FieldOrigCounters, func(f *format.Flow) uint64 { return f.OrigCounters.Packets }),
	counterField("orig.bytes", format.FieldOrigCounters, func(f *format.Flow) uint64 { return f.OrigCounters.Bytes }),
	counterField("reply.packets", format.FieldReplyCounters, func(f *format.Flow) uint64 { return f.ReplyCounters.Packets }),
	counterField("reply.bytes", format.FieldReplyCounters, func(f *format.Flow) uint64 { return f.ReplyCounters.Bytes }),
	volatile(diffField{name: "timeout", fields: format.FieldTimeout, diff: func(dst []FieldChange, name string, a, b *format.Flow) []FieldChange {
		if a.Timeout != b.Timeout {
			dst = append(dst, FieldChange{Field: name, Old: strconv.FormatInt(a.Timeout, 10), New: strconv.FormatInt(b.Timeout, 10)})
		}
		return dst
	}}),
	volatile(uintField("use", "", format.FieldUse, func(f *format.Flow) uint64 { return uint64(f.Use) })),
	volatile(uintField("delta-time", "", format.FieldDeltaTime, func(f *format.Flow) uint64 { return f.DeltaTime })),
}

// diffGroups are the names that ignore several fields.
var diffGroups = []string{"reply", "counters", "gre"}

// DiffFields returns the names DiffOptions.Ignore takes: those of the
// fields a Diff compares, as FieldChange.Field has them, then of the
// groups that name several: "reply" (the reply tuple), "counters",
// "gre". Timeout, use and delta-time are compared only with
// DiffOptions.Volatile.
func DiffFields() []string {
	var names []string
	for _, f := range diffFields {
		names = append(names, f.name)
	}
	return append(names, diffGroups...)
}

// selectFields returns the fields to compare under opts, or an
// *OptionError for a name of opts.Ignore that DiffFields does not return.
func selectFields(opts DiffOptions) ([]diffField, error) {
	valid := DiffFields()
	ignore := map[string]bool{}
	for _, name := range opts.Ignore {
		name = strings.TrimSpace(name)
		if !slices.Contains(valid, name) {
			return nil, &OptionError{Option: "DiffOptions.Ignore", Value: name, Msg: "no field " + strconv.Quote(name) + " to ignore", Valid: valid}
		}
		ignore[name] = true
	}
	var out []diffField
	for _, f := range diffFields {
		if !ignore[f.name] && !ignore[f.group] && (!f.volatile || opts.Volatile) {
			out = append(out, f)
		}
	}
	return out, nil
}

// compare appends to dst the fields in which old and new differ.
func (d *Diff) compare(dst []FieldChange, old, new *format.Flow) []FieldChange {
	for i := range d.fields {
		f := &d.fields[i]
		if old.Has(f.fields) && new.Has(f.fields) && (f.l4 == format.L4None || f.l4 == old.Proto.Layer4()) {
			dst = f.diff(dst, f.name, old, new)
		}
	}
	return dst
}
