package codec

import (
	"errors"
	"io"
	"math"
	"math/bits"
	"net/netip"

	"github.com/ctconv/ctconv/format"
)

// CorruptError says what is wrong with a msgpack record, or with a block
// of columns.
type CorruptError struct{ Msg string }

func (e *CorruptError) Error() string { return "codec: corrupt record: " + e.Msg }

// ErrCorrupt is what CorruptError unwraps to.
var ErrCorrupt = errors.New("codec: corrupt record")

func (e *CorruptError) Unwrap() error { return ErrCorrupt }

func corrupt(msg string) error { return &CorruptError{Msg: msg} }

// maxString bounds the strings a record may hold: longer than any line a
// text format allows, short enough that a hostile length does not make the
// decoder allocate much.
const maxString = 64 << 10

// MsgpackDecoder reads flows and expectations from msgpack records. It
// never allocates from a length the input claims before checking it.
type MsgpackDecoder struct {
	dec     mpReader
	addrs   addrTable
	kept    kept
	left    int       // elements left in the record
	elems   int       // elements the record may still have, nested ones included
	room    int       // bytes the record's strings may still take
	count   uint64    // the count of the end record
	lastGap Gap       // the gap record read last
	vals    [2]uint64 // a field's integers, for its wireField.set
}

// Count returns the number of records that the stream's end record, which
// Decode returned last, says the stream holds.
func (d *MsgpackDecoder) Count() uint64 { return d.count }

// NewMsgpackDecoder returns a decoder that reads from r. It reads ahead
// of the records it decodes (see Buffered).
func NewMsgpackDecoder(r io.Reader) *MsgpackDecoder {
	return &MsgpackDecoder{dec: mpReader{r: r}}
}

// Reset makes d read a new stream from r.
func (d *MsgpackDecoder) Reset(r io.Reader) {
	d.dec = mpReader{buf: d.dec.buf[:0], r: r}
	d.addrs.reset()
}

// ResetBytes makes d read a new stream that is b, all of it: a block of
// a snapshot, whose addresses refer back only within it. Decoding from
// memory costs half what decoding from a reader does.
func (d *MsgpackDecoder) ResetBytes(b []byte) {
	d.dec = mpReader{buf: b}
	d.addrs.reset()
}

// Buffered returns the number of bytes read ahead of the records decoded:
// after the end record, those of a stream that goes on after its end.
func (d *MsgpackDecoder) Buffered() int { return d.dec.rest() }

// element counts an element read from the record, which must have it.
func (d *MsgpackDecoder) element() error {
	if d.left--; d.left < 0 {
		return errEarlyEnd
	}
	return nil
}

var errEarlyEnd = corrupt("record ends early")

// uint reads an element, an unsigned integer of at most max.
func (d *MsgpackDecoder) uint(max uint64) (uint64, error) {
	if n, k := d.dec.short(); k > 0 && d.left > 0 && n <= max {
		d.dec.pos += k
		d.left--
		return n, nil
	}
	return d.wideUint(max)
}

func (d *MsgpackDecoder) wideUint(max uint64) (uint64, error) {
	n, err := d.wideInt()
	if err == nil && uint64(n) > max {
		err = errRange
	}
	return uint64(n), err
}

var errRange = corrupt("value out of range")

// int reads an element, an integer.
func (d *MsgpackDecoder) int() (int64, error) {
	if n, k := d.dec.short(); k > 0 && d.left > 0 {
		d.dec.pos += k
		d.left--
		return int64(n), nil
	}
	return d.wideInt()
}

// wideInt reads an element, an integer of any form.
func (d *MsgpackDecoder) wideInt() (int64, error) {
	if err := d.element(); err != nil {
		return 0, err
	}
	n, err := d.dec.integer()
	if err != nil {
		return 0, d.wrap(err)
	}
	return int64(n), nil
}

// wrap turns the msgpack decoder's errors into corruption; the end of the
// input inside a record is io.ErrUnexpectedEOF.
func (d *MsgpackDecoder) wrap(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	if err == nil || err == io.ErrUnexpectedEOF {
		return err
	}
	var ce *CorruptError
	if errors.As(err, &ce) {
		return err
	}
	return &CorruptError{Msg: err.Error()}
}

// bytes reads a string or binary element of at most limit bytes (see
// read).
func (d *MsgpackDecoder) bytes(limit int) ([]byte, error) {
	if err := d.element(); err != nil {
		return nil, err
	}
	return d.readBytes(limit)
}

func (d *MsgpackDecoder) readBytes(limit int) ([]byte, error) {
	n, err := d.dec.bytesLen()
	if err != nil {
		return nil, d.wrap(err)
	}
	if n < 0 {
		return nil, corrupt("nil where a string was expected")
	}
	return d.read(n, limit)
}

// read reads n bytes, if n is within limit and the record's room: a
// slice of the decoder's buffer, valid until the next read.
func (d *MsgpackDecoder) read(n, limit int) ([]byte, error) {
	if n > limit || n > d.room {
		return nil, corrupt("a string of " + itoa(uint64(n)) + " bytes, more than the record has room for")
	}
	d.room -= n
	b, err := d.dec.next(n)
	return b, d.wrap(err)
}

func (d *MsgpackDecoder) string() (string, error) {
	b, err := d.bytes(maxString)
	if err != nil {
		return "", err
	}
	return d.kept.string(b), nil
}

// addr reads an address or a back-reference to one.
func (d *MsgpackDecoder) addr() (netip.Addr, error) {
	c, err := d.dec.peek()
	if err != nil {
		return netip.Addr{}, d.wrap(err)
	}
	if c <= 0x7f || c == 0xcc || c == 0xcd || c == 0xce || c == 0xcf { // an unsigned integer
		back, err := d.uint(addrTableSize - 1)
		if err != nil {
			return netip.Addr{}, err
		}
		if back >= d.addrs.n {
			return netip.Addr{}, corrupt("reference to an address not yet carried")
		}
		a := d.addrs.ring[(d.addrs.n-back-1)%addrTableSize]
		d.addrs.add(a, 0)
		return a, nil
	}
	b, err := d.bytes(16)
	if err != nil {
		return netip.Addr{}, err
	}
	var a netip.Addr
	switch len(b) {
	case 4:
		a = netip.AddrFrom4([4]byte(b))
	case 16:
		a = netip.AddrFrom16([16]byte(b))
	default:
		return a, corrupt("an address of " + itoa(uint64(len(b))) + " bytes")
	}
	d.addrs.add(a, 0)
	return a, nil
}

// tuple reads a tuple's addresses and its layer-4 part, of kind k.
func (d *MsgpackDecoder) tuple(k format.Layer4, t *format.Tuple) (err error) {
	if t.Src, err = d.addr(); err != nil {
		return err
	}
	if t.Dst, err = d.addr(); err != nil {
		return err
	}
	return d.l4(k, t)
}

// reply reads the elements of the reply tuple that differ from its base.
func (d *MsgpackDecoder) reply(f *format.Flow, k format.Layer4) error {
	diff, err := d.uint(1<<(2+l4Len(k)) - 1)
	if err != nil {
		return err
	}
	if diff&1 != 0 {
		if f.Reply.Src, err = d.addr(); err != nil {
			return err
		}
	}
	if diff&2 != 0 {
		if f.Reply.Dst, err = d.addr(); err != nil {
			return err
		}
	}
	if diff&4 != 0 {
		return d.l4(k, &f.Reply)
	}
	return nil
}

func (d *MsgpackDecoder) l4(k format.Layer4, t *format.Tuple) error {
	if k == format.L4None {
		return nil
	}
	v, err := d.uint(math.MaxUint32)
	setL4(k, t, v)
	return err
}

// Decode reads the next record into f, if it is a flow, or into e, if it is
// an expectation, and returns its kind; for an end record, Count tells the
// count it carries. Records of kinds it does not know are skipped, and
// so are the table's counters and gaps (see DecodeRecord). At the end of the stream it returns io.EOF; errors about
// the stream's content wrap ErrCorrupt.
func (d *MsgpackDecoder) Decode(f *format.Flow, e *format.Expect) (Kind, error) {
	for {
		if k, err := d.DecodeRecord(f, e, nil); k != KindGap || err != nil {
			return k, err
		}
	}
}

// DecodeRecord is Decode that also reads a record of the table's counters
// into s, if s is not nil, and returns KindStats for it, and returns
// KindGap for a gap record, which Gap then tells. A record that holds
// only counters a later writer added is skipped.
func (d *MsgpackDecoder) DecodeRecord(f *format.Flow, e *format.Expect, s *format.Stats) (Kind, error) {
	for {
		n, err := d.dec.arrayLen()
		if err == io.EOF {
			return 0, err // the end of the stream, between records
		}
		if err != nil {
			return 0, d.wrap(err)
		}
		if n < 2 || n > maxRecordElems {
			return 0, corrupt("a record with " + itoa(uint64(n)) + " elements, not 2 to " + itoa(maxRecordElems))
		}
		d.left, d.elems, d.room = n, maxRecordElems, maxRecordBytes
		k, err := d.uint(math.MaxUint8)
		if err != nil {
			return 0, err
		}
		switch Kind(k) {
		case KindEnd:
			if d.count, err = d.uint(math.MaxUint64); err != nil {
				return 0, err
			}
			return KindEnd, d.skipRest()
		case KindFlow:
			if f == nil {
				return 0, corrupt("a flow where expectations were expected")
			}
			return KindFlow, d.flow(f)
		case KindExpect:
			if e == nil {
				return 0, corrupt("an expectation where flows were expected")
			}
			return KindExpect, d.expect(e)
		case KindGap:
			return KindGap, d.decodeGap()
		case KindStats:
			if s == nil {
				break
			}
			if err := d.stats(s); err != errLaterStats {
				return KindStats, err
			}
		}
		if err := d.skipRest(); err != nil {
			return 0, err
		}
	}
}

// skipRest skips the elements left in the record: those of fields a newer
// writer added.
func (d *MsgpackDecoder) skipRest() error {
	for ; d.left > 0; d.left-- {
		if err := d.skip(0); err != nil {
			return err
		}
	}
	return nil
}

// Bounds of a record, which no writer reaches: a text line is at most
// 64 KiB, and the model has some 40 fields.
const (
	maxRecordBytes = 64 << 10 // the record's strings together
	maxRecordElems = 4096     // its elements, nested ones included
)

// skip skips an element a newer writer added, within the record's bounds
// and maxDepth:
// msgpack's own Skip would allocate what a length prefix claims, and
// recurse as deep as the input nests.
func (d *MsgpackDecoder) skip(depth int) error {
	if d.elems--; d.elems < 0 || depth > maxDepth {
		return corrupt("a record nested too deep or with too many elements")
	}
	c, err := d.dec.peek()
	if err != nil {
		return d.wrap(err)
	}
	n := 0
	switch {
	case c >= 0x90 && c <= 0x9f || c == 0xdc || c == 0xdd: // arrays
		n, err = d.dec.arrayLen()
	case c >= 0x80 && c <= 0x8f || c == 0xde || c == 0xdf: // maps
		n, err = d.dec.mapLen()
		n *= 2
	case c >= 0xa0 && c <= 0xbf || c >= 0xd9 && c <= 0xdb || c >= 0xc4 && c <= 0xc6: // str, bin
		_, err = d.readBytes(maxString)
		return err
	case c >= 0xd4 && c <= 0xd8 || c >= 0xc7 && c <= 0xc9: // ext
		if n, err = d.dec.extLen(); err != nil {
			return d.wrap(err)
		}
		_, err = d.read(n, maxString)
		return err
	default: // a number, a boolean or nil
		return d.wrap(d.dec.scalar())
	}
	if err != nil {
		return d.wrap(err)
	}
	if n < 0 || n > d.elems {
		return corrupt("a record nested too deep or with too many elements")
	}
	for range n {
		if err := d.skip(depth + 1); err != nil {
			return err
		}
	}
	return nil
}

// flow reads the rest of a flow record into f.
func (d *MsgpackDecoder) flow(f *format.Flow) error {
	d.kept.flow(f)
	mask, err := d.head(&f.Family, &f.Proto)
	if err != nil {
		return err
	}
	f.Fields = format.Fields(flowWire.model(mask))
	l4 := format.L4None
	if f.Has(format.FieldL4) {
		l4 = f.Proto.Layer4()
	}
	if err = d.tuple(l4, &f.Orig); err != nil {
		return err
	}
	f.Reply = replyBase(f, l4)
	if mask&wireNoReply != 0 {
		if mask&wireReply != 0 {
			return corrupt("a flow without a reply tuple, and with one")
		}
		f.Reply = format.Tuple{}
	}
	if mask&wireReply != 0 {
		if err := d.reply(f, l4); err != nil {
			return err
		}
	}
	if err := getFields(d, flowLayout, flowFields[:], mask, f); err != nil {
		return err
	}
	if mask&wireText != 0 {
		if field, r := f.CheckText(); r != "" {
			return corrupt(field + ": " + r)
		}
	}
	return d.skipRest()
}

// expect reads the rest of an expectation record into x.
func (d *MsgpackDecoder) expect(x *format.Expect) error {
	d.kept.expect(x)
	mask, err := d.head(&x.Family, &x.Proto)
	if err != nil {
		return err
	}
	x.Fields = format.ExpectFields(expectWire.model(mask))
	if err = d.tuple(x.Proto.Layer4(), &x.Tuple); err != nil {
		return err
	}
	if err := getFields(d, expectLayout, expectFields[:], mask, x); err != nil {
		return err
	}
	if field, r := x.CheckText(); r != "" {
		return corrupt(field + ": " + r)
	}
	return d.skipRest()
}

// head reads what follows the kind of every flow and expectation record
// (see MsgpackEncoder.head): the mask, the family and the protocol.
func (d *MsgpackDecoder) head(fam *format.Family, proto *format.Proto) (mask uint64, err error) {
	if mask, err = d.uint(math.MaxUint64); err != nil {
		return 0, err
	}
	n, err := d.uint(math.MaxUint8)
	if err != nil {
		return 0, err
	}
	*fam = format.Family(n)
	n, err = d.uint(math.MaxUint8)
	*proto = format.Proto(n)
	return mask, err
}

// getFields reads the values of the fields of mask that the table knows,
// in the order of its bits.
func getFields[R any](d *MsgpackDecoder, l *wireLayout, fields []wireField[R], mask uint64, r *R) error {
	v := &d.vals
	for m := mask & l.values; m != 0; m &= m - 1 {
		f := &fields[bits.TrailingZeros64(m)]
		if f.set == nil {
			if err := f.get(d, r); err != nil {
				return err
			}
			continue
		}
		for i := range f.n {
			n, k := d.dec.short()
			if k > 0 && d.left > 0 {
				d.dec.pos += k
				d.left--
			} else {
				w, err := d.wideInt()
				if err != nil {
					return err
				}
				n = uint64(w)
			}
			if n > f.max {
				return errRange
			}
			v[i] = n
		}
		f.set(r, v)
	}
	return nil
}

// extras reads the slot and text pairs of Flow.Extras.
func (d *MsgpackDecoder) extras(f *format.Flow) error {
	if err := d.element(); err != nil {
		return err
	}
	n, err := d.dec.arrayLen()
	if err != nil {
		return d.wrap(err)
	}
	if n < 0 || n%2 != 0 || n > 2*maxString {
		return corrupt("malformed extras")
	}
	for i := 0; i < n; i += 2 {
		d.left += 2 // the pair's elements are inside the array
		slot, err := d.uint(math.MaxUint8)
		if err != nil {
			return err
		}
		tok, err := d.bytes(maxString)
		if err != nil {
			return err
		}
		d.kept.addExtra(format.Slot(slot), tok)
	}
	if d.kept.extrasRead(&f.Extras) != nil {
		return corrupt("malformed extras")
	}
	return nil
}
