package codec

import (
	"math"

	"github.com/ctconv/ctconv/format"
)

var layer4Names = [...]string{format.L4None: "none", format.L4Ports: "ports", format.L4Keys: "keys", format.L4ICMP: "icmp"}

var expectFlagJSON = [...]string{"permanent", "inactive", "userspace"}

// AppendJSONExpect appends e as one line of JSON, with its newline.
func AppendJSONExpect(dst []byte, e *format.Expect) ([]byte, error) {
	w := jsonWriter{b: dst}
	w.open()
	w.str("family", e.Family.String())
	w.str("proto", e.Proto.String())
	w.uint("proto-num", uint64(e.Proto))
	if e.Event != format.EventNone {
		w.str("event", e.Event.String())
	}
	if e.Has(format.ExpectEventTime) {
		w.int("event-time", e.EventTime)
	}
	if e.Has(format.ExpectTimeout) {
		w.int("timeout", e.Timeout)
	}
	icmpv6 := e.Proto == format.ICMPv6
	w.tuple("tuple", &e.Tuple, e.Proto.Layer4(), icmpv6, false, 0)
	if e.Has(format.ExpectMask) {
		w.tuple("mask", &e.Mask, e.Proto.Layer4(), icmpv6, false, 0)
	}
	if e.Has(format.ExpectMaster) {
		w.tuple("master", &e.Master, e.MasterL4, icmpv6, false, 0)
		w.str("master-l4", layer4Names[e.MasterL4])
	}
	if e.Has(format.ExpectZone) {
		w.uint("zone", uint64(e.Zone))
	}
	if e.Has(format.ExpectFlagsSet) || e.Flags != 0 {
		w.key("flags")
		w.b = append(w.b, '[')
		n := 0
		for i, name := range expectFlagJSON {
			if e.Flags&(1<<i) != 0 {
				if n > 0 {
					w.b = append(w.b, ',')
				}
				w.string(name)
				n++
			}
		}
		w.b = append(w.b, ']')
	}
	if e.Has(format.ExpectClass) {
		w.uint("class", uint64(e.Class))
	}
	if e.Has(format.ExpectHelper) {
		w.str("help-name", e.Helper)
	}
	if e.Has(format.ExpectPolicy) {
		w.str("policy", e.Policy)
	}
	if e.Has(format.ExpectUserspace) {
		w.key("userspace")
		w.b = append(w.b, "true"...)
	}
	if e.Has(format.ExpectPortID) {
		w.uint("portid", uint64(e.PortID))
	}
	if e.Has(format.ExpectProgname) {
		w.str("progname", e.Progname)
	}
	if e.Has(format.ExpectUse) {
		w.uint("use", uint64(e.Use))
	}
	if e.Has(format.ExpectExpires) {
		w.int("expires", e.Expires)
	}
	if e.Has(format.ExpectActiveSince) {
		w.int("active-since", e.ActiveSince)
	}
	w.quirks(e.Quirks, true)
	w.close()
	if w.err != nil {
		return dst, w.err
	}
	return append(w.b, '\n'), nil
}

var expectKeys = [...]string{"family", "proto", "proto-num", "event", "event-time", "timeout", "tuple",
	"mask", "master", "master-l4", "zone", "flags", "class", "help-name", "policy", "userspace", "portid",
	"progname", "quirks", "use", "expires", "active-since"}

// DecodeExpect decodes one line of JSON, as AppendJSONExpect writes it,
// into e.
func (d *JSONDecoder) DecodeExpect(line []byte, e *format.Expect) error {
	d.old = [4]string{e.Helper, e.Policy, e.Progname, ""}
	*e = format.Expect{}
	r := &d.r
	r.reset(line)
	var seen uint64
	var protoName []byte
	var l4 [3]format.Layer4
	masterL4 := format.Layer4(255)
	var f format.Flow // for the tuples' zones, which expectations lack
	err := r.object("", func(key []byte) error {
		bit := keyIndex(expectKeys[:], key)
		if bit&seen != 0 {
			return r.fail(format.ErrDuplicate, string(key), "duplicate key")
		}
		seen |= bit
		var err error
		var n uint64
		switch bit {
		case 0:
			return r.skip(string(key))
		case 1 << 0:
			var v []byte
			if v, err = r.str("family"); err == nil {
				switch string(v) {
				case "ipv4":
					e.Family = format.IPv4
				case "ipv6":
					e.Family = format.IPv6
				default:
					return r.fail(format.ErrUnknownName, "family", "unknown family "+quote(v))
				}
			}
		case 1 << 1:
			var v []byte
			if v, err = r.str("proto"); err == nil {
				d.proto = append(d.proto[:0], v...)
				protoName = d.proto
			}
		case 1 << 2:
			n, err = r.uint("proto-num", math.MaxUint8)
			e.Proto = format.Proto(n)
		case 1 << 3:
			var v []byte
			if v, err = r.str("event"); err == nil {
				if e.Event = event(v); e.Event == format.EventNone {
					return r.fail(format.ErrUnknownName, "event", "unknown event "+quote(v))
				}
			}
		case 1 << 4:
			e.EventTime, err = r.int("event-time")
			e.Fields |= format.ExpectEventTime
		case 1 << 5:
			e.Timeout, err = r.int("timeout")
			e.Fields |= format.ExpectTimeout
		case 1 << 6:
			l4[0], err = d.tuple("tuple", &e.Tuple, new(uint16), &f, 0)
		case 1 << 7:
			l4[1], err = d.tuple("mask", &e.Mask, new(uint16), &f, 0)
			e.Fields |= format.ExpectMask
		case 1 << 8:
			l4[2], err = d.tuple("master", &e.Master, new(uint16), &f, 0)
			e.Fields |= format.ExpectMaster
		case 1 << 9:
			var v []byte
			if v, err = r.str("master-l4"); err == nil {
				for i, name := range layer4Names {
					if name == string(v) {
						masterL4 = format.Layer4(i)
					}
				}
				if masterL4 == 255 {
					return r.fail(format.ErrUnknownName, "master-l4", "unknown kind "+quote(v)+" (want none, ports, keys or icmp)")
				}
			}
		case 1 << 10:
			n, err = r.uint("zone", math.MaxUint16)
			e.Zone = uint16(n)
			e.Fields |= format.ExpectZone
		case 1 << 11:
			e.Fields |= format.ExpectFlagsSet
			err = r.array("flags", func() error {
				v, err := r.str("flags")
				if err != nil {
					return err
				}
				for i, name := range expectFlagJSON {
					if name == string(v) {
						e.Flags |= 1 << i
						return nil
					}
				}
				return r.fail(format.ErrUnknownName, "flags", "unknown flag "+quote(v))
			})
		case 1 << 12:
			n, err = r.uint("class", math.MaxUint32)
			e.Class = uint32(n)
			e.Fields |= format.ExpectClass
		case 1 << 13:
			e.Helper, err = d.string("help-name")
			e.Fields |= format.ExpectHelper
		case 1 << 14:
			e.Policy, err = d.string("policy")
			e.Fields |= format.ExpectPolicy
		case 1 << 15:
			if !r.lit("true") {
				return r.fail(format.ErrSyntax, "userspace", "want true")
			}
			e.Fields |= format.ExpectUserspace
		case 1 << 16:
			n, err = r.uint("portid", math.MaxUint32)
			e.PortID = uint32(n)
			e.Fields |= format.ExpectPortID
		case 1 << 17:
			e.Progname, err = d.string("progname")
			e.Fields |= format.ExpectProgname
		case 1 << 18:
			err = r.array("quirks", func() error {
				v, err := r.str("quirks")
				if err != nil {
					return err
				}
				if q, ok := format.ParseQuirk(string(v)); ok {
					e.Quirks |= q
					return nil
				}
				return r.fail(format.ErrUnknownName, "quirks", "unknown quirk "+quote(v))
			})
		case 1 << 19:
			n, err = r.uint("use", math.MaxUint32)
			e.Use = uint32(n)
			e.Fields |= format.ExpectUse
		case 1 << 20:
			e.Expires, err = r.int("expires")
			e.Fields |= format.ExpectExpires
		case 1 << 21:
			e.ActiveSince, err = r.int("active-since")
			e.Fields |= format.ExpectActiveSince
		}
		return err
	})
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return err
	}
	r.i = len(r.b)
	for _, k := range [...]uint64{1 << 0, 1 << 2, 1 << 6} {
		if seen&k == 0 {
			return r.fail(format.ErrMissing, expectKeys[bitIndex(k)], "missing key "+quote([]byte(expectKeys[bitIndex(k)])))
		}
	}
	if protoName != nil && string(protoName) != e.Proto.String() {
		return r.fail(format.ErrMismatch, "proto", "proto "+quote(protoName)+" is not the name of proto-num "+itoa(uint64(e.Proto)))
	}
	kind := e.Proto.Layer4()
	if kind == format.L4Keys {
		kind = format.L4Ports // GRE keys are in the port attributes
	}
	if l4[0] != kind || e.Has(format.ExpectMask) && l4[1] != kind {
		return r.fail(format.ErrMismatch, "tuple", "the layer-4 part does not fit "+e.Proto.String())
	}
	if e.Has(format.ExpectMaster) {
		if masterL4 == 255 {
			return r.fail(format.ErrMissing, "master-l4", "the master needs master-l4")
		}
		if got := l4[2]; got != masterL4 && !(got == format.L4Ports && masterL4 == format.L4Keys) {
			return r.fail(format.ErrMismatch, "master", "the master's layer-4 part does not fit master-l4")
		}
		e.MasterL4 = masterL4
	}
	for _, t := range [...]*format.Tuple{&e.Tuple, &e.Mask, &e.Master} {
		if t.Src.IsValid() && (e.Family == format.IPv4) != t.Src.Is4() || t.Dst.IsValid() && (e.Family == format.IPv4) != t.Dst.Is4() {
			return r.fail(format.ErrAddress, "tuple", "an address is not of family "+e.Family.String())
		}
	}
	for _, t := range [...]struct {
		has   bool
		field string
		t     *format.Tuple
	}{{true, "tuple", &e.Tuple}, {e.Has(format.ExpectMask), "mask", &e.Mask}, {e.Has(format.ExpectMaster), "master", &e.Master}} {
		if t.has && (!t.t.Src.IsValid() || !t.t.Dst.IsValid()) {
			return r.fail(format.ErrMissing, t.field, "the "+t.field+" lacks src or dst")
		}
	}
	return nil
}
