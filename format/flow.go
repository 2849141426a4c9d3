package format

import (
	"net/netip"
	"strings"
)

// Flow is one entry of the kernel's connection-tracking table, or one event
// about it: the canonical model that every format of ctconv reads and
// writes.
//
// Fields that a format may leave out are valid only when their bit is set in
// Fields; a parser leaves them zero otherwise. The string fields and Extras
// are immutable values, so a Flow can be copied and kept; a parser that
// fills the same Flow again reuses its strings where they are unchanged.
type Flow struct {
	// Fields records which optional fields are present.
	Fields Fields
	// Quirks records how the source printed what the kernel state does not
	// determine, so that the same text can be printed again.
	Quirks Quirks

	Family Family
	Proto  Proto
	// State is the protocol state (FieldState): a TCP, SCTP or DCCP state.
	State State
	// Timeout is the remaining lifetime in seconds (FieldTimeout). Old kernels
	// could print negative values.
	Timeout int64

	// Orig and Reply are the tuples of the two directions. Their layer-4 part
	// is present when FieldL4 is set. Reply is the zero Tuple, without
	// addresses, where the source printed the original tuple only, as
	// conntrackd -e does for the peer's flows.
	Orig, Reply Tuple
	// OrigCounters and ReplyCounters count each direction's traffic
	// (FieldOrigCounters, FieldReplyCounters).
	OrigCounters, ReplyCounters Counters
	// OrigZone and ReplyZone are a zone that applies to one direction only
	// (FieldOrigZone, FieldReplyZone); Zone one that applies to both
	// (FieldZone).
	OrigZone, ReplyZone, Zone uint16

	// Status holds the status bits (FieldStatus).
	Status Status
	// Mark is the connection mark (FieldMark).
	Mark uint32
	// Secmark is the numeric security mark, printed by kernels before
	// 2.6.37 (FieldSecmark).
	Secmark uint32
	// Secctx is the security context (FieldSecctx).
	Secctx string
	// Use is the entry's reference count as the reader saw it (FieldUse).
	Use uint32
	// ID is the conntrack id (FieldID).
	ID uint32
	// DeltaTime is the flow's age in seconds when it was read (FieldDeltaTime).
	DeltaTime uint64
	// Start and Stop are the kernel's timestamps of the flow's creation and
	// end, in nanoseconds since the Unix epoch (FieldStart, FieldStop).
	Start, Stop uint64
	// GRETimeout and GREStreamTimeout are the GRE tracker's timeouts in
	// seconds, which /proc prints for GRE flows (FieldGRETimeouts).
	GRETimeout, GREStreamTimeout uint32
	// Helper is the name of the connection-tracking helper (FieldHelper).
	Helper string
	// Labels are the connection labels' names, comma-separated as conntrack
	// prints them; empty when bits are set that have no name (FieldLabels).
	Labels string
	// OrigVtag and ReplyVtag are SCTP's verification tags, as conntrack's
	// -o save prints them and conntrack -I takes them: byte-swapped on
	// little-endian machines (FieldVtags).
	OrigVtag, ReplyVtag uint32

	// Event is the event type of an event stream's record; EventNone in a
	// table listing.
	Event Event
	// EventTime is the event's time stamp in microseconds since the Unix
	// epoch (FieldEventTime).
	EventTime int64
	// PortID is the netlink port of the process that caused the event
	// (FieldPortID), Progname its name (FieldProgname). conntrack marks such
	// events with [USERSPACE] (FieldUserspace).
	PortID   uint32
	Progname string

	// Expires is the seconds left on the cache timer of conntrackd's ALARM
	// external cache (FieldExpires), ActiveSince the seconds since the flow
	// entered conntrackd's cache (FieldActiveSince): conntrackd -i and -e
	// print them, [expires in Ns] [active since Ns].
	Expires, ActiveSince int64

	// Extras holds the tokens the parser did not know, each with its
	// position, so the line prints back as it was read.
	Extras Extras

	// Netns is the network namespace whose table the flow was read from,
	// in a capture of several (ctconv snapshot --all-netns): its ip netns
	// name, or "pid N" for one found through a process. It is "" for a
	// capture of one table, which no text format names; no text format
	// prints it, JSON and snapshots carry it.
	Netns string
}

// Tuple is the address and layer-4 identity of one direction of a flow.
// Which layer-4 fields are meaningful depends on the flow's protocol.
type Tuple struct {
	Src, Dst netip.Addr
	// SrcPort and DstPort are the ports of TCP, UDP, UDP-Lite, SCTP and DCCP,
	// and the keys (call ids) of GRE.
	SrcPort, DstPort uint16
	// Type, Code and ID are the ICMP or ICMPv6 type, code and identifier.
	Type, Code uint8
	ID         uint16
}

// Counters count the packets and bytes of one direction of a flow.
type Counters struct {
	Packets, Bytes uint64
}

// Fields is a set of a Flow's optional fields.
type Fields uint32

// The optional fields of a Flow.
const (
	FieldTimeout Fields = 1 << iota
	FieldState
	FieldL4 // the tuples' layer-4 part
	FieldOrigZone
	FieldReplyZone
	FieldZone
	FieldOrigCounters
	FieldReplyCounters
	FieldStatus
	FieldMark
	FieldSecmark
	FieldSecctx
	FieldUse
	FieldID
	FieldDeltaTime
	FieldStart
	FieldStop
	FieldGRETimeouts
	FieldHelper
	FieldLabels
	FieldEventTime
	FieldUserspace
	FieldPortID
	FieldProgname
	FieldVtags
	FieldExpires
	FieldActiveSince
)

// Has reports whether every field of fs is present in f.
func (f *Flow) Has(fs Fields) bool { return f.Fields&fs == fs }

// Quirks records choices of a printer that the kernel state does not
// determine. Each is set by the parser that saw it and honoured by the
// printers of the formats that have it; QuirkCRLF, a line's end, by the
// Scanner and the Writer.
type Quirks uint16

const (
	// QuirkUnknownName: the protocol was printed as "unknown" although it
	// has a name (icmpv6 on some 5.x kernels; dccp after Linux 6.17, whose
	// flows also lose their ports).
	QuirkUnknownName Quirks = 1 << iota
	// QuirkListen: TCP state SYN_SENT2 was printed as LISTEN (before 2.6.31).
	QuirkListen
	// QuirkTrailingSpace: the line ended with a space (2.4 kernels).
	QuirkTrailingSpace
	// QuirkUseBeforeMark: use= came before mark= (late 2.4 kernels).
	QuirkUseBeforeMark
	// QuirkSignedMark: a mark of 2^31 or more was printed as a negative
	// number (2.4 kernels on 32-bit machines).
	QuirkSignedMark
	// QuirkSpacedMicros: the event time's microseconds were left-aligned and
	// padded with spaces, as conntrack before 1.4.2 printed them for flows
	// and every version prints them for expectations.
	QuirkSpacedMicros
	// QuirkNullState: conntrack -o save printed the SCTP state as "(null)",
	// as it does for the heartbeat states its table lacks; which one is
	// not told, so the flow has no state.
	QuirkNullState
	// QuirkCRLF: the line ended with CR LF, as lines of captures pasted into
	// Windows documents do, in a capture whose lines may end either way. A
	// Scanner sets it, and a Writer ends the line so; Parser and Printer
	// work on lines without their ends.
	QuirkCRLF
	// QuirkOldLibnfct: conntrack printed the expectation with
	// libnetfilter_conntrack before 1.0.1: without mask and master (0.9.1
	// and before), or with the flags glued to "helper=" (1.0.0); or the
	// flow's protocol as "unknown", with nothing of its layer-4 part or
	// state, as the library did before it had a name for it (UDP-Lite
	// before 0.0.89, ICMPv6 before 0.0.94, GRE and DCCP before 0.0.100).
	QuirkOldLibnfct
	// QuirkNoL3proto: /proc listed the expectation without "l3proto = ",
	// as ip_conntrack's /proc/net/ip_conntrack_expect did (IPv4 only,
	// kernels before 2.6.22).
	QuirkNoL3proto
	// QuirkExpecting: the expectation was an "EXPECTING: " line of a 2.4
	// kernel's /proc/net/ip_conntrack, after its connections: with a timeout
	// (or -) and use= where it has ExpectUse (2.4.32), with neither (2.4.0).
	QuirkExpecting
)

// Event is the type of an event in a conntrack -E stream.
type Event uint8

// The event types.
const (
	EventNone Event = iota
	EventNew
	EventUpdate
	EventDestroy
)

// hasReply reports whether f has a reply tuple, which only conntrackd -e
// leaves out.
func (f *Flow) hasReply() bool { return f.Reply.Src.IsValid() || f.Reply.Dst.IsValid() }

// Reset sets f to the zero Flow.
func (f *Flow) Reset() { *f = Flow{} }

// Mirror returns the reply tuple the kernel makes of f's original tuple when
// no NAT applies: addresses and ports swapped, an ICMP request's type turned
// into its reply's and back (a type the kernel does not track stays as it
// is). It mirrors the layer-4 part of the original tuple whatever
// f.Fields says: the reply has one where the flow has FieldL4.
func (f *Flow) Mirror() Tuple {
	o := &f.Orig
	t := Tuple{Src: o.Dst, Dst: o.Src}
	switch f.Proto.Layer4() {
	case L4ICMP:
		t.Type, t.Code, t.ID = o.Type, o.Code, o.ID
		if r, ok := icmpReply(f.Proto, o.Type); ok {
			t.Type = r
		}
	case L4Ports, L4Keys:
		t.SrcPort, t.DstPort = o.DstPort, o.SrcPort
	}
	return t
}

// MaxLabels is the number of label bits the kernel has (connlabel's 0 to
// 127): no producer prints more label names.
const MaxLabels = 128

// CheckText returns the field of f whose text no producer prints, and why:
// an empty or invalid name, a control byte (which would forge lines or reach
// a terminal), an empty label name, more than MaxLabels labels. It returns
// "" and "" for a flow whose text is sound. The text parsers check this as
// they read; decoders of JSON and msgpack call it on each flow.
func (f *Flow) CheckText() (field, reason string) {
	for _, s := range [...]struct {
		has   Fields
		field string
		v     string
	}{{FieldSecctx, "secctx", f.Secctx}, {FieldHelper, "helper", f.Helper}, {FieldProgname, "progname", f.Progname}} {
		if f.Has(s.has) && !isText(s.v) {
			return s.field, "empty, or holds control bytes or invalid UTF-8: " + quote(s.v)
		}
	}
	if f.Netns != "" && !isText(f.Netns) { // "": none
		return "netns", "holds control bytes or invalid UTF-8: " + quote(f.Netns)
	}
	if f.Has(FieldLabels) {
		if r := labelsProblem(f.Labels); r != "" {
			return "labels", r
		}
	}
	for _, tok := range f.Extras.All() {
		if !isText(tok) {
			return "extras", "an unknown field that is empty, or holds control bytes or invalid UTF-8: " + quote(tok)
		}
	}
	return "", ""
}

// labelsProblem says what makes labels, names joined by commas, ones that
// conntrack does not print, or "".
func labelsProblem(labels string) string {
	if labels == "" {
		return "" // label bits without names
	}
	n := 0
	for name := range strings.SplitSeq(labels, ",") {
		if n++; n > MaxLabels {
			return "more than " + itoa(MaxLabels) + " labels (the kernel has " + itoa(MaxLabels) + " label bits)"
		}
		if !isText(name) {
			return "a label name that is empty, or holds control bytes or invalid UTF-8: " + quote(name)
		}
	}
	return ""
}
