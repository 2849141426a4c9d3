package codec

import (
	"encoding/binary"
	"math"
	"math/bits"
	"net/netip"

	"github.com/ctconv/ctconv/format"
)

// The msgpack encoding of the model is a stream of records, each a msgpack
// array: its kind, a mask of the fields present, and the fields, in the
// order of the mask's bits. A newer writer adds fields at higher bits,
// after all others, so a reader skips the elements it does not know; it
// also skips records of kinds it does not know. docs/SNAPSHOT.md
// specifies it.
//
// The stream spends no bits on what it can infer: absent fields cost
// nothing; of the reply tuple, only what differs from the mirror of the
// original is there; an address used lately is a back-reference into a
// table of the last 65536 addresses used, which writer and reader keep
// alike. What repeats from record to record, zstd takes care of.
//
// This file is the layout: which mask bit carries which field, as a
// table per kind of record that MsgpackEncoder and MsgpackDecoder both
// walk, and what writer and reader keep alike. The numbering is part of
// the format, frozen as version 1 has it, and does not follow the order
// of package format's constants, which may change: TestWireNumbering
// holds the tables to version 1. A later field takes a bit above the
// version's highest (wireVersion, wireExpectVersion), since a record's
// values follow the order of its bits and a reader skips those after the
// bits it knows.

// Kind is the kind of a msgpack record.
type Kind uint8

// The kinds of record.
const (
	KindFlow   Kind = 1
	KindExpect Kind = 2
	// KindEnd ends a stream and tells how many records it holds; see
	// MsgpackEncoder.EncodeEnd.
	KindEnd Kind = 3
)

// The bits of a flow record's mask that are the record's own, not a bit
// of format.Fields.
const (
	wireEvent   = 1 << 25
	wireQuirks  = 1 << 26
	wireExtras  = 1 << 27
	wireReply   = 1 << 28 // the reply tuple differs from the mirror of the original
	wireNoReply = 1 << 31 // no reply tuple (conntrackd -e); no value of its own
	wireNetns   = 1 << 32 // the flow's network namespace (Flow.Netns)
	wireQuirks2 = 1 << 33 // the quirks above version 1's 8, by flowQuirkWire2
	wireVersion = 33      // the highest bit this version knows
	// wireText is the fields that hold text, which a reader checks.
	wireText = 1<<11 | 1<<18 | 1<<19 | 1<<23 | wireExtras | wireNetns
)

// flowFields is the layout of a flow record: the field at each bit of
// its mask, after the family, the protocol and the tuples (see
// EncodeFlow).
var flowFields = [wireVersion + 1]wireField[format.Flow]{
	0:  intField(format.FieldTimeout, func(f *format.Flow) *int64 { return &f.Timeout }),
	1:  uintField(format.FieldState, func(f *format.Flow) *format.State { return &f.State }),
	2:  flagField[format.Flow](format.FieldL4), // carried by the tuples
	3:  uintField(format.FieldOrigZone, func(f *format.Flow) *uint16 { return &f.OrigZone }),
	4:  uintField(format.FieldReplyZone, func(f *format.Flow) *uint16 { return &f.ReplyZone }),
	5:  uintField(format.FieldZone, func(f *format.Flow) *uint16 { return &f.Zone }),
	6:  pairField(format.FieldOrigCounters, func(f *format.Flow) (*uint64, *uint64) { return &f.OrigCounters.Packets, &f.OrigCounters.Bytes }),
	7:  pairField(format.FieldReplyCounters, func(f *format.Flow) (*uint64, *uint64) { return &f.ReplyCounters.Packets, &f.ReplyCounters.Bytes }),
	8:  uintField(format.FieldStatus, func(f *format.Flow) *format.Status { return &f.Status }),
	9:  uintField(format.FieldMark, func(f *format.Flow) *uint32 { return &f.Mark }),
	10: uintField(format.FieldSecmark, func(f *format.Flow) *uint32 { return &f.Secmark }),
	11: stringField(format.FieldSecctx, func(f *format.Flow) *string { return &f.Secctx }),
	12: uintField(format.FieldUse, func(f *format.Flow) *uint32 { return &f.Use }),
	13: uintField(format.FieldID, func(f *format.Flow) *uint32 { return &f.ID }),
	14: uintField(format.FieldDeltaTime, func(f *format.Flow) *uint64 { return &f.DeltaTime }),
	15: uintField(format.FieldStart, func(f *format.Flow) *uint64 { return &f.Start }),
	16: uintField(format.FieldStop, func(f *format.Flow) *uint64 { return &f.Stop }),
	17: pairField(format.FieldGRETimeouts, func(f *format.Flow) (*uint32, *uint32) { return &f.GRETimeout, &f.GREStreamTimeout }),
	18: stringField(format.FieldHelper, func(f *format.Flow) *string { return &f.Helper }),
	19: stringField(format.FieldLabels, func(f *format.Flow) *string { return &f.Labels }),
	20: intField(format.FieldEventTime, func(f *format.Flow) *int64 { return &f.EventTime }),
	21: flagField[format.Flow](format.FieldUserspace),
	22: uintField(format.FieldPortID, func(f *format.Flow) *uint32 { return &f.PortID }),
	23: stringField(format.FieldProgname, func(f *format.Flow) *string { return &f.Progname }),
	24: pairField(format.FieldVtags, func(f *format.Flow) (*uint32, *uint32) { return &f.OrigVtag, &f.ReplyVtag }),
	25: eventField(func(f *format.Flow) *format.Event { return &f.Event }),
	26: quirksField(quirkWire, func(f *format.Flow) *format.Quirks { return &f.Quirks }),
	27: {present: func(f *format.Flow) bool { return f.Extras.Len() > 0 }, n: 1,
		put: (*MsgpackEncoder).extras, get: (*MsgpackDecoder).extras},
	28: {}, // wireReply: carried by the tuples
	29: intField(format.FieldExpires, func(f *format.Flow) *int64 { return &f.Expires }),
	30: intField(format.FieldActiveSince, func(f *format.Flow) *int64 { return &f.ActiveSince }),
	31: {}, // wireNoReply: carried by the tuples
	32: {present: func(f *format.Flow) bool { return f.Netns != "" }, n: 1,
		text: func(f *format.Flow) *string { return &f.Netns },
		put:  func(e *MsgpackEncoder, f *format.Flow) { e.enc.EncodeString(f.Netns) },
		get: func(d *MsgpackDecoder, f *format.Flow) (err error) {
			if f.Netns, err = d.string(); err == nil && f.Netns == "" {
				err = corrupt("an empty network namespace")
			}
			return err
		}},
	33: quirksField(flowQuirkWire2, func(f *format.Flow) *format.Quirks { return &f.Quirks }),
}

// The bits of an expectation record's mask.
const (
	wireExpectMask    = 1 << 1
	wireExpectMaster  = 1 << 2
	wireExpectEvent   = 1 << 12
	wireExpectQuirks  = 1 << 13
	wireExpectFlags   = 1 << 14
	wireExpectQuirks2 = 1 << 16 // the quirks above version 1's 8, by expectQuirkWire
	wireExpectVersion = 18
)

// expectFields is the layout of an expectation record, as flowFields of
// a flow's.
var expectFields = [wireExpectVersion + 1]wireField[format.Expect]{
	0: intField(format.ExpectTimeout, func(x *format.Expect) *int64 { return &x.Timeout }),
	1: {model: uint64(format.ExpectMask), n: 2, more: func(x *format.Expect) int { return l4Len(x.Proto.Layer4()) },
		put: func(e *MsgpackEncoder, x *format.Expect) { e.tuple(x.Proto.Layer4(), &x.Mask) },
		get: func(d *MsgpackDecoder, x *format.Expect) error { return d.tuple(x.Proto.Layer4(), &x.Mask) }},
	2: {model: uint64(format.ExpectMaster), n: 3, more: func(x *format.Expect) int { return l4Len(x.MasterL4) },
		put: func(e *MsgpackEncoder, x *format.Expect) {
			e.enc.EncodeUint(uint64(x.MasterL4))
			e.tuple(x.MasterL4, &x.Master)
		},
		get: func(d *MsgpackDecoder, x *format.Expect) error {
			n, err := d.uint(uint64(format.L4ICMP))
			if err != nil {
				return err
			}
			x.MasterL4 = format.Layer4(n)
			return d.tuple(x.MasterL4, &x.Master)
		}},
	3:  uintField(format.ExpectZone, func(x *format.Expect) *uint16 { return &x.Zone }),
	4:  flagField[format.Expect](format.ExpectFlagsSet),
	5:  uintField(format.ExpectClass, func(x *format.Expect) *uint32 { return &x.Class }),
	6:  stringField(format.ExpectHelper, func(x *format.Expect) *string { return &x.Helper }),
	7:  stringField(format.ExpectPolicy, func(x *format.Expect) *string { return &x.Policy }),
	8:  intField(format.ExpectEventTime, func(x *format.Expect) *int64 { return &x.EventTime }),
	9:  flagField[format.Expect](format.ExpectUserspace),
	10: uintField(format.ExpectPortID, func(x *format.Expect) *uint32 { return &x.PortID }),
	11: stringField(format.ExpectProgname, func(x *format.Expect) *string { return &x.Progname }),
	12: eventField(func(x *format.Expect) *format.Event { return &x.Event }),
	13: quirksField(quirkWire, func(x *format.Expect) *format.Quirks { return &x.Quirks }),
	14: ownField(func(x *format.Expect) bool { return x.Flags != 0 },
		uintField(format.ExpectFields(0), func(x *format.Expect) *format.ExpectFlags { return &x.Flags })),
	15: uintField(format.ExpectUse, func(x *format.Expect) *uint32 { return &x.Use }),
	16: quirksField(expectQuirkWire, func(x *format.Expect) *format.Quirks { return &x.Quirks }),
	17: intField(format.ExpectExpires, func(x *format.Expect) *int64 { return &x.Expires }),
	18: intField(format.ExpectActiveSince, func(x *format.Expect) *int64 { return &x.ActiveSince }),
}

// flowWire and expectWire translate the model's sets of fields to their
// bits on the wire and back, as the tables lay them out.
var (
	flowWire   = tableWireSet(flowFields[:])
	expectWire = tableWireSet(expectFields[:])
)

// flowLayout and expectLayout are what the tables say the encoder and
// decoder walk.
var (
	flowLayout   = newWireLayout(flowFields[:])
	expectLayout = newWireLayout(expectFields[:])
)

// quirkWire is the bit of each of format.Quirks in the quirks value of a
// flow or expectation record.
var quirkWire = newWireSet([]wirePair{
	{uint64(format.QuirkUnknownName), 1 << 0},
	{uint64(format.QuirkListen), 1 << 1},
	{uint64(format.QuirkTrailingSpace), 1 << 2},
	{uint64(format.QuirkUseBeforeMark), 1 << 3},
	{uint64(format.QuirkSignedMark), 1 << 4},
	{uint64(format.QuirkSpacedMicros), 1 << 5},
	{uint64(format.QuirkNullState), 1 << 6},
	{uint64(format.QuirkCRLF), 1 << 7},
})

// expectQuirkWire is the bit of each of the quirks that only older
// producers' expectation lines have, in an expectation record's second
// quirks value: version 1's readers check the first to be below 256.
var expectQuirkWire = newWireSet([]wirePair{
	{uint64(format.QuirkOldLibnfct), 1 << 0},
	{uint64(format.QuirkNoL3proto), 1 << 1},
	{uint64(format.QuirkExpecting), 1 << 2},
})

// flowQuirkWire2 is the bit of the quirk of older producers' lines that a
// flow may have, in a flow record's second quirks value: as an
// expectation's.
var flowQuirkWire2 = newWireSet(expectQuirkWire.pairs[:1])

// A wireField is the field of a record of R (format.Flow or
// format.Expect) at a bit of the record's mask: what says it is present,
// how many values it takes, and how they are put on the wire and got back.
type wireField[R any] struct {
	// model is the bit of R's set of fields that says the field is
	// present; present says it for the record's own bits, which have none.
	model   uint64
	present func(*R) bool
	// n is the number of values; more, where not nil, adds those that
	// depend on the record.
	n    int
	more func(*R) int
	// put writes the values and get reads them; nil for a field that is
	// its bit alone, or carried by the tuples.
	put func(*MsgpackEncoder, *R)
	get func(*MsgpackDecoder, *R) error
	// A field of integers has set instead of get: the decoder reads its
	// n values (int64's bits for a signed one), each at most max, and set
	// stores them. Most of a record's values are such, and reading them
	// in the decoder's loop costs a fifth of what a call for each does.
	set func(*R, *[2]uint64)
	max uint64
	// load is set's inverse, which a ColumnEncoder reads the values
	// with; signed says they are int64's bits.
	load   func(*R, *[2]uint64)
	signed bool
	// text is where a field of one string keeps it, which a
	// ColumnEncoder and ColumnDecoder use instead of put and get.
	text func(*R) *string
	// apply, where not nil, is what a ColumnDecoder stores a column's
	// values with, a loop faster than set for each: the field of record
	// sel[j] takes v[0][j] (and v[1][j]).
	apply func(rs []R, sel []int32, v *[2][]uint64)
}

// flagField is a field that is its bit alone.
func flagField[R any, S format.Fields | format.ExpectFields](model S) wireField[R] {
	return wireField[R]{model: uint64(model)}
}

// uintField is a field of one unsigned value, as wide as N.
func uintField[R any, N ~uint8 | ~uint16 | ~uint32 | ~uint64, S format.Fields | format.ExpectFields](model S, at func(*R) *N) wireField[R] {
	return wireField[R]{model: uint64(model), n: 1, max: uint64(^N(0)),
		put:  func(e *MsgpackEncoder, r *R) { e.enc.EncodeUint(uint64(*at(r))) },
		set:  func(r *R, v *[2]uint64) { *at(r) = N(v[0]) },
		load: func(r *R, v *[2]uint64) { v[0] = uint64(*at(r)) },
		apply: func(rs []R, sel []int32, v *[2][]uint64) {
			for j, i := range sel {
				*at(&rs[i]) = N(v[0][j])
			}
		},
	}
}

// pairField is a field of two unsigned values, each as wide as N.
func pairField[R any, N ~uint32 | ~uint64, S format.Fields | format.ExpectFields](model S, at func(*R) (*N, *N)) wireField[R] {
	return wireField[R]{model: uint64(model), n: 2, max: uint64(^N(0)),
		put: func(e *MsgpackEncoder, r *R) {
			a, b := at(r)
			e.enc.EncodeUint(uint64(*a))
			e.enc.EncodeUint(uint64(*b))
		},
		set: func(r *R, v *[2]uint64) {
			a, b := at(r)
			*a, *b = N(v[0]), N(v[1])
		},
		load: func(r *R, v *[2]uint64) {
			a, b := at(r)
			v[0], v[1] = uint64(*a), uint64(*b)
		},
		apply: func(rs []R, sel []int32, v *[2][]uint64) {
			for j, i := range sel {
				a, b := at(&rs[i])
				*a, *b = N(v[0][j]), N(v[1][j])
			}
		},
	}
}

// intField is a field of one signed value.
func intField[R any, S format.Fields | format.ExpectFields](model S, at func(*R) *int64) wireField[R] {
	return wireField[R]{model: uint64(model), n: 1, max: math.MaxUint64, signed: true,
		put:  func(e *MsgpackEncoder, r *R) { e.enc.EncodeInt(*at(r)) },
		set:  func(r *R, v *[2]uint64) { *at(r) = int64(v[0]) },
		load: func(r *R, v *[2]uint64) { v[0] = uint64(*at(r)) },
		apply: func(rs []R, sel []int32, v *[2][]uint64) { // zigzagged
			for j, i := range sel {
				*at(&rs[i]) = unzigzag(v[0][j])
			}
		},
	}
}

// stringField is a field of one string.
func stringField[R any, S format.Fields | format.ExpectFields](model S, at func(*R) *string) wireField[R] {
	return wireField[R]{model: uint64(model), n: 1, text: at,
		put: func(e *MsgpackEncoder, r *R) { e.enc.EncodeString(*at(r)) },
		get: func(d *MsgpackDecoder, r *R) (err error) {
			*at(r), err = d.string()
			return err
		},
	}
}

// ownField is f at one of the record's own bits, there where present
// says.
func ownField[R any](present func(*R) bool, f wireField[R]) wireField[R] {
	f.present = present
	return f
}

// eventField is the record's event type, there unless EventNone.
func eventField[R any](at func(*R) *format.Event) wireField[R] {
	return wireField[R]{n: 1, max: uint64(format.EventDestroy),
		present: func(r *R) bool { return *at(r) != format.EventNone },
		put:     func(e *MsgpackEncoder, r *R) { e.enc.EncodeUint(uint64(*at(r))) },
		set:     func(r *R, v *[2]uint64) { *at(r) = format.Event(v[0]) },
		load:    func(r *R, v *[2]uint64) { v[0] = uint64(*at(r)) },
	}
}

// quirksField is the record's quirks that set carries, there unless it
// has none of them.
func quirksField[R any](set *wireSet, at func(*R) *format.Quirks) wireField[R] {
	return wireField[R]{n: 1, max: set.all,
		present: func(r *R) bool { return set.wire(uint64(*at(r))) != 0 },
		put:     func(e *MsgpackEncoder, r *R) { e.enc.EncodeUint(set.wire(uint64(*at(r)))) },
		set:     func(r *R, v *[2]uint64) { *at(r) |= format.Quirks(set.model(v[0])) },
		load:    func(r *R, v *[2]uint64) { v[0] = set.wire(uint64(*at(r))) },
	}
}

// tableWireSet returns the wireSet of the model's bits of a table.
func tableWireSet[R any](fields []wireField[R]) *wireSet {
	var pairs []wirePair
	for i, f := range fields {
		if f.model != 0 {
			pairs = append(pairs, wirePair{f.model, 1 << i})
		}
	}
	return newWireSet(pairs)
}

// A wireLayout is what the encoder and the decoder derive from a table:
// the bits of fields that the record's own test says are present (own),
// whose number of values the record tells (more), that have values to
// put and get (values), and the number of values of each byte of a mask
// (counts).
type wireLayout struct {
	own          []int
	more, values uint64
	counts       [5][256]uint8 // a flow's mask has 33 bits
}

func newWireLayout[R any](fields []wireField[R]) *wireLayout {
	l := new(wireLayout)
	for i, f := range fields {
		if f.present != nil {
			l.own = append(l.own, i)
		}
		if f.more != nil {
			l.more |= 1 << i
		}
		if f.put != nil {
			l.values |= 1 << i
		}
		for v := range 256 {
			if v>>(i%8)&1 != 0 {
				l.counts[i/8][v] += uint8(f.n)
			}
		}
	}
	return l
}

// count returns the number of values of the fields of mask, but for
// those of more.
func (l *wireLayout) count(mask uint64) int {
	c := &l.counts
	return int(c[0][byte(mask)]) + int(c[1][byte(mask>>8)]) + int(c[2][byte(mask>>16)]) + int(c[3][byte(mask>>24)]) + int(c[4][byte(mask>>32)])
}

// wirePair is a bit of the model and the bit that stands for it on the
// wire.
type wirePair struct{ model, wire uint64 }

// wireSet translates sets of bits between the model and the wire, a byte
// at a time through tables: a few loads a record.
type wireSet struct {
	pairs []wirePair
	all   uint64 // the wire's bits of the set
	// toWire holds, for each byte of the model's bits and each of its
	// values, the wire's bits that stand for them; toModel the same the
	// other way.
	toWire, toModel byteTables
}

// byteTables translate 32 bits: those of the model's sets (format.Fields
// is a uint32), and those that stand for them on the wire, below 32 in
// version 1 (a field of the model's at bit 32 or above needs a fifth
// byte: add panics; bit 32, the namespace, is a record's own).
type byteTables [4][256]uint64

func newWireSet(pairs []wirePair) *wireSet {
	s := &wireSet{pairs: pairs}
	for _, p := range pairs {
		s.toWire.add(p.model, p.wire)
		s.toModel.add(p.wire, p.model)
		s.all |= p.wire
	}
	return s
}

// add makes t translate bit from to bit to.
func (t *byteTables) add(from, to uint64) {
	n := bits.TrailingZeros64(from)
	for v := range 256 {
		if v>>(n%8)&1 != 0 {
			t[n/8][v] |= to
		}
	}
}

// wire returns the wire's bits for the model's m.
func (s *wireSet) wire(m uint64) uint64 { return s.toWire.translate(m) }

// model returns the model's bits for the wire's w; bits the set does not
// know, such as those of the record's other parts, give none.
func (s *wireSet) model(w uint64) uint64 { return s.toModel.translate(w) }

func (t *byteTables) translate(m uint64) uint64 {
	return t[0][byte(m)] | t[1][byte(m>>8)] | t[2][byte(m>>16)] | t[3][byte(m>>24)]
}

// addrTableSize is how many recent addresses back-references reach.
const addrTableSize = 1 << 16

// addrTable holds the last addresses a stream carried, by their number in
// the stream.
type addrTable struct {
	ring []netip.Addr // grows to addrTableSize, as short streams need little
	n    uint64       // addresses carried so far
	// index is the writer's way to an address in the ring: a hash table
	// with one entry a bucket, the number+1 of the address that hashed
	// there last. The ring confirms a find, so a collision costs only a
	// back-reference not taken; a map costs more than the rest of a record.
	index []uint64
}

const indexBits = 17 // twice the ring's size

func hashAddr(a netip.Addr) uint64 {
	b := a.As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	return (hi*0x9e3779b97f4a7c15 ^ lo*0xc2b2ae3d27d4eb4f) >> (64 - indexBits)
}

// find returns the number of a in the ring, if it is there, and a's hash
// for add.
func (t *addrTable) find(a netip.Addr) (n, hash uint64, ok bool) {
	hash = hashAddr(a)
	v := t.index[hash]
	n = v - 1
	return n, hash, v != 0 && n < t.n && t.n-n <= addrTableSize && t.ring[n%addrTableSize] == a
}

// add adds a to the ring; the writer gives its hash.
func (t *addrTable) add(a netip.Addr, hash uint64) {
	if len(t.ring) < addrTableSize {
		t.ring = append(t.ring, a)
	} else {
		t.ring[t.n%addrTableSize] = a
	}
	if t.index != nil {
		t.index[hash] = t.n + 1
	}
	t.n++
}

// reset empties the table. The index keeps the numbers of the stream
// before, which find refuses where they are not yet of this one, and the
// ring confirms where they are: clearing it cost the writer of a
// snapshot of small blocks (version 2) a megabyte of stores a block.
func (t *addrTable) reset() {
	t.n = 0
	t.ring = t.ring[:0]
}

// l4Value packs the layer-4 part of t, of kind k, into one value: ports
// and keys as source<<16 | destination, ICMP as type<<24 | code<<16 | id.
// One value costs a reader half what two do. It reports false for
// L4None, which carries nothing.
func l4Value(k format.Layer4, t *format.Tuple) (uint64, bool) {
	switch k {
	case format.L4Ports, format.L4Keys:
		return uint64(t.SrcPort)<<16 | uint64(t.DstPort), true
	case format.L4ICMP:
		return uint64(t.Type)<<24 | uint64(t.Code)<<16 | uint64(t.ID), true
	}
	return 0, false
}

func setL4(k format.Layer4, t *format.Tuple, v uint64) {
	switch k {
	case format.L4Ports, format.L4Keys:
		t.SrcPort, t.DstPort = uint16(v>>16), uint16(v)
	case format.L4ICMP:
		t.Type, t.Code, t.ID = uint8(v>>24), uint8(v>>16), uint16(v)
	}
}

// l4Len returns the number of values of a layer-4 part of kind k: 0 or 1.
func l4Len(k format.Layer4) int {
	if k == format.L4None {
		return 0
	}
	return 1
}

// replyBase returns what a record's reply tuple is told against: the
// mirror of the original, with a layer-4 part only if the record has one.
// The mirror is part of the format, so it is made here as version 1 made
// it, not by format.Flow.Mirror, which follows the kernel as ctconv learns
// it (it turned an echo request into type 9 until a later version made it
// 0): a record decodes as it did when it was written.
func replyBase(f *format.Flow, k format.Layer4) format.Tuple {
	o := &f.Orig
	m := format.Tuple{Src: o.Dst, Dst: o.Src}
	if !f.Has(format.FieldL4) || k == format.L4None {
		return m
	}
	switch f.Proto.Layer4() {
	case format.L4ICMP:
		m.Type, m.Code, m.ID = wireICMPReply(f.Proto, o.Type), o.Code, o.ID
	case format.L4Ports, format.L4Keys:
		m.SrcPort, m.DstPort = o.DstPort, o.SrcPort
	}
	return m
}

// wireICMPReply is the ICMP type replyBase mirrors type t to, frozen as
// version 1 of the format has it.
func wireICMPReply(p format.Proto, t uint8) uint8 {
	switch {
	case p == format.ICMPv6 && (t == 128 || t == 139), p == format.ICMP && (t == 8 || t == 13 || t == 15 || t == 17):
		return t + 1
	case p == format.ICMPv6 && (t == 129 || t == 140), p == format.ICMP && (t == 14 || t == 16 || t == 18):
		return t - 1
	case p == format.ICMP && t == 0:
		return 8
	}
	return t
}

// replyDiff returns which elements of f's reply tuple differ from its base:
// bit 0 the source, bit 1 the destination, bit 2 the layer-4 part. NAT
