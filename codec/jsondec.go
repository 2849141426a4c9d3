package codec

import (
	"bytes"
	"math"

	"github.com/ctconv/ctconv/format"
)

// A JSONDecoder decodes lines of JSON into flows and expectations. It keeps
// scratch space and the strings of the previous record, so that decoding
// into the same struct again does not allocate; its zero value is ready.
type JSONDecoder struct {
	r      jsonReader
	old    [4]string
	buf    []byte
	state  []byte // the state's name, until the protocol is known
	proto  []byte // the protocol's name, likewise
	icmpv6 bool   // the last tuple's ICMP fields were ICMPv6's
	// oldExtras and extrasB let a decoder reusing a Flow keep its extras.
	oldExtras format.Extras
	extrasB   format.ExtrasBuilder
}

// keys of a flow object, as bits to find duplicates.
const (
	kFamily = 1 << iota
	kProto
	kProtoNum
	kEvent
	kEventTime
	kTimeout
	kState
	kGRETimeout
	kGREStreamTimeout
	kTupleOrig
	kTupleReply
	kCountersOrig
	kCountersReply
	kStatus
	kMark
	kSecmark
	kSecctx
	kZone
	kDeltaTime
	kStart
	kStop
	kHelper
	kUse
	kID
	kLabels
	kVtagOriginal
	kVtagReply
	kUserspace
	kPortID
	kProgname
	kQuirks
	kExtras
	kExpires
	kActiveSince
)

var flowKeys = [...]string{"family", "proto", "proto-num", "event", "event-time", "timeout", "state",
	"gre-timeout", "gre-stream-timeout", "tuple-orig", "tuple-reply", "counters-orig", "counters-reply",
	"status", "mark", "secmark", "secctx", "zone", "delta-time", "timestamp-start", "timestamp-stop",
	"help-name", "use", "id", "labels", "vtag-original", "vtag-reply", "userspace", "portid", "progname",
	"quirks", "extras", "expires", "active-since"}

// keyIndex returns the bit of key in keys, or 0 for a key it does not know.
func keyIndex(keys []string, key []byte) uint64 {
	for i, k := range keys {
		if k == string(key) {
			return 1 << i
		}
	}
	return 0
}

// DecodeFlow decodes one line of JSON, as AppendJSON writes it, into f.
// Keys it does not know are skipped, so that newer writers can add some.
func (d *JSONDecoder) DecodeFlow(line []byte, f *format.Flow) error {
	d.old = [4]string{f.Secctx, f.Helper, f.Labels, f.Progname}
	d.oldExtras = f.Extras
	*f = format.Flow{}
	r := &d.r
	r.reset(line)
	var seen uint64
	var stateName, protoName []byte
	var l4 [2]format.Layer4
	err := r.object("", func(key []byte) error {
		bit := keyIndex(flowKeys[:], key)
		if bit&seen != 0 {
			return r.fail(format.ErrDuplicate, string(key), "duplicate key")
		}
		seen |= bit
		var err error
		var n uint64
		switch bit {
		case 0:
			return r.skip(string(key))
		case kFamily:
			var v []byte
			if v, err = r.str("family"); err == nil {
				switch string(v) {
				case "ipv4":
					f.Family = format.IPv4
				case "ipv6":
					f.Family = format.IPv6
				default:
					return r.fail(format.ErrUnknownName, "family", "unknown family "+quote(v)+" (want ipv4 or ipv6)")
				}
			}
		case kProto:
			var v []byte
			if v, err = r.str("proto"); err == nil {
				d.proto = append(d.proto[:0], v...)
				protoName = d.proto
			}
		case kProtoNum:
			n, err = r.uint("proto-num", math.MaxUint8)
			f.Proto = format.Proto(n)
		case kEvent:
			var v []byte
			if v, err = r.str("event"); err == nil {
				if f.Event = event(v); f.Event == format.EventNone {
					return r.fail(format.ErrUnknownName, "event", "unknown event "+quote(v)+" (want new, update or destroy)")
				}
			}
		case kEventTime:
			f.EventTime, err = r.int("event-time")
			f.Fields |= format.FieldEventTime
		case kTimeout:
			f.Timeout, err = r.int("timeout")
			f.Fields |= format.FieldTimeout
		case kState:
			var v []byte
			if v, err = r.str("state"); err == nil {
				d.state = append(d.state[:0], v...) // checked once the protocol is known
				stateName = d.state
			}
			f.Fields |= format.FieldState
		case kGRETimeout:
			n, err = r.uint("gre-timeout", math.MaxUint32)
			f.GRETimeout = uint32(n)
			f.Fields |= format.FieldGRETimeouts
		case kGREStreamTimeout:
			n, err = r.uint("gre-stream-timeout", math.MaxUint32)
			f.GREStreamTimeout = uint32(n)
		case kTupleOrig:
			l4[0], err = d.tuple("tuple-orig", &f.Orig, &f.OrigZone, f, format.FieldOrigZone)
		case kTupleReply:
			l4[1], err = d.tuple("tuple-reply", &f.Reply, &f.ReplyZone, f, format.FieldReplyZone)
		case kCountersOrig:
			err = d.counters("counters-orig", &f.OrigCounters)
			f.Fields |= format.FieldOrigCounters
		case kCountersReply:
			err = d.counters("counters-reply", &f.ReplyCounters)
			f.Fields |= format.FieldReplyCounters
		case kStatus:
			f.Fields |= format.FieldStatus
			err = r.array("status", func() error {
				v, err := r.str("status")
				if err != nil {
					return err
				}
				bit, ok := format.ParseStatus(string(v))
				if !ok {
					return r.fail(format.ErrUnknownName, "status", "unknown status bit "+quote(v))
				}
				f.Status |= bit
				return nil
			})
		case kMark:
			n, err = r.uint("mark", math.MaxUint32)
			f.Mark = uint32(n)
			f.Fields |= format.FieldMark
		case kSecmark:
			n, err = r.uint("secmark", math.MaxUint32)
			f.Secmark = uint32(n)
			f.Fields |= format.FieldSecmark
		case kSecctx:
			f.Secctx, err = d.string("secctx")
			f.Fields |= format.FieldSecctx
		case kZone:
			n, err = r.uint("zone", math.MaxUint16)
			f.Zone = uint16(n)
			f.Fields |= format.FieldZone
		case kDeltaTime:
			f.DeltaTime, err = r.uint("delta-time", math.MaxUint64)
			f.Fields |= format.FieldDeltaTime
		case kStart:
			f.Start, err = r.uint("timestamp-start", math.MaxUint64)
			f.Fields |= format.FieldStart
		case kStop:
			f.Stop, err = r.uint("timestamp-stop", math.MaxUint64)
			f.Fields |= format.FieldStop
		case kHelper:
			f.Helper, err = d.string("help-name")
			f.Fields |= format.FieldHelper
		case kUse:
			n, err = r.uint("use", math.MaxUint32)
			f.Use = uint32(n)
			f.Fields |= format.FieldUse
		case kID:
			n, err = r.uint("id", math.MaxUint32)
			f.ID = uint32(n)
			f.Fields |= format.FieldID
		case kLabels:
			f.Fields |= format.FieldLabels
			f.Labels, err = d.labels()
		case kVtagOriginal:
			n, err = r.uint("vtag-original", math.MaxUint32)
			f.OrigVtag = uint32(n)
			f.Fields |= format.FieldVtags
		case kVtagReply:
			n, err = r.uint("vtag-reply", math.MaxUint32)
			f.ReplyVtag = uint32(n)
		case kUserspace:
			if !r.lit("true") {
				return r.fail(format.ErrSyntax, "userspace", "want true")
			}
			f.Fields |= format.FieldUserspace
		case kPortID:
			n, err = r.uint("portid", math.MaxUint32)
			f.PortID = uint32(n)
			f.Fields |= format.FieldPortID
		case kProgname:
			f.Progname, err = d.string("progname")
			f.Fields |= format.FieldProgname
		case kQuirks:
			err = r.array("quirks", func() error {
				v, err := r.str("quirks")
				if err != nil {
					return err
				}
				for i := range 8 {
					if q := format.Quirks(1) << i; format.QuirkName(q) == string(v) {
						f.Quirks |= q
						return nil
					}
				}
				return r.fail(format.ErrUnknownName, "quirks", "unknown quirk "+quote(v))
			})
		case kExtras:
			err = d.extras(f)
		case kExpires:
			f.Expires, err = r.int("expires")
			f.Fields |= format.FieldExpires
		case kActiveSince:
			f.ActiveSince, err = r.int("active-since")
			f.Fields |= format.FieldActiveSince
		}
		return err
	})
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return err
	}
	return d.checkFlow(f, seen, protoName, stateName, l4)
}

// checkFlow checks what a flow needs and what its keys must agree on.
func (d *JSONDecoder) checkFlow(f *format.Flow, seen uint64, protoName, stateName []byte, l4 [2]format.Layer4) error {
	r := &d.r
	r.i = len(r.b)
	for _, k := range [...]uint64{kFamily, kProtoNum, kTupleOrig} { // no tuple-reply: conntrackd -e's
		if seen&k == 0 {
			return r.fail(format.ErrMissing, flowKeys[bitIndex(k)], "missing key "+quote([]byte(flowKeys[bitIndex(k)])))
		}
	}
	if seen&(kGRETimeout|kGREStreamTimeout) == kGRETimeout || seen&(kGRETimeout|kGREStreamTimeout) == kGREStreamTimeout {
		return r.fail(format.ErrMissing, "gre-timeout", "gre-timeout and gre-stream-timeout come together")
	}
	if seen&(kVtagOriginal|kVtagReply) == kVtagOriginal || seen&(kVtagOriginal|kVtagReply) == kVtagReply {
		return r.fail(format.ErrMissing, "vtag-original", "vtag-original and vtag-reply come together")
	}
	if protoName != nil && string(protoName) != f.Proto.String() {
		return r.fail(format.ErrMismatch, "proto", "proto "+quote(protoName)+" is not the name of proto-num "+itoa(uint64(f.Proto)))
	}
	if stateName != nil {
		s, ok := state(f.Proto, stateName)
		if !ok {
			return r.fail(format.ErrUnknownName, "state", "unknown "+f.Proto.String()+" state "+quote(stateName))
		}
		f.State = s
	}
	tuples := []*format.Tuple{&f.Orig, &f.Reply}
	if seen&kTupleReply == 0 {
		tuples, l4[1] = tuples[:1], l4[0]
		if f.Has(format.FieldReplyZone) {
			return r.fail(format.ErrMismatch, "tuple-reply", "a reply zone without the reply tuple")
		}
	}
	for _, t := range tuples {
		if !t.Src.IsValid() || !t.Dst.IsValid() {
			return r.fail(format.ErrMissing, "tuple", "a tuple lacks src or dst")
		}
		if (f.Family == format.IPv4) != t.Src.Is4() || (f.Family == format.IPv4) != t.Dst.Is4() {
			return r.fail(format.ErrAddress, "tuple", "an address is not of family "+f.Family.String())
		}
	}
	switch {
	case l4[0] != l4[1]:
		return r.fail(format.ErrMismatch, "tuple-reply", "the tuples' layer-4 parts differ")
	case l4[0] == format.L4None:
	case l4[0] != f.Proto.Layer4() && !(l4[0] == format.L4Ports && f.Proto.Layer4() == format.L4Keys):
		return r.fail(format.ErrMismatch, "tuple-orig", "the tuples' layer-4 part does not fit "+f.Proto.String())
	case l4[0] == format.L4ICMP && (f.Proto == format.ICMPv6) != d.icmpv6:
		return r.fail(format.ErrMismatch, "tuple-orig", "ICMP fields of the other ICMP version")
	default:
		f.Fields |= format.FieldL4
	}
	if field, msg := format.CheckText(f); msg != "" {
		return r.fail(format.ErrSyntax, field, msg)
	}
	return nil
}

func bitIndex(b uint64) int {
	for i := range 64 {
		if b == 1<<i {
			return i
		}
	}
	return -1
}

// tuple decodes a tuple object and returns the kind of its layer-4 part.
func (d *JSONDecoder) tuple(field string, t *format.Tuple, zone *uint16, f *format.Flow, zoneField format.Fields) (format.Layer4, error) {
	r := &d.r
	var seen uint64
	l4 := format.L4None
	err := r.object(field, func(key []byte) error {
		bit := keyIndex(tupleKeys[:], key)
		if bit&seen != 0 {
			return r.fail(format.ErrDuplicate, field, "duplicate key "+quote(key))
		}
		seen |= bit
		var n uint64
		var err error
		switch bit {
		case 0:
			return r.skip(field)
		case 1 << 0, 1 << 1:
			var v []byte
			if v, err = r.str(field); err != nil {
				return err
			}
			a, ok := format.ParseAddr(v)
			if !ok {
				return r.fail(format.ErrAddress, field, "malformed address "+quote(v))
			}
			if bit == 1<<0 {
				t.Src = a
			} else {
				t.Dst = a
			}
		case 1 << 2:
			n, err = r.uint(field, math.MaxUint16)
			t.SrcPort = uint16(n)
			l4 = format.L4Ports
		case 1 << 3:
			n, err = r.uint(field, math.MaxUint16)
			t.DstPort = uint16(n)
		case 1 << 4, 1 << 7:
			n, err = r.uint(field, math.MaxUint8)
			t.Type = uint8(n)
			l4 = format.L4ICMP
			d.icmpv6 = bit == 1<<7
		case 1 << 5, 1 << 8:
			n, err = r.uint(field, math.MaxUint8)
			t.Code = uint8(n)
		case 1 << 6, 1 << 9:
			n, err = r.uint(field, math.MaxUint16)
			t.ID = uint16(n)
		case 1 << 10:
			n, err = r.uint(field, math.MaxUint16)
			*zone = uint16(n)
			f.Fields |= zoneField
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	switch {
	case l4 == format.L4Ports && seen&(1<<3) == 0,
		l4 == format.L4ICMP && (seen&(1<<5|1<<6) != 1<<5|1<<6 && seen&(1<<8|1<<9) != 1<<8|1<<9),
		l4 == format.L4None && seen&(1<<3|1<<5|1<<6|1<<8|1<<9) != 0:
		return 0, r.fail(format.ErrMissing, field, "incomplete layer-4 part")
	}
	return l4, nil
}

var tupleKeys = [...]string{"src", "dst", "proto-src-port", "proto-dst-port",
	"proto-icmp-type", "proto-icmp-code", "proto-icmp-id",
	"proto-icmpv6-type", "proto-icmpv6-code", "proto-icmpv6-id", "zone"}

func (d *JSONDecoder) counters(field string, c *format.Counters) error {
	r := &d.r
	var seen uint64
	err := r.object(field, func(key []byte) error {
		var err error
		switch string(key) {
		case "packets":
			c.Packets, err = r.uint(field, math.MaxUint64)
			seen |= 1
		case "bytes":
			c.Bytes, err = r.uint(field, math.MaxUint64)
			seen |= 2
		default:
			return r.skip(field)
		}
		return err
	})
	if err == nil && seen != 3 {
		return r.fail(format.ErrMissing, field, "counters need packets and bytes")
	}
	return err
}

// string reads a string field, reusing a string of the previous record.
func (d *JSONDecoder) string(field string) (string, error) {
	v, err := d.r.str(field)
	if err != nil {
		return "", err
	}
	return d.reuse(v), nil
}

func (d *JSONDecoder) reuse(v []byte) string {
	for _, s := range d.old {
		if s == string(v) {
			return s
		}
	}
	return string(v)
}

// labels reads the labels' names and joins them with commas.
func (d *JSONDecoder) labels() (string, error) {
	r := &d.r
	d.buf = d.buf[:0]
	err := r.array("labels", func() error {
		v, err := r.str("labels")
		if err != nil {
			return err
		}
		if len(v) == 0 || bytes.IndexByte(v, ',') >= 0 {
			return r.fail(format.ErrSyntax, "labels", "a label name is empty or holds a comma")
		}
		if len(d.buf) > 0 {
			d.buf = append(d.buf, ',')
		}
		d.buf = append(d.buf, v...)
		return nil
	})
	return d.reuse(d.buf), err
}

// extras reads the tokens of Flow.Extras, in slot order.
func (d *JSONDecoder) extras(f *format.Flow) error {
	r := &d.r
	last := format.Slot(0)
	d.extrasB.Reset()
	defer func() { f.Extras = d.extrasB.Extras(d.oldExtras) }()
	return r.array("extras", func() error {
		var slot format.Slot
		var text string
		var seen int
		err := r.object("extras", func(key []byte) error {
			switch string(key) {
			case "slot":
				v, err := r.str("extras")
				if err != nil {
					return err
				}
				s, ok := format.ParseSlot(string(v))
				if !ok {
					return r.fail(format.ErrUnknownName, "extras", "unknown slot "+quote(v))
				}
				slot, seen = s, seen|1
			case "text":
				v, err := r.str("extras")
				if err != nil {
					return err
				}
				text, seen = string(v), seen|2
			default:
				return r.skip("extras")
			}
			return nil
		})
		if err != nil {
			return err
		}
		if seen != 3 || text == "" || slot < last {
			return r.fail(format.ErrSyntax, "extras", "an extra needs a slot and a text, in slot order")
		}
		last = slot
		d.extrasB.Add(slot, text)
		return nil
	})
}

// lit reads the literal s.
func (r *jsonReader) lit(s string) bool {
	r.ws()
	if len(r.b)-r.i >= len(s) && string(r.b[r.i:r.i+len(s)]) == s {
		r.i += len(s)
		return true
	}
	return false
}

func event(v []byte) format.Event {
	for e := format.EventNew; e <= format.EventDestroy; e++ {
		if e.String() == string(v) {
			return e
		}
	}
	return format.EventNone
}

// state returns the state of p named name.
func state(p format.Proto, name []byte) (format.State, bool) {
	for s := range format.State(16) {
		if n := format.StateName(p, s); n != "" && n == string(name) {
			return s, true
		}
	}
	return 0, false
}

func quote(b []byte) string {
	if len(b) > 40 {
		b = b[:40]
	}
	return `"` + string(b) + `"`
}

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
