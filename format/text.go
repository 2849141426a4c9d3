package format

import (
	"strconv"
	"strings"
)

// The model's enumerations print themselves and read themselves back
// (encoding.TextMarshaler, encoding.TextAppender, encoding.TextUnmarshaler),
// so that they work as JSON values and map keys, flags and fmt verbs alike.
// Reading is case-insensitive, as conntrack's options are, and takes '-' for
// '_': "ASSURED", "seen_reply" and "Seen-Reply" all name a status bit. A
// value without a name prints as its number, which reads back.

// nameError says that a name names nothing of its kind. It wraps
// ErrUnknownName.
type nameError struct {
	kind, name string
	want       []string // the names there are, if few enough to list
}

func (e *nameError) Error() string {
	s := "format: unknown " + e.kind + " " + strconv.Quote(e.name)
	if len(e.want) > 0 {
		s += " (want one of " + strings.Join(e.want, ", ") + ")"
	}
	return s
}

func (e *nameError) Unwrap() error { return ErrUnknownName }

// sameName reports whether b spells name, in any case and with '-' for '_'.
func sameName(b []byte, name string) bool {
	if len(b) != len(name) {
		return false
	}
	for i := range len(b) {
		c, n := lower(b[i]), lower(name[i])
		if c == '_' {
			c = '-'
		}
		if n == '_' {
			n = '-'
		}
		if c != n {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// lookup returns the index of b in names, or -1.
func lookup(b []byte, names []string) int {
	for i, n := range names {
		if n != "" && sameName(b, n) {
			return i
		}
	}
	return -1
}

// number parses b as a decimal number of at most max.
func number(b []byte, max uint64) (uint64, bool) {
	v, err := strconv.ParseUint(string(b), 10, 64)
	return v, err == nil && v <= max
}

// enum returns the name of v, or its number when it has none.
func enum(v uint64, names []string) string {
	if v < uint64(len(names)) && names[v] != "" {
		return names[v]
	}
	return strconv.FormatUint(v, 10)
}

// parseEnum reads a name of names or a number of at most max.
func parseEnum(b []byte, names []string, max uint64, kind string) (uint64, error) {
	if i := lookup(b, names); i >= 0 {
		return uint64(i), nil
	}
	if v, ok := number(b, max); ok {
		return v, nil
	}
	return 0, &nameError{kind: kind, name: string(b)}
}

// appendSet appends the names of the bits set in v, joined with "|", or
// "none". A bit without a name prints as "bitN".
func appendSet(dst []byte, v uint64, names []string) []byte {
	if v == 0 {
		return append(dst, "none"...)
	}
	start := len(dst)
	for i := 0; v>>i != 0; i++ {
		if v&(1<<i) == 0 {
			continue
		}
		if len(dst) > start {
			dst = append(dst, '|')
		}
		if i < len(names) {
			dst = append(dst, names[i]...)
		} else {
			dst = append(dst, "bit"...)
			dst = strconv.AppendInt(dst, int64(i), 10)
		}
	}
	return dst
}

// parseSet reads names of bits, or "bitN", joined with "|" or ","; "" and
// "none" are the empty set.
func parseSet(b []byte, names []string, bits int, kind string) (uint64, error) {
	if len(b) == 0 || sameName(b, "none") {
		return 0, nil
	}
	var v uint64
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != '|' && b[i] != ',' {
			i++
		}
		name := b[:i]
		if i < len(b) {
			i++
		}
		b = b[i:]
		bit := lookup(name, names)
		if bit < 0 && len(name) > 3 && sameName(name[:3], "bit") {
			if n, ok := number(name[3:], uint64(bits-1)); ok {
				bit = int(n)
			}
		}
		if bit < 0 {
			return 0, &nameError{kind: kind, name: string(name), want: names}
		}
		v |= 1 << bit
	}
	return v, nil
}

var (
	familyNames = [...]string{IPv4: "ipv4", IPv6: "ipv6"}
	protoNames  = [...]string{ICMP: "icmp", TCP: "tcp", UDP: "udp", DCCP: "dccp", GRE: "gre",
		ICMPv6: "icmpv6", SCTP: "sctp", UDPLite: "udplite"}
	eventNames = [...]string{EventNew: "new", EventUpdate: "update", EventDestroy: "destroy"}
)

// String returns the name the kernel prints for f, "ipv4" or "ipv6", or
// its number.
func (f Family) String() string { return enum(uint64(f), familyNames[:]) }

// AppendText appends the name of f, as String returns it.
func (f Family) AppendText(b []byte) ([]byte, error) { return append(b, f.String()...), nil }

// MarshalText returns the name of f, as String returns it.
func (f Family) MarshalText() ([]byte, error) { return f.AppendText(nil) }

// UnmarshalText reads a family's name or number.
func (f *Family) UnmarshalText(b []byte) error {
	v, err := parseEnum(b, familyNames[:], 255, "family")
	*f = Family(v)
	return err
}

// String returns the name the kernel and conntrack print for p, such as
// "tcp", or its number for a protocol they do not name (they print
// "unknown").
func (p Proto) String() string { return enum(uint64(p), protoNames[:]) }

// AppendText appends the name of p, as String returns it.
func (p Proto) AppendText(b []byte) ([]byte, error) { return append(b, p.String()...), nil }

// MarshalText returns the name of p, as String returns it.
func (p Proto) MarshalText() ([]byte, error) { return p.AppendText(nil) }

// UnmarshalText reads a protocol's name or number.
func (p *Proto) UnmarshalText(b []byte) error {
	v, err := parseEnum(b, protoNames[:], 255, "protocol")
	*p = Proto(v)
	return err
}

// Named reports whether p has a name of its own, which the kernel and
// conntrack print; they print others as "unknown".
func (p Proto) Named() bool { return int(p) < len(protoNames) && protoNames[p] != "" }

// name returns the name the kernel prints for p: "unknown" if it has none.
func (p Proto) name() string {
	if p.Named() {
		return protoNames[p]
	}
	return "unknown"
}

// StateName returns the name the kernel prints for state s of p, such as
// "ESTABLISHED", or "" when p has no state machine or s is out of its range.
func (p Proto) StateName(s State) string {
	names := stateNames(p)
	if int(s) >= len(names) {
		return ""
	}
	return names[s]
}

// ParseState returns the state of p named name, in any case. The TCP state
// SYN_SENT2 is also known by its old name LISTEN.
func (p Proto) ParseState(name string) (State, error) {
	if i := lookup([]byte(name), stateNames(p)); i >= 0 {
		return State(i), nil
	}
	if p == TCP && sameName([]byte(name), "LISTEN") {
		return TCPSynSent2, nil
	}
	return 0, &nameError{kind: p.name() + " state", name: name, want: stateNames(p)}
}

// String returns the event type as conntrack's XML spells it: "new",
// "update", "destroy", "" for EventNone, or its number.
func (e Event) String() string {
	if e == EventNone {
		return ""
	}
	return enum(uint64(e), eventNames[:])
}

// AppendText appends the name of e, as String returns it.
func (e Event) AppendText(b []byte) ([]byte, error) { return append(b, e.String()...), nil }

// MarshalText returns the name of e, as String returns it.
func (e Event) MarshalText() ([]byte, error) { return e.AppendText(nil) }

// UnmarshalText reads an event type's name; "" is EventNone.
func (e *Event) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*e = EventNone
		return nil
	}
	v, err := parseEnum(b, eventNames[:], 255, "event type")
	*e = Event(v)
	return err
}

// String returns the names of the set bits as the kernel's netlink
// specification spells them, joined with "|", as in
// "seen-reply|assured|confirmed"; "none" for no bits; a bit without a name
// as "bitN".
func (s Status) String() string { return string(appendSet(nil, uint64(s), statusNames[:])) }

// AppendText appends the bits of s, as String returns them.
func (s Status) AppendText(b []byte) ([]byte, error) {
	return appendSet(b, uint64(s), statusNames[:]), nil
}

// MarshalText returns the bits of s, as String returns them.
func (s Status) MarshalText() ([]byte, error) { return s.AppendText(nil) }

// UnmarshalText reads status bits as String prints them, or as conntrack's
// --status takes them: "ASSURED,SEEN_REPLY".
func (s *Status) UnmarshalText(b []byte) error {
	v, err := parseSet(b, statusNames[:], 32, "status bit")
	*s = Status(v)
	return err
}

// String returns the names of the quirks, joined with "|", or "none".
func (q Quirks) String() string { return string(appendSet(nil, uint64(q), quirkNames[:])) }

// AppendText appends the quirks, as String returns them.
func (q Quirks) AppendText(b []byte) ([]byte, error) {
	return appendSet(b, uint64(q), quirkNames[:]), nil
}

// MarshalText returns the quirks, as String returns them.
func (q Quirks) MarshalText() ([]byte, error) { return q.AppendText(nil) }

// UnmarshalText reads quirks as String prints them.
func (q *Quirks) UnmarshalText(b []byte) error {
	v, err := parseSet(b, quirkNames[:], 16, "quirk")
	*q = Quirks(v)
	return err
}

// String returns the flags' names, as conntrack prints them, joined with
// "|", or "none".
func (fl ExpectFlags) String() string {
	return string(appendSet(nil, uint64(fl), expectFlagNames[:]))
}

// AppendText appends the flags, as String returns them.
func (fl ExpectFlags) AppendText(b []byte) ([]byte, error) {
	return appendSet(b, uint64(fl), expectFlagNames[:]), nil
}

// MarshalText returns the flags, as String returns them.
func (fl ExpectFlags) MarshalText() ([]byte, error) { return fl.AppendText(nil) }

// UnmarshalText reads flags as String prints them, or as conntrack does:
// "PERMANENT,INACTIVE".
func (fl *ExpectFlags) UnmarshalText(b []byte) error {
	v, err := parseSet(b, expectFlagNames[:], 8, "expectation flag")
	*fl = ExpectFlags(v)
	return err
}

// String returns the slot's name, such as "reply-counters".
func (s Slot) String() string { return enum(uint64(s), slotNames[:]) }

// AppendText appends the slot's name, as String returns it.
func (s Slot) AppendText(b []byte) ([]byte, error) { return append(b, s.String()...), nil }

// MarshalText returns the slot's name, as String returns it.
func (s Slot) MarshalText() ([]byte, error) { return s.AppendText(nil) }

// UnmarshalText reads a slot's name.
func (s *Slot) UnmarshalText(b []byte) error {
	v, err := parseEnum(b, slotNames[:], uint64(slotCount-1), "slot")
	*s = Slot(v)
	return err
}

// String returns the format's name as the command line spells it, such as
// "conntrack-expect".
func (f Format) String() string { return enum(uint64(f), formatNames[:]) }

// AppendText appends the format's name, as String returns it.
func (f Format) AppendText(b []byte) ([]byte, error) { return append(b, f.String()...), nil }

// MarshalText returns the format's name, as String returns it.
func (f Format) MarshalText() ([]byte, error) { return f.AppendText(nil) }

// UnmarshalText reads a format's name, as String returns it.
func (f *Format) UnmarshalText(b []byte) error {
	i := lookup(b, formatNames[:])
	if i < 0 {
		return &nameError{kind: "format", name: string(b), want: formatNames[:]}
	}
	*f = Format(i)
	return nil
}

// String returns the options as conntrack's -o takes them: "extended,id".
func (o Options) String() string {
	b, _ := o.AppendText(nil)
	return string(b)
}

// AppendText appends the options, as String returns them.
func (o Options) AppendText(b []byte) ([]byte, error) {
	start := len(b)
	for i, n := range optionNames {
		if o&(1<<i) != 0 {
			if len(b) > start {
				b = append(b, ',')
			}
			b = append(b, n...)
		}
	}
	return b, nil
}

// MarshalText returns the options, as String returns them.
func (o Options) MarshalText() ([]byte, error) { return o.AppendText(nil) }

// UnmarshalText reads conntrack's -o option list, such as "extended,id".
// "userspace", a no-op since conntrack 1.4.7, is accepted; "xml" and "save"
// are formats of their own.
func (o *Options) UnmarshalText(b []byte) error {
	var v Options
	for name := range strings.SplitSeq(string(b), ",") {
		if name == "" || sameName([]byte(name), "userspace") {
			continue
		}
		i := lookup([]byte(name), optionNames[:])
		if i < 0 {
			return &nameError{kind: "conntrack option", name: name, want: optionNames[:]}
		}
		v |= 1 << i
	}
	*o = v
	return nil
}

// name returns the name the kernel prints for f: "unknown" if it has none.
func (f Family) name() string {
	if int(f) < len(familyNames) && familyNames[f] != "" {
		return familyNames[f]
	}
	return "unknown"
}

// AppendText appends the counter's name, as MarshalText returns it.
func (s Stat) AppendText(b []byte) ([]byte, error) {
	if s == 0 || s >= numStats {
		return b, &printError{Msg: "no counter " + s.String()}
	}
	return append(b, statNames[s]...), nil
}
