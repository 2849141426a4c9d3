package ctnetlink

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"strings"
	"time"

	"github.com/ctconv/ctconv/format"
)

// The kernel's ctnetlink attribute numbers (linux/netfilter/nfnetlink_conntrack.h).
const (
	ctaTupleOrig      = 1
	ctaTupleReply     = 2
	ctaStatus         = 3
	ctaProtoinfo      = 4
	ctaHelp           = 5
	ctaTimeout        = 7
	ctaMark           = 8
	ctaCountersOrig   = 9
	ctaCountersReply  = 10
	ctaUse            = 11
	ctaID             = 12
	ctaSecmark        = 17
	ctaZone           = 18
	ctaSecctx         = 19
	ctaTimestamp      = 20
	ctaMarkMask       = 21
	ctaLabels         = 22
	ctaTimestampEvent = 27

	ctaTupleIP    = 1
	ctaTupleProto = 2
	ctaTupleZone  = 3

	ctaIPv4Src = 1
	ctaIPv4Dst = 2
	ctaIPv6Src = 3
	ctaIPv6Dst = 4

	ctaProtoNum        = 1
	ctaProtoSrcPort    = 2
	ctaProtoDstPort    = 3
	ctaProtoICMPID     = 4
	ctaProtoICMPType   = 5
	ctaProtoICMPCode   = 6
	ctaProtoICMPv6ID   = 7
	ctaProtoICMPv6Type = 8
	ctaProtoICMPv6Code = 9

	ctaProtoinfoTCP  = 1
	ctaProtoinfoDCCP = 2
	ctaProtoinfoSCTP = 3

	ctaProtoinfoState     = 1 // the same number for TCP, DCCP and SCTP
	ctaProtoinfoVtagOrig  = 2 // SCTP
	ctaProtoinfoVtagReply = 3 // SCTP

	ctaCountersPackets   = 1
	ctaCountersBytes     = 2
	ctaCounters32Packets = 3
	ctaCounters32Bytes   = 4

	ctaTimestampStart = 1
	ctaTimestampStop  = 2

	ctaHelpName   = 1
	ctaSecctxName = 1
)

// Message types of the ctnetlink subsystem, and the subsystems' numbers.
const (
	subsysCT  = 1
	subsysExp = 2

	msgNew    = 0
	msgGet    = 1
	msgDelete = 2

	nlmFCreate = 0x400
	nlmFExcl   = 0x200
)

// DecodeError is the error for a message that is not a well-formed
// conntrack record.
type DecodeError struct {
	Attr string // the attribute at fault, as a path: "tuple-orig/proto/num"
	Msg  string
}

func (e *DecodeError) Error() string {
	if e.Attr == "" {
		return "ctnetlink: " + e.Msg
	}
	return "ctnetlink: " + e.Attr + ": " + e.Msg
}

// ErrNotFlow is returned by Decode for a message that is not a flow or an
// event about one: an expectation's, or another subsystem's.
var ErrNotFlow = errors.New("ctnetlink: not a conntrack flow message")

// A Decoder turns ctnetlink messages into flows. Its zero value is ready to
// use; it prints no label names.
type Decoder struct {
	// Labels names the label bits, as conntrack's
	// /etc/xtables/connlabel.conf does.
	Labels Labels
	// Now is the time delta-time counts to for a flow that has not ended;
	// zero means the time of each Decode call.
	Now time.Time
	// Progname returns the name of the process with a netlink port id, as
	// conntrack -E looks it up for [USERSPACE] events; nil looks nothing up.
	Progname func(portid uint32) string
}

// Decode decodes one netlink message (its 16-byte header and payload) into
// f: a dump's reply or an event. It sets f.Event from the message type for
// an event (isEvent), and the fields the kernel sent, leaving the others
// absent as conntrack would. It reuses f's strings where they are
// unchanged, so that decoding into the same Flow does not allocate.
func (d *Decoder) Decode(msg []byte, isEvent bool, f *format.Flow) error {
	// The strings of the flow decoded before, to reuse while unchanged.
	oldHelper, oldSecctx, oldLabels := f.Helper, f.Secctx, f.Labels
	f.Reset()
	if len(msg) < 16+4 {
		return &DecodeError{Msg: "message too short"}
	}
	typ := binary.NativeEndian.Uint16(msg[4:])
	flags := binary.NativeEndian.Uint16(msg[6:])
	portid := binary.NativeEndian.Uint32(msg[12:])
	if typ>>8 != subsysCT {
		return ErrNotFlow
	}
	switch typ & 0xff {
	case msgNew:
		if isEvent {
			f.Event = format.EventUpdate
			if flags&(nlmFCreate|nlmFExcl) != 0 {
				f.Event = format.EventNew
			}
		}
	case msgDelete:
		if isEvent {
			f.Event = format.EventDestroy
		}
	default:
		return ErrNotFlow
	}
	switch format.Family(msg[16]) {
	case format.IPv4, format.IPv6:
		f.Family = format.Family(msg[16])
	default:
		return &DecodeError{Msg: fmt.Sprintf("family %d is neither IPv4 nor IPv6", msg[16])}
	}
	var gotOrig, gotReply bool
	var l4 l4Seen
	var labels []byte
	a := attrs{b: msg[20:]}
	for a.next() {
		var err error
		v := a.val
		if len(v) == 0 {
			// Padding that aligns the 64-bit value after it, as the kernel
			// adds on CPUs that need it (nla_put_64bit): before
			// CTA_TIMESTAMP_EVENT, with the type of CTA_STATUS.
			continue
		}
		switch a.typ {
		case ctaTupleOrig:
			gotOrig = true
			err = tuple(v, f, &f.Orig, &f.OrigZone, format.FieldOrigZone, &l4, "tuple-orig")
		case ctaTupleReply:
			gotReply = true
			err = tuple(v, f, &f.Reply, &f.ReplyZone, format.FieldReplyZone, &l4, "tuple-reply")
		case ctaStatus:
			var s uint32
			s, err = u32(v, "", "status")
			f.Status, f.Fields = format.Status(s), f.Fields|format.FieldStatus
		case ctaProtoinfo:
			err = protoinfo(v, f)
		case ctaHelp:
			err = name(v, "help", ctaHelpName, &f.Helper, oldHelper, f, format.FieldHelper)
		case ctaTimeout:
			var s uint32
			s, err = u32(v, "", "timeout")
			f.Timeout, f.Fields = int64(s), f.Fields|format.FieldTimeout
		case ctaMark:
			f.Mark, err = u32(v, "", "mark")
			f.Fields |= format.FieldMark
		case ctaCountersOrig:
			err = counters(v, &f.OrigCounters, "counters-orig")
			f.Fields |= format.FieldOrigCounters
		case ctaCountersReply:
			err = counters(v, &f.ReplyCounters, "counters-reply")
			f.Fields |= format.FieldReplyCounters
		case ctaUse:
			f.Use, err = u32(v, "", "use")
			f.Fields |= format.FieldUse
		case ctaID:
			f.ID, err = u32(v, "", "id")
			f.Fields |= format.FieldID
		case ctaSecmark:
			f.Secmark, err = u32(v, "", "secmark")
			f.Fields |= format.FieldSecmark
		case ctaZone:
			f.Zone, err = u16(v, "", "zone")
			f.Fields |= format.FieldZone
		case ctaSecctx:
			err = name(v, "secctx", ctaSecctxName, &f.Secctx, oldSecctx, f, format.FieldSecctx)
		case ctaTimestamp:
			ts := attrs{b: v, path: "timestamp"}
			for err == nil && ts.next() {
				switch ts.typ {
				case ctaTimestampStart:
					f.Start, err = u64(ts.val, "", "timestamp/start")
					f.Fields |= format.FieldStart
				case ctaTimestampStop:
					f.Stop, err = u64(ts.val, "", "timestamp/stop")
					f.Fields |= format.FieldStop
				}
			}
			if err == nil {
				err = ts.err
			}
		case ctaLabels:
			labels = v
		case ctaTimestampEvent:
			// The kernel's time of the event (Linux 6.14+, with
			// nf_conntrack_timestamp on), in ns; conntrack 1.4.9 prints it
			// to the microsecond.
			var ns uint64
			ns, err = u64(v, "", "timestamp-event")
			f.EventTime, f.Fields = int64(ns/1000), f.Fields|format.FieldEventTime
		}
		if err != nil {
			return err
		}
	}
	if a.err != nil {
		return a.err
	}
	// What the kernel always sends.
	switch {
	case !gotOrig || !gotReply:
		return &DecodeError{Msg: "no original or no reply tuple"}
	case !l4.num:
		return &DecodeError{Attr: "tuple/proto/num", Msg: "no protocol number"}
	case !f.Has(format.FieldStatus):
		return &DecodeError{Attr: "status", Msg: "no status"}
	case bits.OnesCount32(uint32(f.Fields&(format.FieldZone|format.FieldOrigZone|format.FieldReplyZone))) > 1:
		return &DecodeError{Attr: "zone", Msg: "more than one zone: a zone applies to both directions or to one"}
	case f.Has(format.FieldOrigCounters) != f.Has(format.FieldReplyCounters):
		return &DecodeError{Attr: "counters", Msg: "counters of one direction only"}
	}
	for _, a := range [...]netip.Addr{f.Orig.Src, f.Orig.Dst, f.Reply.Src, f.Reply.Dst} {
		if !a.IsValid() || a.Is4() != (f.Family == format.IPv4) {
			return &DecodeError{Attr: "tuple/ip", Msg: "an address missing, or of another family than the message's"}
		}
	}
	if err := l4.check(f.Proto); err != nil {
		return err
	}
	if !f.Has(format.FieldL4) && f.Proto.Layer4() != format.L4None {
		switch f.Proto {
		case format.TCP, format.UDP, format.ICMP, format.ICMPv6:
			return &DecodeError{Attr: "tuple/proto", Msg: "no ports or ICMP fields, which the kernel's built-in trackers always send"}
		}
		// Tracked by the generic tracker (DCCP since Linux 6.17, or a
		// kernel built without the protocol's), which /proc shows as
		// "unknown", and which keeps no state.
		if f.Has(format.FieldState) {
			return &DecodeError{Attr: "protoinfo", Msg: "a protocol state without ports"}
		}
		f.Quirks |= format.QuirkUnknownName
	}
	if labels != nil && d.Labels.any(labels) {
		f.Labels, f.Fields = d.Labels.names(oldLabels, labels), f.Fields|format.FieldLabels
	}
	if f.Has(format.FieldStart) {
		// conntrack's delta-time: the flow's age, or its life once ended,
		// between the whole seconds of the time stamps.
		var delta int64
		if f.Has(format.FieldStop) {
			delta = int64(f.Stop/1e9) - int64(f.Start/1e9)
		} else {
			now := d.Now
			if now.IsZero() {
				now = time.Now()
			}
			delta = now.Unix() - int64(f.Start/1e9)
		}
		f.DeltaTime, f.Fields = uint64(max(delta, 0)), f.Fields|format.FieldDeltaTime
	}
	if isEvent && portid != 0 {
		f.PortID, f.Fields = portid, f.Fields|format.FieldUserspace|format.FieldPortID
		if d.Progname != nil {
			if name := d.Progname(portid); name != "" {
				f.Progname, f.Fields = name, f.Fields|format.FieldProgname
			}
		}
	}
	return nil
}

// name decodes a nested attribute that holds a name (CTA_HELP,
// CTA_SECCTX): the NUL-terminated string of its child typ into *dst, and
// field into f's. It reuses old if the name is the same, so that an
// unchanged name is not allocated again.
func name(b []byte, path string, typ uint16, dst *string, old string, f *format.Flow, field format.Fields) error {
	a := attrs{b: b, path: path}
	for a.next() {
		if a.typ != typ {
			continue
		}
		v := a.val
		if i := bytes.IndexByte(v, 0); i >= 0 {
			v = v[:i]
		}
		*dst = old
		if string(v) != old {
			*dst = string(v)
		}
		f.Fields |= field
	}
	return a.err
}

// tuple decodes a CTA_TUPLE_* attribute into t, and the zone of its
// direction, if any, into zone.
func tuple(b []byte, f *format.Flow, t *format.Tuple, zone *uint16, zoneField format.Fields, l4 *l4Seen, path string) error {
	a := attrs{b: b, path: path}
	for a.next() {
		var err error
		switch a.typ {
		case ctaTupleIP:
			err = ip(a.val, t, path)
		case ctaTupleProto:
			err = proto(a.val, f, t, l4, path)
		case ctaTupleZone:
			*zone, err = u16(a.val, path, "zone")
			f.Fields |= zoneField
		}
		if err != nil {
			return err
		}
	}
	return a.err
}

// ip decodes a tuple's CTA_TUPLE_IP; path is the tuple's.
func ip(b []byte, t *format.Tuple, path string) error {
	a := attrs{b: b, path: path, sub: "ip"}
	for a.next() {
		var addr *netip.Addr
		want := 4
		switch a.typ {
		case ctaIPv4Src:
			addr = &t.Src
		case ctaIPv4Dst:
			addr = &t.Dst
		case ctaIPv6Src:
			addr, want = &t.Src, 16
		case ctaIPv6Dst:
			addr, want = &t.Dst, 16
		default:
			continue
		}
		if len(a.val) != want {
			return &DecodeError{Attr: join(path, "ip"), Msg: fmt.Sprintf("address of %d bytes", len(a.val))}
		}
		*addr, _ = netip.AddrFromSlice(a.val)
	}
	return a.err
}

// l4Seen records the kinds of layer-4 attributes a message has.
type l4Seen struct{ num, ports, icmp bool }

// check returns an error if the attributes do not fit protocol p: the
// kernel sends ports (GRE: keys) or ICMP fields, as p has them.
func (s l4Seen) check(p format.Proto) error {
	var ok bool
	switch p.Layer4() {
	case format.L4Ports, format.L4Keys:
		ok = !s.icmp
	case format.L4ICMP:
		ok = !s.ports
	default:
		ok = !s.icmp && !s.ports
	}
	if !ok {
		return &DecodeError{Attr: "tuple/proto", Msg: "layer-4 attributes that protocol " + p.String() + " does not have"}
	}
	return nil
}

// proto decodes a tuple's CTA_TUPLE_PROTO; path is the tuple's.
func proto(b []byte, f *format.Flow, t *format.Tuple, l4 *l4Seen, path string) error {
	a := attrs{b: b, path: path, sub: "proto"}
	for a.next() {
		var err error
		v := a.val
		switch a.typ {
		case ctaProtoNum:
			if len(v) != 1 {
				return &DecodeError{Attr: join(path, "proto/num"), Msg: "not one byte"}
			}
			if f.Proto != 0 && f.Proto != format.Proto(v[0]) {
				return &DecodeError{Attr: join(path, "proto/num"), Msg: "the tuples' protocols differ"}
			}
			f.Proto, l4.num = format.Proto(v[0]), true
		case ctaProtoSrcPort:
			t.SrcPort, err = u16(v, path, "proto/src-port")
			f.Fields, l4.ports = f.Fields|format.FieldL4, true
		case ctaProtoDstPort:
			t.DstPort, err = u16(v, path, "proto/dst-port")
			f.Fields, l4.ports = f.Fields|format.FieldL4, true
		case ctaProtoICMPID, ctaProtoICMPv6ID:
			t.ID, err = u16(v, path, "proto/icmp-id")
			f.Fields, l4.icmp = f.Fields|format.FieldL4, true
		case ctaProtoICMPType, ctaProtoICMPv6Type:
			t.Type, err = u8(v, path, "proto/icmp-type")
			f.Fields, l4.icmp = f.Fields|format.FieldL4, true
		case ctaProtoICMPCode, ctaProtoICMPv6Code:
			t.Code, err = u8(v, path, "proto/icmp-code")
			f.Fields, l4.icmp = f.Fields|format.FieldL4, true
		}
		if err != nil {
			return err
		}
	}
	return a.err
}

// protoinfo decodes CTA_PROTOINFO: the protocol state and SCTP's
// verification tags.
func protoinfo(b []byte, f *format.Flow) error {
	a := attrs{b: b, path: "protoinfo"}
	for a.next() {
		if a.typ != ctaProtoinfoTCP && a.typ != ctaProtoinfoDCCP && a.typ != ctaProtoinfoSCTP {
			continue
		}
		sctp := a.typ == ctaProtoinfoSCTP
		in := attrs{b: a.val, path: "protoinfo"}
		for in.next() {
			var err error
			switch {
			case in.typ == ctaProtoinfoState:
				var s uint8
				s, err = u8(in.val, "", "protoinfo/state")
				f.State, f.Fields = format.State(s), f.Fields|format.FieldState
			case sctp && in.typ == ctaProtoinfoVtagOrig:
				f.OrigVtag, err = vtag(in.val)
				f.Fields |= format.FieldVtags
			case sctp && in.typ == ctaProtoinfoVtagReply:
				f.ReplyVtag, err = vtag(in.val)
				f.Fields |= format.FieldVtags
			}
			if err != nil {
				return err
			}
		}
		if in.err != nil {
			return in.err
		}
	}
	return a.err
}

// vtag decodes an SCTP verification tag the way conntrack prints it: the
// kernel keeps the tag in network byte order and conntrack shows those
// bytes as a host-order number.
func vtag(v []byte) (uint32, error) {
	if len(v) != 4 {
		return 0, &DecodeError{Attr: "protoinfo/vtag", Msg: "not four bytes"}
	}
	return binary.NativeEndian.Uint32(v), nil
}

// counters decodes CTA_COUNTERS_ORIG or _REPLY.
func counters(b []byte, c *format.Counters, path string) error {
	a := attrs{b: b, path: path}
	for a.next() {
		var err error
		var n uint32
		switch a.typ {
		case ctaCountersPackets:
			c.Packets, err = u64(a.val, path, "packets")
		case ctaCountersBytes:
			c.Bytes, err = u64(a.val, path, "bytes")
		case ctaCounters32Packets:
			n, err = u32(a.val, path, "packets")
			c.Packets = uint64(n)
		case ctaCounters32Bytes:
			n, err = u32(a.val, path, "bytes")
			c.Bytes = uint64(n)
		}
		if err != nil {
			return err
		}
	}
	return a.err
}

// attrs iterates over the netlink attributes of b: next moves to the next
// one, with its type (without the nested and byte-order flags) and value,
// and returns false at the end or at a malformed attribute, which err
// then describes.
type attrs struct {
	b         []byte
	path, sub string // for errors: where b is
	typ       uint16
	val       []byte
	err       error
}

func (a *attrs) next() bool {
	if len(a.b) == 0 || a.err != nil {
		return false
	}
	if len(a.b) < 4 {
		a.err = &DecodeError{Attr: join(a.path, a.sub), Msg: "truncated attribute header"}
		return false
	}
	n := int(binary.NativeEndian.Uint16(a.b))
	if n < 4 || n > len(a.b) {
		a.err = &DecodeError{Attr: join(a.path, a.sub), Msg: fmt.Sprintf("attribute length %d out of range", n)}
		return false
	}
	a.typ, a.val = binary.NativeEndian.Uint16(a.b[2:])&0x3fff, a.b[4:n]
	a.b = a.b[min((n+3)&^3, len(a.b)):]
	return true
}

func u8(v []byte, path, name string) (uint8, error) {
	if len(v) != 1 {
		return 0, &DecodeError{Attr: join(path, name), Msg: "not one byte"}
	}
	return v[0], nil
}

func u16(v []byte, path, name string) (uint16, error) {
	if len(v) != 2 {
		return 0, &DecodeError{Attr: join(path, name), Msg: "not two bytes"}
	}
	return binary.BigEndian.Uint16(v), nil
}

func u32(v []byte, path, name string) (uint32, error) {
	if len(v) != 4 {
		return 0, &DecodeError{Attr: join(path, name), Msg: "not four bytes"}
	}
	return binary.BigEndian.Uint32(v), nil
}

func u64(v []byte, path, name string) (uint64, error) {
	if len(v) != 8 {
		return 0, &DecodeError{Attr: join(path, name), Msg: "not eight bytes"}
	}
	return binary.BigEndian.Uint64(v), nil
}

// join joins the parts of an attribute's path, for an error: they are
// passed apart so that decoding builds no strings.
func join(parts ...string) string {
	var s []string
	for _, p := range parts {
		if p != "" {
			s = append(s, p)
		}
	}
	return strings.Join(s, "/")
}
