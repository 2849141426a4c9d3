package format

import (
	"bytes"
	"net/netip"
)

// Expect is an expectation: a connection that a helper, such as FTP's,
// expects to come, and lets through as related to its master. It is the
// second record type of the model; the kernel lists expectations in
// /proc/net/nf_conntrack_expect, conntrack in -L expect and -E expect.
//
// As in Flow, optional fields are valid only when their bit is set in
// Fields.
type Expect struct {
	Fields ExpectFields
	Quirks Quirks

	Family Family
	// Proto is the expected connection's layer-4 protocol.
	Proto Proto
	// Timeout is the remaining lifetime in seconds (ExpectTimeout).
	Timeout int64
	// Tuple is the expected connection's original tuple. Mask says which
	// bits of it must match (ExpectMask), Master is the original tuple of the
	// connection that made the expectation (ExpectMaster), whose layer-4 part
	// is of kind MasterL4: the formats never name the master's protocol.
	Tuple, Mask, Master Tuple
	MasterL4            Layer4
	Zone                uint16 // ExpectZone
	Flags               ExpectFlags
	Class               uint32 // ExpectClass
	// Helper is the helper's name, Policy the name of its expectation class
	// where it has one, as SIP's do (ExpectHelper, ExpectPolicy).
	Helper, Policy string
	// Use is the reference count that 2.4.32's /proc/net/ip_conntrack
	// prints on its EXPECTING: lines (ExpectUse).
	Use uint32

	Event     Event
	EventTime int64 // ExpectEventTime; microseconds since the epoch
	PortID    uint32
	Progname  string

	// Expires and ActiveSince are conntrackd's times of the cached
	// expectation, as of Flow (ExpectExpires, ExpectActiveSince).
	Expires, ActiveSince int64
}

// ExpectFields is a set of an Expect's optional fields.
type ExpectFields uint16

// The optional fields of an Expect.
const (
	ExpectTimeout ExpectFields = 1 << iota
	ExpectMask
	ExpectMaster
	ExpectZone
	ExpectFlagsSet // the flags, even none, as XML and text print them
	ExpectClass
	ExpectHelper
	ExpectPolicy
	ExpectEventTime
	ExpectUserspace
	ExpectPortID
	ExpectProgname
	ExpectUse
	ExpectExpires
	ExpectActiveSince
)

// Has reports whether every field of fs is present in e.
func (e *Expect) Has(fs ExpectFields) bool { return e.Fields&fs == fs }

// ExpectFlags are an expectation's flags.
type ExpectFlags uint8

// The flags, numbered as the kernel numbers them.
const (
	ExpectPermanent     ExpectFlags = 1 << iota // lives on after a connection matched it
	ExpectInactive                              // not to be matched yet
	ExpectUserspaceFlag                         // made by a process, through ctnetlink
)

var expectFlagNames = [...]string{"PERMANENT", "INACTIVE", "USERSPACE"}

func appendExpectFlags(dst []byte, fl ExpectFlags) []byte {
	n := 0
	for i, name := range expectFlagNames {
		if fl&(1<<i) != 0 {
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, name...)
			n++
		}
	}
	return dst
}

// parseExpectFlags parses a comma-joined list of flag names in bit order.
func parseExpectFlags(b []byte) (ExpectFlags, bool) {
	var fl ExpectFlags
	next := 0
	for len(b) > 0 {
		name, rest, comma := bytes.Cut(b, []byte(","))
		if comma && len(rest) == 0 {
			return 0, false // a name after the comma, or none
		}
		i := next
		for i < len(expectFlagNames) && expectFlagNames[i] != string(name) {
			i++
		}
		if i == len(expectFlagNames) {
			return 0, false
		}
		fl |= 1 << i
		next = i + 1
		b = rest
	}
	return fl, true
}

// CheckText returns the field of e whose text no producer prints, and why:
// a helper's, policy's or program's name that holds a control character
// (C0, DEL or C1, which would forge lines or reach a terminal) or invalid
// UTF-8. It returns "" and "" for an expectation whose text is sound. As
// Flow.CheckText, the text parsers check this as they read, decoders of
// JSON and msgpack call it on each expectation, and printers refuse what
// it refuses. (An empty name is left to each format, as it was before.)
func (e *Expect) CheckText() (field, reason string) {
	for _, s := range [...]struct {
		has   ExpectFields
		field string
		v     string
	}{{ExpectHelper, "helper", e.Helper}, {ExpectPolicy, "policy", e.Policy}, {ExpectProgname, "progname", e.Progname}} {
		if e.Has(s.has) && s.v != "" && !isText(s.v) {
			return s.field, "holds control bytes or invalid UTF-8: " + quote(s.v)
		}
	}
	return "", ""
}

// expectPrintable returns a *printError if e cannot be printed in format
// fm, whatever its layout: text that no producer prints (CheckText), a
// family or an address the format cannot hold, or a part of it the format
// always prints.
func expectPrintable(fm Format, e *Expect) error {
	if field, r := e.CheckText(); r != "" {
		return &printError{Format: fm, Msg: field + ": " + r}
	}
	if e.Family != IPv4 && e.Family != IPv6 {
		return &printError{Format: fm, Msg: "family " + itoa(uint64(e.Family)) + " is neither IPv4 nor IPv6"}
	}
	for _, a := range [...]netip.Addr{e.Tuple.Src, e.Tuple.Dst, e.Mask.Src, e.Mask.Dst, e.Master.Src, e.Master.Dst} {
		if a.IsValid() && !(e.Family == IPv4 && a.Is4() || e.Family == IPv6 && a.Is6() && a.Zone() == "") {
			return &printError{Format: fm, Msg: "address " + a.String() + " does not belong to family " + e.Family.name()}
		}
	}
	if !e.Tuple.Src.IsValid() || !e.Tuple.Dst.IsValid() {
		return &printError{Format: fm, Msg: "the expected tuple has no addresses"}
	}
	if fm != ProcExpect && (!e.Has(ExpectMask) || !e.Has(ExpectMaster)) && !(fm == ConntrackExpect && libnfct09Layout(e)) {
		return &printError{Format: fm, Msg: "conntrack prints the mask and the master, which the expectation lacks (it comes from /proc, or from libnetfilter_conntrack 0.9)"}
	}
	return nil
}
