package codec

import (
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ctconv/ctconv/format"
)

// The members of the JSON objects of flows and expectations: a table a
// kind of record, in the order a writer lists them, that AppendJSON and
// JSONDecoder both walk. flow.schema.json and expect.schema.json
// document them.

// flowJSON is the object of a flow.
var flowJSON = newJSONObject(headJSON(format.FieldEventTime, format.FieldTimeout, func(f *format.Flow) head {
	return head{&f.Family, &f.Proto, &f.Event, &f.EventTime, &f.Timeout}
}), []jsonField[format.Flow]{
	{key: "state", has: uint64(format.FieldState),
		put: func(b []byte, f *format.Flow) ([]byte, error) {
			w := jsonWriter{b: b}
			name := f.Proto.StateName(f.State)
			if name == "" {
				return b, &EncodeError{Msg: "state " + strconv.Itoa(int(f.State)) + " of " + protoName(f.Proto) + " has no name"}
			}
			w.string(name)
			return w.b, w.err
		},
		get: func(d *JSONDecoder, _ *format.Flow, key string) error {
			v, err := d.r.str(key)
			d.state = append(d.state[:0], v...) // checked once the protocol is known
			d.stateName = d.state
			if d.stateName == nil {
				d.stateName = []byte{} // "": a state, and none has that name
			}
			return err
		}},
	uintJSON("gre-timeout", format.FieldGRETimeouts, func(f *format.Flow) *uint32 { return &f.GRETimeout }),
	uintJSON("gre-stream-timeout", format.FieldGRETimeouts, func(f *format.Flow) *uint32 { return &f.GREStreamTimeout }),
	{key: "tuple-orig", required: true,
		put: func(b []byte, f *format.Flow) ([]byte, error) {
			w := jsonWriter{b: b}
			w.tuple(&f.Orig, flowL4(f), f.Proto == format.ICMPv6, f.Has(format.FieldOrigZone), f.OrigZone)
			return w.b, w.err
		},
		get: func(d *JSONDecoder, f *format.Flow, key string) (err error) {
			d.l4[0], err = d.tuple(key, &f.Orig, &f.OrigZone, &f.Fields, format.FieldOrigZone)
			return err
		}},
	{key: "tuple-reply", present: func(f *format.Flow) bool { return !noReply(f) }, // conntrackd -e has none
		put: func(b []byte, f *format.Flow) ([]byte, error) {
			w := jsonWriter{b: b}
			w.tuple(&f.Reply, flowL4(f), f.Proto == format.ICMPv6, f.Has(format.FieldReplyZone), f.ReplyZone)
			return w.b, w.err
		},
		get: func(d *JSONDecoder, f *format.Flow, key string) (err error) {
			d.reply = true
			d.l4[1], err = d.tuple(key, &f.Reply, &f.ReplyZone, &f.Fields, format.FieldReplyZone)
			return err
		}},
	countersJSON("counters-orig", format.FieldOrigCounters, func(f *format.Flow) *format.Counters { return &f.OrigCounters }),
	countersJSON("counters-reply", format.FieldReplyCounters, func(f *format.Flow) *format.Counters { return &f.ReplyCounters }),
	bitsJSON("status", format.FieldStatus, statusJSON[:], 1<<32-1, "status bit", func(f *format.Flow) *format.Status { return &f.Status }),
	uintJSON("mark", format.FieldMark, func(f *format.Flow) *uint32 { return &f.Mark }),
	uintJSON("secmark", format.FieldSecmark, func(f *format.Flow) *uint32 { return &f.Secmark }),
	stringJSON("secctx", format.FieldSecctx, func(f *format.Flow) *string { return &f.Secctx }),
	uintJSON("zone", format.FieldZone, func(f *format.Flow) *uint16 { return &f.Zone }),
	uintJSON("delta-time", format.FieldDeltaTime, func(f *format.Flow) *uint64 { return &f.DeltaTime }),
	uintJSON("timestamp-start", format.FieldStart, func(f *format.Flow) *uint64 { return &f.Start }),
	uintJSON("timestamp-stop", format.FieldStop, func(f *format.Flow) *uint64 { return &f.Stop }),
	stringJSON("help-name", format.FieldHelper, func(f *format.Flow) *string { return &f.Helper }),
	uintJSON("use", format.FieldUse, func(f *format.Flow) *uint32 { return &f.Use }),
	uintJSON("id", format.FieldID, func(f *format.Flow) *uint32 { return &f.ID }),
	{key: "labels", has: uint64(format.FieldLabels),
		put: func(b []byte, f *format.Flow) ([]byte, error) {
			w := jsonWriter{b: b}
			w.b = append(w.b, '[')
			for i, rest := 0, f.Labels; rest != ""; i++ {
				var name string
				name, rest = cut(rest, ',')
				if i > 0 {
					w.b = append(w.b, ',')
				}
				w.string(name)
			}
			w.b = append(w.b, ']')
			return w.b, w.err
		},
		get: func(d *JSONDecoder, f *format.Flow, key string) (err error) {
			f.Labels, err = d.labels(key)
			return err
		}},
	uintJSON("vtag-original", format.FieldVtags, func(f *format.Flow) *uint32 { return &f.OrigVtag }),
	uintJSON("vtag-reply", format.FieldVtags, func(f *format.Flow) *uint32 { return &f.ReplyVtag }),
	trueJSON[format.Flow]("userspace", format.FieldUserspace),
	uintJSON("portid", format.FieldPortID, func(f *format.Flow) *uint32 { return &f.PortID }),
	stringJSON("progname", format.FieldProgname, func(f *format.Flow) *string { return &f.Progname }),
	intJSON("expires", format.FieldExpires, func(f *format.Flow) *int64 { return &f.Expires }),
	intJSON("active-since", format.FieldActiveSince, func(f *format.Flow) *int64 { return &f.ActiveSince }),
	quirksJSON(slices.Concat(quirkWire.pairs, flowQuirkWire2.pairs), func(f *format.Flow) *format.Quirks { return &f.Quirks }),
	{key: "extras", present: func(f *format.Flow) bool { return f.Extras.Len() > 0 },
		put: func(b []byte, f *format.Flow) ([]byte, error) {
			w := jsonWriter{b: b}
			w.extras(f.Extras)
			return w.b, w.err
		},
		get: func(d *JSONDecoder, f *format.Flow, key string) error { return d.extras(key, f) }},
	// Added within version 1: the namespace of a capture of several.
	{key: "netns", present: func(f *format.Flow) bool { return f.Netns != "" },
		put: func(b []byte, f *format.Flow) ([]byte, error) { return AppendJSONString(b, f.Netns) },
		get: func(d *JSONDecoder, f *format.Flow, key string) (err error) {
			if f.Netns, err = d.string(key); err == nil && f.Netns == "" {
				err = d.r.fail(format.ErrSyntax, key, `an empty name ("" is no namespace: leave the member out)`)
			}
			return err
		}},
})

// expectJSON is the object of an expectation.
var expectJSON = newJSONObject(headJSON(format.ExpectEventTime, format.ExpectTimeout, func(x *format.Expect) head {
	return head{&x.Family, &x.Proto, &x.Event, &x.EventTime, &x.Timeout}
}), []jsonField[format.Expect]{
	expectTupleJSON("tuple", 0, 0, func(x *format.Expect) (*format.Tuple, format.Layer4) { return &x.Tuple, x.Proto.Layer4() }),
	expectTupleJSON("mask", format.ExpectMask, 1, func(x *format.Expect) (*format.Tuple, format.Layer4) { return &x.Mask, x.Proto.Layer4() }),
	expectTupleJSON("master", format.ExpectMaster, 2, func(x *format.Expect) (*format.Tuple, format.Layer4) { return &x.Master, x.MasterL4 }),
	{key: "master-l4", present: func(x *format.Expect) bool { return x.Has(format.ExpectMaster) },
		put: func(b []byte, x *format.Expect) ([]byte, error) {
			w := jsonWriter{b: b}
			w.string(layer4JSON[x.MasterL4])
			return w.b, w.err
		},
		get: func(d *JSONDecoder, _ *format.Expect, key string) error {
			v, err := d.r.str(key)
			if err != nil {
				return err
			}
			for i, name := range layer4JSON {
				if name == string(v) {
					d.masterL4 = format.Layer4(i)
					return nil
				}
			}
			return d.r.fail(format.ErrUnknownName, key, "unknown kind "+quote(v)+" (want none, ports, keys or icmp)")
		}},
	uintJSON("zone", format.ExpectZone, func(x *format.Expect) *uint16 { return &x.Zone }),
	// The flags, even none, where ExpectFlagsSet says so; bits without a
	// name are left out.
	ownJSON(func(x *format.Expect) bool { return x.Has(format.ExpectFlagsSet) || x.Flags != 0 },
		bitsJSON("flags", format.ExpectFlagsSet, expectFlagJSON[:], 1<<len(expectFlagJSON)-1, "flag", func(x *format.Expect) *format.ExpectFlags { return &x.Flags })),
	uintJSON("class", format.ExpectClass, func(x *format.Expect) *uint32 { return &x.Class }),
	stringJSON("help-name", format.ExpectHelper, func(x *format.Expect) *string { return &x.Helper }),
	stringJSON("policy", format.ExpectPolicy, func(x *format.Expect) *string { return &x.Policy }),
	trueJSON[format.Expect]("userspace", format.ExpectUserspace),
	uintJSON("portid", format.ExpectPortID, func(x *format.Expect) *uint32 { return &x.PortID }),
	stringJSON("progname", format.ExpectProgname, func(x *format.Expect) *string { return &x.Progname }),
	uintJSON("use", format.ExpectUse, func(x *format.Expect) *uint32 { return &x.Use }),
	intJSON("expires", format.ExpectExpires, func(x *format.Expect) *int64 { return &x.Expires }),
	intJSON("active-since", format.ExpectActiveSince, func(x *format.Expect) *int64 { return &x.ActiveSince }),
	quirksJSON(slices.Concat(quirkWire.pairs, expectQuirkWire.pairs), func(x *format.Expect) *format.Quirks { return &x.Quirks }),
})

// A jsonObject is the table of the members of R's object.
type jsonObject[R any] struct {
	fields []jsonField[R]
	// Which members an object has, as bits of their indices: always,
	// those every object has; byField, those of each bit of R's set of
	// fields; own, the indices of those whose present says.
	always  uint64
	byField byteTables
	own     []int
	// required holds the members every object must have; together the
	// pairs of members that stand for one field and so come together.
	required uint64
	together [][2]int
}

// newJSONObject returns the object of the members of head, then rest.
func newJSONObject[R any](head, rest []jsonField[R]) *jsonObject[R] {
	fields := append(head, rest...)
	o := &jsonObject[R]{fields: fields}
	for i, f := range fields {
		fields[i].member = `,"` + f.key + `":`
		switch {
		case f.present != nil:
			o.own = append(o.own, i)
		case f.has != 0:
			o.byField.add(f.has, 1<<i)
		default:
			o.always |= 1 << i
		}
		if f.required {
			o.required |= 1 << i
		}
		for j := i + 1; j < len(fields); j++ {
			if f.has != 0 && f.has == fields[j].has {
				o.together = append(o.together, [2]int{i, j})
			}
		}
	}
	return o
}

// members returns the members of the object of r, whose set of fields
// is has, as bits of their indices.
func (o *jsonObject[R]) members(has uint64, r *R) uint64 {
	m := o.always | o.byField.translate(has)
	for _, i := range o.own {
		if o.fields[i].present(r) {
			m |= 1 << i
		}
	}
	return m
}

// A jsonField is a member of the object of R (format.Flow or
// format.Expect): its key, what says it is present, and how its value is
// written and read.
type jsonField[R any] struct {
	key    string
	member string // what precedes the value: a comma, the key and a colon
	// has is the bit of R's set of fields that says the member is there,
	// and that reading it sets; present, where not nil, says it instead.
	// A member with neither is in every object.
	has     uint64
	present func(*R) bool
	// required: a reader refuses an object without it.
	required bool
	// put appends the value; get reads it, naming key in its errors.
	put func(b []byte, r *R) ([]byte, error)
	get func(d *JSONDecoder, r *R, key string) error
}

// fieldSet is format.Fields or format.ExpectFields.
type fieldSet interface {
	format.Fields | format.ExpectFields
}

// uintJSON is a member whose value is an unsigned integer as wide as N.
func uintJSON[R any, N ~uint8 | ~uint16 | ~uint32 | ~uint64, S fieldSet](key string, has S, at func(*R) *N) jsonField[R] {
	return valueJSON(key, has, at, func(b []byte, n N) ([]byte, error) { return strconv.AppendUint(b, uint64(n), 10), nil },
		func(d *JSONDecoder, key string) (N, error) {
			n, err := d.r.uint(key, uint64(^N(0)))
			return N(n), err
		})
}

// intJSON is a member whose value is a signed integer.
func intJSON[R any, S fieldSet](key string, has S, at func(*R) *int64) jsonField[R] {
	return valueJSON(key, has, at, func(b []byte, n int64) ([]byte, error) { return strconv.AppendInt(b, n, 10), nil },
		func(d *JSONDecoder, key string) (int64, error) { return d.r.int(key) })
}

// stringJSON is a member whose value is a string.
func stringJSON[R any, S fieldSet](key string, has S, at func(*R) *string) jsonField[R] {
	return valueJSON(key, has, at, AppendJSONString, (*JSONDecoder).string)
}

// valueJSON is a member whose value, of type V, put appends and get
// reads.
func valueJSON[R, V any, S fieldSet](key string, has S, at func(*R) *V, put func([]byte, V) ([]byte, error), get func(*JSONDecoder, string) (V, error)) jsonField[R] {
	return jsonField[R]{key: key, has: uint64(has),
		put: func(b []byte, r *R) ([]byte, error) { return put(b, *at(r)) },
		get: func(d *JSONDecoder, r *R, key string) (err error) {
			*at(r), err = get(d, key)
			return err
		},
	}
}

// bitsJSON is a member whose value is a set of bits as an array of
// names, each of names by the bit's number: of the bits of known, and an
// EncodeError for a bit of known without a name; what names a bit in
// errors.
func bitsJSON[R any, N ~uint8 | ~uint32, S fieldSet](key string, has S, names []string, known uint64, what string, at func(*R) *N) jsonField[R] {
	return jsonField[R]{key: key, has: uint64(has),
		put: func(b []byte, r *R) ([]byte, error) {
			w := jsonWriter{b: b}
			if err := w.names(names, uint64(*at(r))&known, what); err != nil {
				return b, err
			}
			return w.b, w.err
		},
		get: func(d *JSONDecoder, r *R, key string) error {
			return d.names(key, names, what, func(i int) { *at(r) |= 1 << i })
		},
	}
}

// ownJSON is f, there where present says.
func ownJSON[R any](present func(*R) bool, f jsonField[R]) jsonField[R] {
	f.present = present
	return f
}

// trueJSON is a member that is its presence alone, with the value true.
func trueJSON[R any, S fieldSet](key string, has S) jsonField[R] {
	return jsonField[R]{key: key, has: uint64(has),
		put: func(b []byte, _ *R) ([]byte, error) {
			w := jsonWriter{b: b}
			w.b = append(w.b, "true"...)
			return w.b, w.err
		},
		get: func(d *JSONDecoder, _ *R, key string) error {
			if !d.r.lit("true") {
				return d.r.fail(format.ErrSyntax, key, "want true")
			}
			return nil
		},
	}
}

// countersJSON is a member whose value is a direction's counters.
func countersJSON[R any, S fieldSet](key string, has S, at func(*R) *format.Counters) jsonField[R] {
	return jsonField[R]{key: key, has: uint64(has),
		put: func(b []byte, r *R) ([]byte, error) {
			w := jsonWriter{b: b}
			w.counters(*at(r))
			return w.b, w.err
		},
		get: func(d *JSONDecoder, r *R, key string) error { return d.counters(key, at(r)) },
	}
}

// head is the fields of a flow or an expectation that their objects
// start with.
type head struct {
	family    *format.Family
	proto     *format.Proto
	event     *format.Event
	eventTime *int64
	timeout   *int64
}

// headJSON returns the members that the objects of flows and expectations
// start with, of the fields at gives; eventTime and timeout are the bits
// that say those are present.
func headJSON[R any, S fieldSet](eventTime, timeout S, at func(*R) head) []jsonField[R] {
	return []jsonField[R]{
		familyJSON(func(r *R) *format.Family { return at(r).family }),
		protoJSON(func(r *R) *format.Proto { return at(r).proto }),
		protoNumJSON(func(r *R) *format.Proto { return at(r).proto }),
		eventJSON(func(r *R) *format.Event { return at(r).event }),
		intJSON("event-time", eventTime, func(r *R) *int64 { return at(r).eventTime }),
		intJSON("timeout", timeout, func(r *R) *int64 { return at(r).timeout }),
	}
}

func familyJSON[R any](at func(*R) *format.Family) jsonField[R] {
	return jsonField[R]{key: "family", required: true,
		put: func(b []byte, r *R) ([]byte, error) {
			w := jsonWriter{b: b}
			w.string(at(r).String())
			return w.b, w.err
		},
		get: func(d *JSONDecoder, r *R, key string) error {
			v, err := d.r.str(key)
			switch {
			case err != nil:
				return err
			case string(v) == "ipv4":
				*at(r) = format.IPv4
			case string(v) == "ipv6":
				*at(r) = format.IPv6
			default:
				return d.r.fail(format.ErrUnknownName, key, "unknown family "+quote(v)+" (want ipv4 or ipv6)")
			}
			return nil
		},
	}
}

// protoJSON is the protocol's name, which a reader checks against
// proto-num once it has read the object.
func protoJSON[R any](at func(*R) *format.Proto) jsonField[R] {
	return jsonField[R]{key: "proto",
		put: func(b []byte, r *R) ([]byte, error) {
			w := jsonWriter{b: b}
			w.string(protoName(*at(r)))
			return w.b, w.err
		},
		get: func(d *JSONDecoder, _ *R, key string) error {
			v, err := d.r.str(key)
			d.proto = append(d.proto[:0], v...)
			d.protoName = d.proto
			return err
		},
	}
}

// protoName returns the name the kernel and conntrack print for p:
// "unknown" for a protocol without one, as JSON Lines have always named it.
func protoName(p format.Proto) string {
	if p.Named() {
		return p.String()
	}
	return "unknown"
}

func protoNumJSON[R any](at func(*R) *format.Proto) jsonField[R] {
	f := uintJSON("proto-num", format.Fields(0), at)
	f.required = true
	return f
}

func eventJSON[R any](at func(*R) *format.Event) jsonField[R] {
	return jsonField[R]{key: "event", present: func(r *R) bool { return *at(r) != format.EventNone },
		put: func(b []byte, r *R) ([]byte, error) {
			w := jsonWriter{b: b}
			w.string(at(r).String())
			return w.b, w.err
		},
		get: func(d *JSONDecoder, r *R, key string) error {
			v, err := d.r.str(key)
			if err != nil {
				return err
			}
			for e := format.EventNew; e <= format.EventDestroy; e++ {
				if e.String() == string(v) {
					*at(r) = e
					return nil
				}
			}
			return d.r.fail(format.ErrUnknownName, key, "unknown event "+quote(v)+" (want new, update or destroy)")
		},
	}
}

// quirksJSON is the record's quirks of pairs, by name, in the order of
// pairs: version 1's, whatever the order of format's constants, so that
// the JSON of a record stays as it was.
func quirksJSON[R any](pairs []wirePair, at func(*R) *format.Quirks) jsonField[R] {
	var names []string
	var mask format.Quirks
	for _, p := range pairs {
		names = append(names, format.Quirks(p.model).String())
		mask |= format.Quirks(p.model)
	}
	return jsonField[R]{key: "quirks", present: func(r *R) bool { return *at(r)&mask != 0 },
		put: func(b []byte, r *R) ([]byte, error) {
			w := jsonWriter{b: b}
			var set uint64 // the quirks' indices in pairs
			for i, p := range pairs {
				if *at(r)&format.Quirks(p.model) != 0 {
					set |= 1 << i
				}
			}
			w.names(names, set, "quirk")
			return w.b, w.err
		},
		get: func(d *JSONDecoder, r *R, key string) error {
			return d.names(key, names, "quirk", func(i int) { *at(r) |= format.Quirks(pairs[i].model) })
		},
	}
}

// expectTupleJSON is a tuple of an expectation, the i-th, with the
// layer-4 part that at gives.
func expectTupleJSON(key string, has format.ExpectFields, i int, at func(*format.Expect) (*format.Tuple, format.Layer4)) jsonField[format.Expect] {
	return jsonField[format.Expect]{key: key, has: uint64(has), required: has == 0,
		put: func(b []byte, x *format.Expect) ([]byte, error) {
			w := jsonWriter{b: b}
			t, l4 := at(x)
			w.tuple(t, l4, x.Proto == format.ICMPv6, false, 0)
			return w.b, w.err
		},
		get: func(d *JSONDecoder, x *format.Expect, key string) (err error) {
			t, _ := at(x)
			var zone uint16 // expectations have none
			var fields format.Fields
			d.l4[i], err = d.tuple(key, t, &zone, &fields, 0)
			return err
		},
	}
}

// tupleJSON is the object of a tuple: each member, with the part of the
// tuple it belongs to.
var tupleJSON = quoteTuple([]tupleMember{
	{key: "src", part: partAddr, addr: func(t *format.Tuple) *netip.Addr { return &t.Src }},
	{key: "dst", part: partAddr, addr: func(t *format.Tuple) *netip.Addr { return &t.Dst }},
	tupleUint("proto-src-port", partPorts, true, func(t *format.Tuple) *uint16 { return &t.SrcPort }),
	tupleUint("proto-dst-port", partPorts, false, func(t *format.Tuple) *uint16 { return &t.DstPort }),
	tupleUint("proto-icmp-type", partICMP, true, func(t *format.Tuple) *uint8 { return &t.Type }),
	tupleUint("proto-icmp-code", partICMP, false, func(t *format.Tuple) *uint8 { return &t.Code }),
	tupleUint("proto-icmp-id", partICMP, false, func(t *format.Tuple) *uint16 { return &t.ID }),
	tupleUint("proto-icmpv6-type", partICMPv6, true, func(t *format.Tuple) *uint8 { return &t.Type }),
	tupleUint("proto-icmpv6-code", partICMPv6, false, func(t *format.Tuple) *uint8 { return &t.Code }),
	tupleUint("proto-icmpv6-id", partICMPv6, false, func(t *format.Tuple) *uint16 { return &t.ID }),
	{key: "zone", part: partZone, max: math.MaxUint16},
})

// tupleParts holds the members of each part of a tuple, in their order.
var tupleParts = func() (parts [partZone + 1][]*tupleMember) {
	for i := range tupleJSON {
		m := &tupleJSON[i]
		parts[m.part] = append(parts[m.part], m)
	}
	return parts
}()

// quoteTuple sets what precedes each member's value.
func quoteTuple(ms []tupleMember) []tupleMember {
	for i := range ms {
		ms[i].member = `,"` + ms[i].key + `":`
	}
	return ms
}

// A tupleMember is a member of a tuple's object.
type tupleMember struct {
	key    string
	member string // what precedes the value: a comma, the key and a colon
	part   tuplePart
	// first: the member that says which layer-4 part the tuple has; the
	// others of its part must come with it.
	first bool
	// addr is an address member's; the others are unsigned integers of at
	// most max, which get and set.
	addr func(*format.Tuple) *netip.Addr
	max  uint64
	get  func(*format.Tuple) uint64
	set  func(*format.Tuple, uint64)
}

// A tuplePart is a part of a tuple that members of its object hold: the
// addresses, one of the kinds of layer-4 part, or the zone of a flow's
// direction.
type tuplePart uint8

const (
	partAddr tuplePart = iota
	partPorts
	partICMP
	partICMPv6
	partZone
)

// layer4 returns the kind of layer-4 part a part is.
func (p tuplePart) layer4() format.Layer4 {
	switch p {
	case partPorts:
		return format.L4Ports
	case partICMP, partICMPv6:
		return format.L4ICMP
	}
	return format.L4None
}

func tupleUint[N ~uint8 | ~uint16](key string, part tuplePart, first bool, at func(*format.Tuple) *N) tupleMember {
	return tupleMember{key: key, part: part, first: first, max: uint64(^N(0)),
		get: func(t *format.Tuple) uint64 { return uint64(*at(t)) },
		set: func(t *format.Tuple, v uint64) { *at(t) = N(v) },
	}
}

// state returns the state of p named name.
func state(p format.Proto, name []byte) (format.State, bool) {
	for s := range format.State(16) {
		if n := p.StateName(s); n != "" && n == string(name) {
			return s, true
		}
	}
	return 0, false
}

// flowL4 returns the kind of layer-4 part f's tuples have.
func flowL4(f *format.Flow) format.Layer4 {
	if f.Has(format.FieldL4) {
		return f.Proto.Layer4()
	}
	return format.L4None
}

// statusJSON names each status bit, as the kernel's netlink
// specification does; a bit without a name, which Status prints as
// "bitN", has none here.
var statusJSON = func() (names [32]string) {
	for i := range names {
		if s := format.Status(1 << i); !strings.HasPrefix(s.String(), "bit") {
			names[i] = s.String()
		}
	}
	return names
}()

var layer4JSON = [...]string{format.L4None: "none", format.L4Ports: "ports", format.L4Keys: "keys", format.L4ICMP: "icmp"}

var expectFlagJSON = [...]string{"permanent", "inactive", "userspace"}
