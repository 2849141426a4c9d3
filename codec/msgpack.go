package codec

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/bits"
	"net/netip"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/ctconv/ctconv/format"
)

// The msgpack encoding of the model is a stream of records, each a msgpack
// array: its kind, a mask of the fields present, and the fields, in the
// order of the mask's bits (numbered in wire.go). A newer writer adds
// fields at higher bits, after all others, so a reader skips the elements
// it does not know; it also skips records of kinds it does not know.
// docs/SNAPSHOT.md specifies it.
//
// The stream spends no bits on what it can infer: absent fields cost
// nothing; of the reply tuple, only what differs from the mirror of the
// original is there; an address used lately is a back-reference into a
// table of the last 65536 addresses used, which writer and reader keep
// alike. What repeats from record to record, zstd takes care of.

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
	return n, hash, v != 0 && t.n-n <= addrTableSize && t.ring[n%addrTableSize] == a
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

func (t *addrTable) reset() {
	t.n = 0
	t.ring = t.ring[:0]
	clear(t.index)
}

// MsgpackEncoder writes flows and expectations as msgpack records.
type MsgpackEncoder struct {
	w     io.Writer
	buf   record // the record being encoded
	enc   *msgpack.Encoder
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
	e.enc = msgpack.NewEncoder(&e.buf)
	e.enc.UseCompactInts(true)
	e.addrs.index = make([]uint64, 1<<indexBits)
	return e
}

// Reset makes e write a new stream to w.
func (e *MsgpackEncoder) Reset(w io.Writer) {
	e.w = w
	e.buf = e.buf[:0]
	e.addrs.reset()
}

// record is the buffer the msgpack encoder writes a record to: a
// bytes.Buffer does more for each byte than this needs.
type record []byte

func (r *record) Write(p []byte) (int, error) {
	*r = append(*r, p...)
	return len(p), nil
}

func (r *record) WriteByte(c byte) error {
	*r = append(*r, c)
	return nil
}

// flush writes the record encoded into the buffer.
func (e *MsgpackEncoder) flush() error {
	_, err := e.w.Write(e.buf)
	e.buf = e.buf[:0]
	return err
}

// addr writes a back-reference to a known address, or the address, which
// joins the table.
func (e *MsgpackEncoder) addr(a netip.Addr) error {
	if e.alone {
		return e.literal(a)
	}
	n, hash, ok := e.addrs.find(a)
	e.addrs.add(a, hash) // a back-reference moves the address to the front, too
	if ok {
		return e.enc.EncodeUint(e.addrs.n - n - 2)
	}
	return e.literal(a)
}

func (e *MsgpackEncoder) literal(a netip.Addr) error {
	if a.Is4() {
		b := a.As4()
		return e.enc.EncodeBytes(b[:])
	}
	b := a.As16()
	return e.enc.EncodeBytes(b[:])
}

// l4 writes the layer-4 part of t, of kind k.
func (e *MsgpackEncoder) l4(k format.Layer4, t *format.Tuple) {
	if v, ok := l4Value(k, t); ok {
		e.enc.EncodeUint(v)
	}
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
	mask := flowWire.wire(uint64(f.Fields))
	if noReply {
		mask |= wireNoReply
	}
	if f.Event != format.EventNone {
		mask |= wireEvent
	}
	if quirkWire.wire(uint64(f.Quirks)) != 0 {
		mask |= wireQuirks
	}
	if f.Extras.Len() > 0 {
		mask |= wireExtras
	}
	l4 := format.L4None
	if f.Has(format.FieldL4) {
		l4 = f.Proto.Layer4()
	}
	var diff uint64
	if !noReply {
		diff = replyDiff(f, l4)
	}
	if diff != 0 {
		mask |= wireReply
	}
	n := 6 + l4Len(l4)
	if diff != 0 {
		n += 1 + bits.OnesCount64(diff)
	}
	for bit := uint64(1); bit <= 1<<wireVersion; bit <<= 1 {
		if mask&bit != 0 {
			n += flowValues(bit)
		}
	}
	enc := e.enc
	enc.EncodeArrayLen(n)
	enc.EncodeUint(uint64(KindFlow))
	enc.EncodeUint(mask)
	enc.EncodeUint(uint64(f.Family))
	enc.EncodeUint(uint64(f.Proto))
	e.addr(f.Orig.Src)
	e.addr(f.Orig.Dst)
	e.l4(l4, &f.Orig)
	if diff != 0 {
		enc.EncodeUint(diff)
		if diff&1 != 0 {
			e.addr(f.Reply.Src)
		}
		if diff&2 != 0 {
			e.addr(f.Reply.Dst)
		}
		if diff&4 != 0 {
			v, _ := l4Value(l4, &f.Reply)
			enc.EncodeUint(v)
		}
	}
	for bit := uint64(1); bit <= 1<<wireVersion; bit <<= 1 {
		if mask&bit == 0 {
			continue
		}
		switch bit {
		case wireTimeout:
			enc.EncodeInt(f.Timeout)
		case wireState:
			enc.EncodeUint(uint64(f.State))
		case wireOrigZone:
			enc.EncodeUint(uint64(f.OrigZone))
		case wireReplyZone:
			enc.EncodeUint(uint64(f.ReplyZone))
		case wireZone:
			enc.EncodeUint(uint64(f.Zone))
		case wireOrigCounters:
			enc.EncodeUint(f.OrigCounters.Packets)
			enc.EncodeUint(f.OrigCounters.Bytes)
		case wireReplyCounters:
			enc.EncodeUint(f.ReplyCounters.Packets)
			enc.EncodeUint(f.ReplyCounters.Bytes)
		case wireStatus:
			enc.EncodeUint(uint64(f.Status))
		case wireMark:
			enc.EncodeUint(uint64(f.Mark))
		case wireSecmark:
			enc.EncodeUint(uint64(f.Secmark))
		case wireSecctx:
			enc.EncodeString(f.Secctx)
		case wireUse:
			enc.EncodeUint(uint64(f.Use))
		case wireID:
			enc.EncodeUint(uint64(f.ID))
		case wireDeltaTime:
			enc.EncodeUint(f.DeltaTime)
		case wireStart:
			enc.EncodeUint(f.Start)
		case wireStop:
			enc.EncodeUint(f.Stop)
		case wireGRETimeouts:
			enc.EncodeUint(uint64(f.GRETimeout))
			enc.EncodeUint(uint64(f.GREStreamTimeout))
		case wireHelper:
			enc.EncodeString(f.Helper)
		case wireLabels:
			enc.EncodeString(f.Labels)
		case wireEventTime:
			enc.EncodeInt(f.EventTime)
		case wirePortID:
			enc.EncodeUint(uint64(f.PortID))
		case wireProgname:
			enc.EncodeString(f.Progname)
		case wireVtags:
			enc.EncodeUint(uint64(f.OrigVtag))
			enc.EncodeUint(uint64(f.ReplyVtag))
		case wireExpires:
			enc.EncodeInt(f.Expires)
		case wireActiveSince:
			enc.EncodeInt(f.ActiveSince)
		case wireEvent:
			enc.EncodeUint(uint64(f.Event))
		case wireQuirks:
			enc.EncodeUint(quirkWire.wire(uint64(f.Quirks)))
		case wireExtras:
			enc.EncodeArrayLen(2 * f.Extras.Len())
			for slot, tok := range f.Extras.All() {
				enc.EncodeUint(uint64(slot))
				enc.EncodeString(tok)
			}
		}
	}
	return e.flush()
}

// flowValues returns how many array elements the field of a mask bit takes.
func flowValues(bit uint64) int {
	switch bit {
	case wireL4, wireUserspace, wireReply, wireNoReply:
		return 0 // carried by the tuples, or by the bit alone
	case wireOrigCounters, wireReplyCounters, wireGRETimeouts, wireVtags:
		return 2
	}
	return 1
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
	mask := expectWire.wire(uint64(x.Fields))
	if x.Event != format.EventNone {
		mask |= wireExpectEvent
	}
	if quirkWire.wire(uint64(x.Quirks)) != 0 {
		mask |= wireExpectQuirks
	}
	if x.Flags != 0 {
		mask |= wireExpectFlags
	}
	if expectQuirkWire.wire(uint64(x.Quirks)) != 0 {
		mask |= wireExpectQuirks2
	}
	l4 := x.Proto.Layer4()
	n := 6 + l4Len(l4)
	for bit := uint64(1); bit <= 1<<wireExpectVersion; bit <<= 1 {
		if mask&bit != 0 {
			n += expectValues(bit, l4, x.MasterL4)
		}
	}
	enc := e.enc
	enc.EncodeArrayLen(n)
	enc.EncodeUint(uint64(KindExpect))
	enc.EncodeUint(mask)
	enc.EncodeUint(uint64(x.Family))
	enc.EncodeUint(uint64(x.Proto))
	e.addr(x.Tuple.Src)
	e.addr(x.Tuple.Dst)
	e.l4(l4, &x.Tuple)
	for bit := uint64(1); bit <= 1<<wireExpectVersion; bit <<= 1 {
		if mask&bit == 0 {
			continue
		}
		switch bit {
		case wireExpectTimeout:
			enc.EncodeInt(x.Timeout)
		case wireExpectMask:
			e.addr(x.Mask.Src)
			e.addr(x.Mask.Dst)
			e.l4(l4, &x.Mask)
		case wireExpectMaster:
			enc.EncodeUint(uint64(x.MasterL4))
			e.addr(x.Master.Src)
			e.addr(x.Master.Dst)
			e.l4(x.MasterL4, &x.Master)
		case wireExpectZone:
			enc.EncodeUint(uint64(x.Zone))
		case wireExpectClass:
			enc.EncodeUint(uint64(x.Class))
		case wireExpectHelper:
			enc.EncodeString(x.Helper)
		case wireExpectPolicy:
			enc.EncodeString(x.Policy)
		case wireExpectEventTime:
			enc.EncodeInt(x.EventTime)
		case wireExpectPortID:
			enc.EncodeUint(uint64(x.PortID))
		case wireExpectProgname:
			enc.EncodeString(x.Progname)
		case wireExpectEvent:
			enc.EncodeUint(uint64(x.Event))
		case wireExpectQuirks:
			enc.EncodeUint(quirkWire.wire(uint64(x.Quirks)))
		case wireExpectFlags:
			enc.EncodeUint(uint64(x.Flags))
		case wireExpectUse:
			enc.EncodeUint(uint64(x.Use))
		case wireExpectQuirks2:
			enc.EncodeUint(expectQuirkWire.wire(uint64(x.Quirks)))
		case wireExpectExpires:
			enc.EncodeInt(x.Expires)
		case wireExpectActive:
			enc.EncodeInt(x.ActiveSince)
		}
	}
	return e.flush()
}

func expectValues(bit uint64, l4, master format.Layer4) int {
	switch bit {
	case wireExpectFlagsSet, wireExpectUserspace:
		return 0
	case wireExpectMask:
		return 2 + l4Len(l4)
	case wireExpectMaster:
		return 3 + l4Len(master)
	}
	return 1
}

// CorruptError says what is wrong with a msgpack record.
type CorruptError struct{ Msg string }

func (e *CorruptError) Error() string { return "codec: corrupt msgpack record: " + e.Msg }

// ErrCorrupt is what CorruptError unwraps to.
var ErrCorrupt = errors.New("codec: corrupt msgpack record")

func (e *CorruptError) Unwrap() error { return ErrCorrupt }

func corrupt(msg string) error { return &CorruptError{Msg: msg} }

// maxString bounds the strings a record may hold: longer than any line a
// text format allows, short enough that a hostile length does not make the
// decoder allocate much.
const maxString = 64 << 10

// MsgpackDecoder reads flows and expectations from msgpack records. It
// never allocates from a length the input claims before checking it.
type MsgpackDecoder struct {
	dec     *msgpack.Decoder
	addrs   addrTable
	scratch []byte
	old     [4]string
	// oldExtras and extrasB let a decoder reusing a Flow keep its extras.
	oldExtras format.Extras
	extrasB   format.ExtrasBuilder
	left      int    // elements left in the record
	elems     int    // elements the record may still have, nested ones included
	room      int    // bytes the record's strings may still take
	count     uint64 // the count of the end record
}

// Count returns the number of records that the stream's end record, which
// Decode returned last, says the stream holds.
func (d *MsgpackDecoder) Count() uint64 { return d.count }

// NewMsgpackDecoder returns a decoder that reads from r.
func NewMsgpackDecoder(r io.Reader) *MsgpackDecoder {
	d := &MsgpackDecoder{dec: msgpack.NewDecoder(r)}
	return d
}

// Reset makes d read a new stream from r.
func (d *MsgpackDecoder) Reset(r io.Reader) {
	d.dec.Reset(r)
	d.addrs.reset()
}

// uint reads an element, an unsigned integer of at most max.
func (d *MsgpackDecoder) uint(max uint64) (uint64, error) {
	if d.left--; d.left < 0 {
		return 0, corrupt("record ends early")
	}
	n, err := d.dec.DecodeUint64()
	if err != nil {
		return 0, d.wrap(err)
	}
	if n > max {
		return 0, corrupt("value out of range")
	}
	return n, nil
}

func (d *MsgpackDecoder) int() (int64, error) {
	if d.left--; d.left < 0 {
		return 0, corrupt("record ends early")
	}
	n, err := d.dec.DecodeInt64()
	return n, d.wrap(err)
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

// bytes reads a string or binary element of at most limit bytes into
// scratch.
func (d *MsgpackDecoder) bytes(limit int) ([]byte, error) {
	if d.left--; d.left < 0 {
		return nil, corrupt("record ends early")
	}
	return d.readBytes(limit)
}

func (d *MsgpackDecoder) readBytes(limit int) ([]byte, error) {
	n, err := d.dec.DecodeBytesLen()
	if err != nil {
		return nil, d.wrap(err)
	}
	if n < 0 {
		return nil, corrupt("nil where a string was expected")
	}
	return d.read(n, limit)
}

// read reads n bytes into scratch, if n is within limit and the record's
// room.
func (d *MsgpackDecoder) read(n, limit int) ([]byte, error) {
	if n > limit || n > d.room {
		return nil, corrupt("a string of " + itoa(uint64(n)) + " bytes, more than the record has room for")
	}
	d.room -= n
	d.scratch = append(d.scratch[:0], make([]byte, n)...)
	if err := d.dec.ReadFull(d.scratch); err != nil {
		return nil, d.wrap(err)
	}
	return d.scratch, nil
}

func (d *MsgpackDecoder) string() (string, error) {
	b, err := d.bytes(maxString)
	if err != nil {
		return "", err
	}
	for _, s := range d.old {
		if s == string(b) {
			return s, nil
		}
	}
	return string(b), nil
}

// addr reads an address or a back-reference to one.
func (d *MsgpackDecoder) addr() (netip.Addr, error) {
	c, err := d.dec.PeekCode()
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
// so are the table's counters (see DecodeRecord). At the end of the stream it returns io.EOF; errors about
// the stream's content wrap ErrCorrupt.
func (d *MsgpackDecoder) Decode(f *format.Flow, e *format.Expect) (Kind, error) {
	return d.DecodeRecord(f, e, nil)
}

// DecodeRecord is Decode that also reads a record of the table's counters
// into s, if s is not nil, and returns KindStats for it. A record that
// holds only counters a later writer added is skipped.
func (d *MsgpackDecoder) DecodeRecord(f *format.Flow, e *format.Expect, s *format.Stats) (Kind, error) {
	for {
		n, err := d.dec.DecodeArrayLen()
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
	c, err := d.dec.PeekCode()
	if err != nil {
		return d.wrap(err)
	}
	n := 0
	switch {
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err = d.dec.DecodeArrayLen()
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		n, err = d.dec.DecodeMapLen()
		n *= 2
	case msgpcode.IsString(c) || msgpcode.IsBin(c):
		_, err = d.readBytes(maxString)
		return err
	case msgpcode.IsExt(c):
		if _, n, err = d.dec.DecodeExtHeader(); err != nil {
			return d.wrap(err)
		}
		_, err = d.read(n, maxString)
		return err
	default: // a number, a boolean or nil
		return d.wrap(d.dec.Skip())
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

func (d *MsgpackDecoder) flow(f *format.Flow) error {
	d.old = [4]string{f.Secctx, f.Helper, f.Labels, f.Progname}
	d.oldExtras = f.Extras
	*f = format.Flow{}
	mask, err := d.uint(math.MaxUint64)
	if err != nil {
		return err
	}
	fam, err := d.uint(math.MaxUint8)
	if err != nil {
		return err
	}
	proto, err := d.uint(math.MaxUint8)
	if err != nil {
		return err
	}
	f.Family, f.Proto = format.Family(fam), format.Proto(proto)
	f.Fields = format.Fields(flowWire.model(mask))
	l4 := format.L4None
	if f.Has(format.FieldL4) {
		l4 = f.Proto.Layer4()
	}
	if f.Orig.Src, err = d.addr(); err != nil {
		return err
	}
	if f.Orig.Dst, err = d.addr(); err != nil {
		return err
	}
	if err = d.l4(l4, &f.Orig); err != nil {
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
	var n uint64
	for bit := uint64(1); bit <= 1<<wireVersion; bit <<= 1 {
		if mask&bit == 0 || err != nil {
			continue
		}
		switch bit {
		case wireTimeout:
			f.Timeout, err = d.int()
		case wireState:
			n, err = d.uint(math.MaxUint8)
			f.State = format.State(n)
		case wireOrigZone:
			n, err = d.uint(math.MaxUint16)
			f.OrigZone = uint16(n)
		case wireReplyZone:
			n, err = d.uint(math.MaxUint16)
			f.ReplyZone = uint16(n)
		case wireZone:
			n, err = d.uint(math.MaxUint16)
			f.Zone = uint16(n)
		case wireOrigCounters:
			if f.OrigCounters.Packets, err = d.uint(math.MaxUint64); err == nil {
				f.OrigCounters.Bytes, err = d.uint(math.MaxUint64)
			}
		case wireReplyCounters:
			if f.ReplyCounters.Packets, err = d.uint(math.MaxUint64); err == nil {
				f.ReplyCounters.Bytes, err = d.uint(math.MaxUint64)
			}
		case wireStatus:
			n, err = d.uint(math.MaxUint32)
			f.Status = format.Status(n)
		case wireMark:
			n, err = d.uint(math.MaxUint32)
			f.Mark = uint32(n)
		case wireSecmark:
			n, err = d.uint(math.MaxUint32)
			f.Secmark = uint32(n)
		case wireSecctx:
			f.Secctx, err = d.string()
		case wireUse:
			n, err = d.uint(math.MaxUint32)
			f.Use = uint32(n)
		case wireID:
			n, err = d.uint(math.MaxUint32)
			f.ID = uint32(n)
		case wireDeltaTime:
			f.DeltaTime, err = d.uint(math.MaxUint64)
		case wireStart:
			f.Start, err = d.uint(math.MaxUint64)
		case wireStop:
			f.Stop, err = d.uint(math.MaxUint64)
		case wireGRETimeouts:
			if n, err = d.uint(math.MaxUint32); err == nil {
				f.GRETimeout = uint32(n)
				n, err = d.uint(math.MaxUint32)
				f.GREStreamTimeout = uint32(n)
			}
		case wireHelper:
			f.Helper, err = d.string()
		case wireLabels:
			f.Labels, err = d.string()
		case wireEventTime:
			f.EventTime, err = d.int()
		case wirePortID:
			n, err = d.uint(math.MaxUint32)
			f.PortID = uint32(n)
		case wireProgname:
			f.Progname, err = d.string()
		case wireVtags:
			if n, err = d.uint(math.MaxUint32); err == nil {
				f.OrigVtag = uint32(n)
				n, err = d.uint(math.MaxUint32)
				f.ReplyVtag = uint32(n)
			}
		case wireExpires:
			f.Expires, err = d.int()
		case wireActiveSince:
			f.ActiveSince, err = d.int()
		case wireEvent:
			n, err = d.uint(uint64(format.EventDestroy))
			f.Event = format.Event(n)
		case wireQuirks:
			n, err = d.uint(math.MaxUint8)
			f.Quirks = format.Quirks(quirkWire.model(n))
		case wireExtras:
			err = d.extras(f)
		}
	}
	if err != nil {
		return err
	}
	if field, r := format.CheckText(f); r != "" {
		return corrupt(field + ": " + r)
	}
	return d.skipRest()
}

// extras reads the slot and text pairs of Flow.Extras.
func (d *MsgpackDecoder) extras(f *format.Flow) error {
	if d.left--; d.left < 0 {
		return corrupt("record ends early")
	}
	n, err := d.dec.DecodeArrayLen()
	if err != nil {
		return d.wrap(err)
	}
	if n < 0 || n%2 != 0 || n > 2*maxString {
		return corrupt("malformed extras")
	}
	d.extrasB.Reset()
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
		d.extrasB.Add(format.Slot(slot), string(tok))
	}
	f.Extras = d.extrasB.Extras(d.oldExtras)
	return nil
}

func (d *MsgpackDecoder) expect(x *format.Expect) error {
	d.old = [4]string{x.Helper, x.Policy, x.Progname, ""}
	*x = format.Expect{}
	mask, err := d.uint(math.MaxUint64)
	if err != nil {
		return err
	}
	fam, err := d.uint(math.MaxUint8)
	if err != nil {
		return err
	}
	proto, err := d.uint(math.MaxUint8)
	if err != nil {
		return err
	}
	x.Family, x.Proto = format.Family(fam), format.Proto(proto)
	x.Fields = format.ExpectFields(expectWire.model(mask))
	l4 := x.Proto.Layer4()
	if x.Tuple.Src, err = d.addr(); err != nil {
		return err
	}
	if x.Tuple.Dst, err = d.addr(); err != nil {
		return err
	}
	if err = d.l4(l4, &x.Tuple); err != nil {
		return err
	}
	var n uint64
	for bit := uint64(1); bit <= 1<<wireExpectVersion; bit <<= 1 {
		if mask&bit == 0 || err != nil {
			continue
		}
		switch bit {
		case wireExpectTimeout:
			x.Timeout, err = d.int()
		case wireExpectMask:
			if x.Mask.Src, err = d.addr(); err == nil {
				if x.Mask.Dst, err = d.addr(); err == nil {
					err = d.l4(l4, &x.Mask)
				}
			}
		case wireExpectMaster:
			if n, err = d.uint(uint64(format.L4ICMP)); err == nil {
				x.MasterL4 = format.Layer4(n)
				if x.Master.Src, err = d.addr(); err == nil {
					if x.Master.Dst, err = d.addr(); err == nil {
						err = d.l4(x.MasterL4, &x.Master)
					}
				}
			}
		case wireExpectZone:
			n, err = d.uint(math.MaxUint16)
			x.Zone = uint16(n)
		case wireExpectClass:
			n, err = d.uint(math.MaxUint32)
			x.Class = uint32(n)
		case wireExpectHelper:
			x.Helper, err = d.string()
		case wireExpectPolicy:
			x.Policy, err = d.string()
		case wireExpectEventTime:
			x.EventTime, err = d.int()
		case wireExpectPortID:
			n, err = d.uint(math.MaxUint32)
			x.PortID = uint32(n)
		case wireExpectProgname:
			x.Progname, err = d.string()
		case wireExpectEvent:
			n, err = d.uint(uint64(format.EventDestroy))
			x.Event = format.Event(n)
		case wireExpectQuirks:
			n, err = d.uint(math.MaxUint8)
			x.Quirks = format.Quirks(quirkWire.model(n))
		case wireExpectFlags:
			n, err = d.uint(math.MaxUint8)
			x.Flags = format.ExpectFlags(n)
		case wireExpectUse:
			n, err = d.uint(math.MaxUint32)
			x.Use = uint32(n)
		case wireExpectQuirks2:
			n, err = d.uint(1<<3 - 1)
			x.Quirks |= format.Quirks(expectQuirkWire.model(n))
		case wireExpectExpires:
			x.Expires, err = d.int()
		case wireExpectActive:
			x.ActiveSince, err = d.int()
		}
	}
	if err != nil {
		return err
	}
	return d.skipRest()
}

// EncodeEnd writes the record that ends a stream of count records, so that
// a reader can tell a whole stream from a cut one.
func (e *MsgpackEncoder) EncodeEnd(count uint64) error {
	e.enc.EncodeArrayLen(2)
	e.enc.EncodeUint(uint64(KindEnd))
	e.enc.EncodeUint(count)
	return e.flush()
}
