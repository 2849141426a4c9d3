package codec

import (
	"math/bits"

	"github.com/ctconv/ctconv/format"
)

// The wire numbering of the msgpack records: which mask bit carries which
// field. It is part of the format (docs/SNAPSHOT.md), frozen as version 1
// has it, and does not follow the order of package format's constants,
// which may change: flowWire, expectWire and quirkWire tie the two, and
// TestWireNumbering holds them to version 1. A later field takes a bit
// above the version's highest (wireVersion, wireExpectVersion), since a
// record's values follow the order of its bits and a reader skips those
// after the bits it knows.

// The bits of a flow record's mask.
const (
	wireTimeout       = 1 << 0
	wireState         = 1 << 1
	wireL4            = 1 << 2 // the tuples' layer-4 parts; no value of its own
	wireOrigZone      = 1 << 3
	wireReplyZone     = 1 << 4
	wireZone          = 1 << 5
	wireOrigCounters  = 1 << 6
	wireReplyCounters = 1 << 7
	wireStatus        = 1 << 8
	wireMark          = 1 << 9
	wireSecmark       = 1 << 10
	wireSecctx        = 1 << 11
	wireUse           = 1 << 12
	wireID            = 1 << 13
	wireDeltaTime     = 1 << 14
	wireStart         = 1 << 15
	wireStop          = 1 << 16
	wireGRETimeouts   = 1 << 17
	wireHelper        = 1 << 18
	wireLabels        = 1 << 19
	wireEventTime     = 1 << 20
	wireUserspace     = 1 << 21 // no value of its own
	wirePortID        = 1 << 22
	wireProgname      = 1 << 23
	wireVtags         = 1 << 24
	wireEvent         = 1 << 25
	wireQuirks        = 1 << 26
	wireExtras        = 1 << 27
	wireReply         = 1 << 28 // the reply tuple differs from the mirror of the original
	wireExpires       = 1 << 29
	wireActiveSince   = 1 << 30
	wireNoReply       = 1 << 31 // no reply tuple (conntrackd -e); no value of its own
	wireVersion       = 31      // the highest bit this version knows
)

// flowWire is the mask bit of each of format.Fields.
var flowWire = newWireSet([]wirePair{
	{uint64(format.FieldTimeout), wireTimeout},
	{uint64(format.FieldState), wireState},
	{uint64(format.FieldL4), wireL4},
	{uint64(format.FieldOrigZone), wireOrigZone},
	{uint64(format.FieldReplyZone), wireReplyZone},
	{uint64(format.FieldZone), wireZone},
	{uint64(format.FieldOrigCounters), wireOrigCounters},
	{uint64(format.FieldReplyCounters), wireReplyCounters},
	{uint64(format.FieldStatus), wireStatus},
	{uint64(format.FieldMark), wireMark},
	{uint64(format.FieldSecmark), wireSecmark},
	{uint64(format.FieldSecctx), wireSecctx},
	{uint64(format.FieldUse), wireUse},
	{uint64(format.FieldID), wireID},
	{uint64(format.FieldDeltaTime), wireDeltaTime},
	{uint64(format.FieldStart), wireStart},
	{uint64(format.FieldStop), wireStop},
	{uint64(format.FieldGRETimeouts), wireGRETimeouts},
	{uint64(format.FieldHelper), wireHelper},
	{uint64(format.FieldLabels), wireLabels},
	{uint64(format.FieldEventTime), wireEventTime},
	{uint64(format.FieldUserspace), wireUserspace},
	{uint64(format.FieldPortID), wirePortID},
	{uint64(format.FieldProgname), wireProgname},
	{uint64(format.FieldVtags), wireVtags},
	{uint64(format.FieldExpires), wireExpires},
	{uint64(format.FieldActiveSince), wireActiveSince},
})

// The bits of an expectation record's mask.
const (
	wireExpectTimeout   = 1 << 0
	wireExpectMask      = 1 << 1
	wireExpectMaster    = 1 << 2
	wireExpectZone      = 1 << 3
	wireExpectFlagsSet  = 1 << 4 // no value of its own
	wireExpectClass     = 1 << 5
	wireExpectHelper    = 1 << 6
	wireExpectPolicy    = 1 << 7
	wireExpectEventTime = 1 << 8
	wireExpectUserspace = 1 << 9 // no value of its own
	wireExpectPortID    = 1 << 10
	wireExpectProgname  = 1 << 11
	wireExpectEvent     = 1 << 12
	wireExpectQuirks    = 1 << 13
	wireExpectFlags     = 1 << 14
	wireExpectUse       = 1 << 15
	wireExpectQuirks2   = 1 << 16 // the quirks above version 1's 8, by expectQuirkWire
	wireExpectExpires   = 1 << 17
	wireExpectActive    = 1 << 18
	wireExpectVersion   = 18
)

// expectWire is the mask bit of each of format.ExpectFields.
var expectWire = newWireSet([]wirePair{
	{uint64(format.ExpectTimeout), wireExpectTimeout},
	{uint64(format.ExpectMask), wireExpectMask},
	{uint64(format.ExpectMaster), wireExpectMaster},
	{uint64(format.ExpectZone), wireExpectZone},
	{uint64(format.ExpectFlagsSet), wireExpectFlagsSet},
	{uint64(format.ExpectClass), wireExpectClass},
	{uint64(format.ExpectHelper), wireExpectHelper},
	{uint64(format.ExpectPolicy), wireExpectPolicy},
	{uint64(format.ExpectEventTime), wireExpectEventTime},
	{uint64(format.ExpectUserspace), wireExpectUserspace},
	{uint64(format.ExpectPortID), wireExpectPortID},
	{uint64(format.ExpectProgname), wireExpectProgname},
	{uint64(format.ExpectUse), wireExpectUse},
	{uint64(format.ExpectExpires), wireExpectExpires},
	{uint64(format.ExpectActiveSince), wireExpectActive},
})

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

// wirePair is a bit of the model and the bit that stands for it on the
// wire.
type wirePair struct{ model, wire uint64 }

// wireSet translates sets of bits between the model and the wire, a byte
// at a time through tables: a few loads a record.
type wireSet struct {
	pairs []wirePair
	// toWire holds, for each byte of the model's bits and each of its
	// values, the wire's bits that stand for them; toModel the same the
	// other way.
	toWire, toModel byteTables
}

// byteTables translate 32 bits: those of the model's sets (format.Fields
// is a uint32), and those that stand for them on the wire, below 32 in
// version 1 (a field at bit 32 or above needs a fifth byte: add panics).
type byteTables [4][256]uint64

func newWireSet(pairs []wirePair) *wireSet {
	s := &wireSet{pairs: pairs}
	for _, p := range pairs {
		s.toWire.add(p.model, p.wire)
		s.toModel.add(p.wire, p.model)
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
