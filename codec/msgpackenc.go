package codec

import (
	"io"
	"math/bits"
	"net/netip"

	"github.com/ctconv/ctconv/format"
)

// MsgpackEncoder writes flows and expectations as msgpack records.
type MsgpackEncoder struct {
	w     io.Writer
	buf   record  // the record being encoded
	enc   *record // the same, which its methods append to
	addrs addrTable
	alone bool // no back-references: see SelfContained
}

// SelfContained makes every record carry its addresses, so that each
// record decodes alone, by a decoder Reset to it, in any order: for an
// index of records, at the cost of the back-references.
func (e *MsgpackEncoder) SelfContained() { e.alone = true }

// NewMsgpackEncoder returns an encoder that writes to w, a record a Write.
func NewMsgpackEncoder(w io.Writer) *MsgpackEncoder {
	e := &MsgpackEncoder{w: w}
	e.enc = &e.buf
	e.addrs.index = make([]uint64, 1<<indexBits)
	return e
}

// Reset makes e write a new stream to w.
func (e *MsgpackEncoder) Reset(w io.Writer) {
	e.w = w
	e.buf = e.buf[:0]
	e.addrs.reset()
}

// record is the buffer a record is encoded into (mpwrite.go).
type record []byte

// flush writes the record encoded into the buffer.
func (e *MsgpackEncoder) flush() error {
	_, err := e.w.Write(e.buf)
	e.buf = e.buf[:0]
	return err
}

// addr writes a back-reference to a known address, or the address, which
// joins the table.
func (e *MsgpackEncoder) addr(a netip.Addr) {
	if e.alone {
		e.literal(a)
		return
	}
	n, hash, ok := e.addrs.find(a)
	e.addrs.add(a, hash) // a back-reference moves the address to the front, too
	if ok {
		e.enc.EncodeUint(e.addrs.n - n - 2)
		return
	}
	e.literal(a)
}

func (e *MsgpackEncoder) literal(a netip.Addr) {
	if a.Is4() {
		b := a.As4()
		e.enc.EncodeBytes(b[:])
		return
	}
	b := a.As16()
	e.enc.EncodeBytes(b[:])
}

// tuple writes t's addresses and its layer-4 part, of kind k.
func (e *MsgpackEncoder) tuple(k format.Layer4, t *format.Tuple) {
	e.addr(t.Src)
	e.addr(t.Dst)
	if v, ok := l4Value(k, t); ok {
		e.enc.EncodeUint(v)
	}
}

// replyDiff returns which elements of f's reply tuple differ from its base:
// bit 0 the source, bit 1 the destination, bit 2 the layer-4 part. NAT
// changes one or two of them, so a record carries only those.
func replyDiff(f *format.Flow, k format.Layer4) uint64 {
	m := replyBase(f, k)
	var diff uint64
	if f.Reply.Src != m.Src {
		diff |= 1
	}
	if f.Reply.Dst != m.Dst {
		diff |= 2
	}
	got, ok := l4Value(k, &f.Reply)
	if want, _ := l4Value(k, &m); ok && got != want {
		diff |= 4
	}
	return diff
}

// EncodeFlow writes f as one record. A tuple without its addresses is an
// EncodeError: a record has no way to say "no address".
func (e *MsgpackEncoder) EncodeFlow(f *format.Flow) error {
	noReply := noReply(f)
	if err := addressed("flow", &f.Orig); err != nil {
		return err
	}
	if !noReply {
		if err := addressed("flow", &f.Reply); err != nil {
			return err
		}
	}
	mask := fieldsMask(flowWire, flowLayout, flowFields[:], uint64(f.Fields), f)
	l4 := format.L4None
	if f.Has(format.FieldL4) {
		l4 = f.Proto.Layer4()
	}
	n := 6 + l4Len(l4)
	var diff uint64
	if noReply {
		mask |= wireNoReply
	} else if diff = replyDiff(f, l4); diff != 0 {
		mask |= wireReply
		n += 1 + bits.OnesCount64(diff)
	}
	e.head(KindFlow, n+countValues(flowLayout, flowFields[:], mask, f), mask, f.Family, f.Proto)
	e.tuple(l4, &f.Orig)
	if diff != 0 {
		e.enc.EncodeUint(diff)
		if diff&1 != 0 {
			e.addr(f.Reply.Src)
		}
		if diff&2 != 0 {
			e.addr(f.Reply.Dst)
		}
		if diff&4 != 0 {
			v, _ := l4Value(l4, &f.Reply)
			e.enc.EncodeUint(v)
		}
	}
	putFields(e, flowLayout, flowFields[:], mask, f)
	return e.flush()
}

// EncodeExpect writes x as one record; see EncodeFlow.
func (e *MsgpackEncoder) EncodeExpect(x *format.Expect) error {
	err := addressed("expectation", &x.Tuple)
	if err == nil && x.Has(format.ExpectMask) {
		err = addressed("mask", &x.Mask)
	}
	if err == nil && x.Has(format.ExpectMaster) {
		err = addressed("master", &x.Master)
	}
	if err != nil {
		return err
	}
	mask := fieldsMask(expectWire, expectLayout, expectFields[:], uint64(x.Fields), x)
	l4 := x.Proto.Layer4()
	e.head(KindExpect, 6+l4Len(l4)+countValues(expectLayout, expectFields[:], mask, x), mask, x.Family, x.Proto)
	e.tuple(l4, &x.Tuple)
	putFields(e, expectLayout, expectFields[:], mask, x)
	return e.flush()
}

// fieldsMask returns the mask of r's fields: the wire's bits of its set
// of fields, has, and the record's own bits that are present.
func fieldsMask[R any](set *wireSet, l *wireLayout, fields []wireField[R], has uint64, r *R) uint64 {
	mask := set.wire(has)
	for _, i := range l.own {
		if fields[i].present(r) {
			mask |= 1 << i
		}
	}
	return mask
}

// countValues returns how many values the fields of mask take.
func countValues[R any](l *wireLayout, fields []wireField[R], mask uint64, r *R) int {
	n := l.count(mask)
	for m := mask & l.more; m != 0; m &= m - 1 {
		n += fields[bits.TrailingZeros64(m)].more(r)
	}
	return n
}

// putFields writes the values of the fields of mask, in the order of its
// bits.
func putFields[R any](e *MsgpackEncoder, l *wireLayout, fields []wireField[R], mask uint64, r *R) {
	for m := mask & l.values; m != 0; m &= m - 1 {
		fields[bits.TrailingZeros64(m)].put(e, r)
	}
}

// head writes what every flow and expectation record starts with: its
// length, kind and mask, and the family and protocol.
func (e *MsgpackEncoder) head(k Kind, n int, mask uint64, fam format.Family, proto format.Proto) {
	e.enc.EncodeArrayLen(n)
	e.enc.EncodeUint(uint64(k))
	e.enc.EncodeUint(mask)
	e.enc.EncodeUint(uint64(fam))
	e.enc.EncodeUint(uint64(proto))
}

// extras writes the slot and text pairs of f.Extras.
func (e *MsgpackEncoder) extras(f *format.Flow) {
	e.enc.EncodeArrayLen(2 * f.Extras.Len())
	for slot, tok := range f.Extras.All() {
		e.enc.EncodeUint(uint64(slot))
		e.enc.EncodeString(tok)
	}
}

// noReply reports whether f has no reply tuple, as a flow of conntrackd -e
// has none: neither address.
func noReply(f *format.Flow) bool { return !f.Reply.Src.IsValid() && !f.Reply.Dst.IsValid() }

// addressed returns an EncodeError if a tuple of ts lacks an address.
func addressed(what string, ts ...*format.Tuple) error {
	for _, t := range ts {
		if !t.Src.IsValid() || !t.Dst.IsValid() {
			return &EncodeError{Msg: "a " + what + " tuple without its addresses"}
		}
	}
	return nil
}

// EncodeEnd writes the record that ends a stream of count records, so that
// a reader can tell a whole stream from a cut one.
func (e *MsgpackEncoder) EncodeEnd(count uint64) error {
	e.enc.EncodeArrayLen(2)
	e.enc.EncodeUint(uint64(KindEnd))
	e.enc.EncodeUint(count)
	return e.flush()
}
