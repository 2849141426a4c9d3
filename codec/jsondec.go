package codec

import (
	"bytes"
	"math"
	"math/bits"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/netaddr"
)

// A JSONDecoder decodes lines of JSON into flows and expectations. It keeps
// scratch space and the strings of the previous record, so that decoding
// into the same struct again does not allocate; its zero value is ready.
type JSONDecoder struct {
	r      jsonReader
	kept   kept
	buf    []byte
	state  []byte // the state's name, until the protocol is known
	proto  []byte // the protocol's name, likewise
	icmpv6 bool   // the last tuple's ICMP fields were ICMPv6's
	// What the record's members tell each other, once it is read: the
	// names of its protocol and state (nil where absent), the layer-4 parts
	// of its tuples, whether a flow has a reply tuple, an expectation's
	// master-l4.
	protoName, stateName []byte
	l4                   [3]format.Layer4
	reply                bool
	masterL4             format.Layer4
}

// DecodeFlow decodes one line of JSON, as AppendJSON writes it, into f.
// Keys it does not know are skipped, so that newer writers can add some.
func (d *JSONDecoder) DecodeFlow(line []byte, f *format.Flow) error {
	d.kept.flow(f)
	has, err := readObject(d, line, flowJSON, f)
	f.Fields |= format.Fields(has)
	if err != nil {
		return err
	}
	return d.checkFlow(f)
}

// DecodeExpect decodes one line of JSON, as AppendJSONExpect writes it,
// into e.
func (d *JSONDecoder) DecodeExpect(line []byte, e *format.Expect) error {
	d.kept.expect(e)
	d.masterL4 = noLayer4
	has, err := readObject(d, line, expectJSON, e)
	e.Fields |= format.ExpectFields(has)
	if err != nil {
		return err
	}
	return d.checkExpect(e)
}

// noLayer4 is the masterL4 of an expectation without master-l4.
const noLayer4 = format.Layer4(255)

// readObject reads the object of line into r, a member at a time by
// fields, and returns the bits of R's set of fields that its members
// say are present. It checks that the members are there once at most,
// and those required at least; the rest is for the kind of record to
// check.
func readObject[R any](d *JSONDecoder, line []byte, o *jsonObject[R], r *R) (has uint64, err error) {
	fields := o.fields
	d.r.reset(line)
	d.protoName, d.stateName, d.l4, d.reply = nil, nil, [3]format.Layer4{}, false
	var seen uint64 // the members read, by index
	next := 0       // the index of the member a writer lists next
	err = d.r.object("", func(key []byte) error {
		i := lookup(fields, key, next)
		if i < 0 {
			return d.r.skip(string(key))
		}
		if seen&(1<<i) != 0 {
			return d.r.fail(format.ErrDuplicate, string(key), "duplicate key")
		}
		seen |= 1 << i
		next = i + 1
		f := &fields[i]
		has |= f.has
		return f.get(d, r, f.key)
	})
	if err == nil {
		err = d.r.end()
	}
	if err != nil {
		return has, err
	}
	d.r.i = len(d.r.b)
	if missing := o.required &^ seen; missing != 0 {
		key := fields[bits.TrailingZeros64(missing)].key
		return has, d.r.fail(format.ErrMissing, key, "missing key "+quote([]byte(key)))
	}
	for _, p := range o.together {
		if (seen>>p[0]^seen>>p[1])&1 != 0 {
			a, b := fields[p[0]].key, fields[p[1]].key
			return has, d.r.fail(format.ErrMissing, a, a+" and "+b+" come together")
		}
	}
	return has, nil
}

// lookup returns the index of the member key in fields, or -1. It looks
// from next on first, where a writer's next member is.
func lookup[R any](fields []jsonField[R], key []byte, next int) int {
	for i := next; i < len(fields); i++ {
		if fields[i].key == string(key) {
			return i
		}
	}
	for i := range min(next, len(fields)) {
		if fields[i].key == string(key) {
			return i
		}
	}
	return -1
}

// checkFlow checks what a flow's members must agree on.
func (d *JSONDecoder) checkFlow(f *format.Flow) error {
	r := &d.r
	if err := d.checkProto(f.Proto); err != nil {
		return err
	}
	if d.stateName != nil {
		s, ok := state(f.Proto, d.stateName)
		if !ok {
			return r.fail(format.ErrUnknownName, "state", "unknown "+protoName(f.Proto)+" state "+quote(d.stateName))
		}
		f.State = s
	}
	l4 := d.l4
	tuples := []*format.Tuple{&f.Orig, &f.Reply}
	if !d.reply {
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
		return r.fail(format.ErrMismatch, "tuple-orig", "the tuples' layer-4 part does not fit "+protoName(f.Proto))
	case l4[0] == format.L4ICMP && (f.Proto == format.ICMPv6) != d.icmpv6:
		return r.fail(format.ErrMismatch, "tuple-orig", "ICMP fields of the other ICMP version")
	default:
		f.Fields |= format.FieldL4
	}
	if field, msg := f.CheckText(); msg != "" {
		return r.fail(format.ErrSyntax, field, msg)
	}
	return nil
}

// checkProto checks that the protocol's name, if there, is p's.
func (d *JSONDecoder) checkProto(p format.Proto) error {
	if d.protoName != nil && string(d.protoName) != protoName(p) {
		return d.r.fail(format.ErrMismatch, "proto", "proto "+quote(d.protoName)+" is not the name of proto-num "+itoa(uint64(p)))
	}
	return nil
}

// checkExpect checks what an expectation's members must agree on.
func (d *JSONDecoder) checkExpect(e *format.Expect) error {
	r := &d.r
	if field, msg := e.CheckText(); msg != "" {
		return r.fail(format.ErrSyntax, field, msg)
	}
	if err := d.checkProto(e.Proto); err != nil {
		return err
	}
	kind := e.Proto.Layer4()
	if kind == format.L4Keys {
		kind = format.L4Ports // GRE keys are in the port attributes
	}
	if d.l4[0] != kind || e.Has(format.ExpectMask) && d.l4[1] != kind {
		return r.fail(format.ErrMismatch, "tuple", "the layer-4 part does not fit "+protoName(e.Proto))
	}
	if e.Has(format.ExpectMaster) {
		if d.masterL4 == noLayer4 {
			return r.fail(format.ErrMissing, "master-l4", "the master needs master-l4")
		}
		if got := d.l4[2]; got != d.masterL4 && !(got == format.L4Ports && d.masterL4 == format.L4Keys) {
			return r.fail(format.ErrMismatch, "master", "the master's layer-4 part does not fit master-l4")
		}
		e.MasterL4 = d.masterL4
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

// tuple decodes a tuple object and returns the kind of its layer-4 part.
// A zone in it sets zoneField in fields.
func (d *JSONDecoder) tuple(field string, t *format.Tuple, zone *uint16, fields *format.Fields, zoneField format.Fields) (format.Layer4, error) {
	r := &d.r
	var seen uint64 // the members read, by index
	l4 := format.L4None
	err := r.object(field, func(key []byte) error {
		i := 0
		for i < len(tupleJSON) && tupleJSON[i].key != string(key) {
			i++
		}
		if i == len(tupleJSON) {
			return r.skip(field)
		}
		if seen&(1<<i) != 0 {
			return r.fail(format.ErrDuplicate, field, "duplicate key "+quote(key))
		}
		seen |= 1 << i
		m := &tupleJSON[i]
		if m.part == partAddr {
			v, err := r.str(field)
			if err != nil {
				return err
			}
			a, ok := netaddr.Parse(v)
			if !ok {
				return r.fail(format.ErrAddress, field, "malformed address "+quote(v))
			}
			*m.addr(t) = a
			return nil
		}
		n, err := r.uint(field, m.max)
		switch {
		case m.part == partZone:
			*zone = uint16(n)
			*fields |= zoneField
		case m.first:
			if l4 = m.part.layer4(); l4 == format.L4ICMP {
				d.icmpv6 = m.part == partICMPv6
			}
			fallthrough
		default:
			m.set(t, n)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	if !tupleComplete(l4, seen) {
		return 0, r.fail(format.ErrMissing, field, "incomplete layer-4 part")
	}
	return l4, nil
}

// tupleNeed holds, for each layer-4 part, the indices of its members
// after the first, a bit an index.
var tupleNeed = func() (need [partZone]uint64) {
	for i, m := range tupleJSON {
		if m.part != partAddr && m.part != partZone && !m.first {
			need[m.part] |= 1 << i
		}
	}
	return need
}()

// tupleComplete reports whether the members seen, by index, complete a
// layer-4 part of kind l4: all the members of a part of that kind that
// follow its first, or none of any part for L4None.
func tupleComplete(l4 format.Layer4, seen uint64) bool {
	need := &tupleNeed
	if l4 == format.L4None {
		return seen&(need[partPorts]|need[partICMP]|need[partICMPv6]) == 0
	}
	for p, n := range need {
		if n != 0 && tuplePart(p).layer4() == l4 && seen&n == n {
			return true
		}
	}
	return false
}

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
	return d.kept.string(v), nil
}

// labels reads the labels' names and joins them with commas.
func (d *JSONDecoder) labels(field string) (string, error) {
	r := &d.r
	d.buf = d.buf[:0]
	err := r.array(field, func() error {
		v, err := r.str(field)
		if err != nil {
			return err
		}
		if len(v) == 0 || bytes.IndexByte(v, ',') >= 0 {
			return r.fail(format.ErrSyntax, field, "a label name is empty or holds a comma")
		}
		if len(d.buf) > 0 {
			d.buf = append(d.buf, ',')
		}
		d.buf = append(d.buf, v...)
		return nil
	})
	return d.kept.string(d.buf), err
}

// extras reads the tokens of Flow.Extras, in slot order.
func (d *JSONDecoder) extras(field string, f *format.Flow) error {
	r := &d.r
	last := format.Slot(0)
	d.kept.extras = d.kept.extras[:0]
	err := r.array(field, func() error {
		var slot format.Slot
		var text []byte
		var seen int
		err := r.object(field, func(key []byte) error {
			switch string(key) {
			case "slot":
				v, err := r.str(field)
				if err != nil {
					return err
				}
				var s format.Slot
				if s.UnmarshalText(v) != nil {
					return r.fail(format.ErrUnknownName, field, "unknown slot "+quote(v))
				}
				slot, seen = s, seen|1
			case "text":
				v, err := r.str(field)
				if err != nil {
					return err
				}
				text, seen = append(text[:0], v...), seen|2
			default:
				return r.skip(field)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if seen != 3 || len(text) == 0 || slot < last {
			return r.fail(format.ErrSyntax, field, "an extra needs a slot and a text, in slot order")
		}
		last = slot
		d.kept.addExtra(slot, text)
		return nil
	})
	if err != nil {
		return err
	}
	if err := d.kept.extrasRead(&f.Extras); err != nil {
		return r.fail(format.ErrSyntax, field, err.Error())
	}
	return nil
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

// names reads an array of names, each of names, and calls set with the
// index of each; what names to speak of in an error.
func (d *JSONDecoder) names(field string, names []string, what string, set func(i int)) error {
	return d.r.array(field, func() error {
		v, err := d.r.str(field)
		if err != nil {
			return err
		}
		for i, name := range names {
			if name != "" && name == string(v) {
				set(i)
				return nil
			}
		}
		return d.r.fail(format.ErrUnknownName, field, "unknown "+what+" "+quote(v))
	})
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
