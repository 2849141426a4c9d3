package format

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// appendKV appends f as a line of dialect d, with its newline, with
// conntrack's options o and local times in loc.
func appendKV(dst []byte, f *Flow, d *dialect, o Options, loc *time.Location) ([]byte, error) {
	if err := d.printable(f); err != nil {
		return dst, err
	}
	if d.lib && !d.cache {
		if o&OptTimestamp != 0 && f.Has(FieldEventTime) {
			dst = appendEventTime(dst, f)
		}
		if f.Event != EventNone {
			dst = append(dst, eventWords[f.Event]...)
		}
	}
	if d.l3 == l3Always || d.l3 == l3Maybe && o&OptExtended != 0 && !d.cache {
		dst = appendNameNum(dst, f.Family.name(), uint64(f.Family))
	}
	name := f.Proto.name()
	if d.unnamed(f) {
		name = "unknown"
	}
	dst = appendNameNum(dst, name, uint64(f.Proto))
	off := d.offloaded(f)
	if f.Has(FieldTimeout) && !off && !d.cache {
		dst = strconv.AppendInt(dst, f.Timeout, 10)
		dst = append(dst, ' ')
	}
	if f.Has(FieldState) && !(off && f.Proto == TCP) {
		if f.Proto == TCP && f.State == TCPSynSent2 && f.Quirks&QuirkListen != 0 {
			dst = append(dst, "LISTEN"...)
		} else if n := f.Proto.StateName(f.State); n != "" || !d.lib {
			dst = append(dst, n...)
		} else {
			dst = append(dst, "NONE"...) // the library's name for states it does not know
		}
		dst = append(dst, ' ')
	}
	if !d.lib && f.Has(FieldGRETimeouts) {
		dst = append(dst, "timeout="...)
		dst = appendUint(dst, uint64(f.GRETimeout))
		dst = append(dst, ", stream_timeout="...)
		dst = appendUint(dst, uint64(f.GREStreamTimeout))
		dst = append(dst, ' ')
	}
	x, extras := 0, f.Extras.s != "" // offset in f.Extras
	if extras {
		dst = f.Extras.appendSlot(dst, SlotHeader, &x)
	}
	loc = location(loc)
	for s := SlotOrig; s < slotCount; s++ {
		switch {
		case !d.has(s):
		case s >= SlotStart && s <= SlotUserspace && s != SlotUse:
			dst = appendLib(dst, f, s, o, loc)
		case s == SlotMark && d.old && f.Quirks&QuirkUseBeforeMark != 0: // printed after use=
		default:
			dst = d.appendElem(dst, f, s)
		}
		if extras {
			dst = f.Extras.appendSlot(dst, s, &x)
		}
	}
	if !(d.old && f.Quirks&QuirkTrailingSpace != 0) {
		dst = dst[:len(dst)-1]
	}
	return append(dst, '\n'), nil
}

// offloaded reports whether d shows f as offloaded, as /proc does since
// Linux 4.16: without a timeout, and without a TCP state.
func (d *dialect) offloaded(f *Flow) bool { return !d.lib && !d.old && f.Status.offloaded() }

// printable reports why f cannot be printed in dialect d, if it cannot.
func (d *dialect) printable(f *Flow) error {
	if field, r := f.CheckText(); r != "" {
		return unprintable(d, field+": "+r)
	}
	if err := d.complete(f); err != nil {
		return err
	}
	return familyCheck(d.format, f)
}

// complete reports why f lacks what d always prints, or holds what d cannot
// show, if it does: what a line of d's that its parser read may still get
// wrong, where its text and addresses were checked as they were read.
func (d *dialect) complete(f *Flow) error {
	// Most flows pass in a few tests: of a family d shows, with a reply,
	// a timeout, their layer-4 part, a state where their protocol has
	// them, a secctx without a space if any, and no helper where d would
	// look into its text.
	if (f.Family == IPv4 || f.Family == IPv6 && d.v6) && f.Has(FieldTimeout) && !(d.lib && f.Has(FieldHelper)) &&
		(f.Has(FieldL4) || f.Proto.Layer4() == L4None) && f.hasReply() &&
		(!f.Has(FieldSecctx) || strings.IndexByte(f.Secctx, ' ') < 0) {
		if f.Has(FieldState) {
			if f.Proto.StateName(f.State) != "" {
				return nil
			}
		} else if !f.Proto.HasStates() {
			return nil
		}
	}
	return d.incomplete(f)
}

// incomplete is complete without its shortcut.
func (d *dialect) incomplete(f *Flow) error {
	switch {
	case f.Family != IPv4 && f.Family != IPv6:
		return unprintable(d, "family "+itoa(uint64(f.Family))+" is neither IPv4 nor IPv6")
	case !f.hasReply() && !d.cache:
		return unprintable(d, noReply)
	case f.Family == IPv6 && !d.v6:
		return unprintable(d, "the format has IPv4 flows only")
	case f.Has(FieldState) && f.Proto.StateName(f.State) == "":
		return unprintable(d, "state "+itoa(uint64(f.State))+" is not a "+f.Proto.name()+" state")
	case d.old && !f.Has(FieldTimeout):
		return unprintable(d, "the flow has no timeout (it is offloaded, or its source did not print one), and this format always prints one")
	case !d.lib && !f.Has(FieldTimeout) && !d.offloaded(f):
		return unprintable(d, "the flow has no timeout (its source did not print one: a destroy event has none, conntrackd never prints one), which the kernel prints unless the flow is offloaded")
	case !d.lib && !f.Has(FieldState) && f.Proto.HasStates() && f.Quirks&QuirkUnknownName == 0 && !(f.Proto == TCP && d.offloaded(f)):
		return unprintable(d, "the flow has no "+f.Proto.name()+" state (its source did not print one: an update event may have none), which the kernel prints")
	case f.Has(FieldSecctx) && strings.IndexByte(f.Secctx, ' ') >= 0, d.lib && f.Has(FieldHelper) && strings.IndexByte(f.Helper, ' ') >= 0:
		return unprintable(d, "a secctx or helper name with a space, which this format cannot show")
	case !d.lib && lacksL4(f):
		return unprintable(d, missingL4(f)+", which the kernel always prints")
	case d.lib && (portsAlways(f.Proto) || unknownPorts(f) && !d.unnamed(f)) && lacksL4(f):
		return unprintable(d, missingL4(f)+", which conntrack always prints for "+f.Proto.name())
	case d.lib && lacksTCPState(f, !d.cache):
		return unprintable(d, noTCPState(d.format))
	}
	return nil
}

// noReply says why a flow without a reply tuple does not print.
const noReply = "the flow has no reply tuple (conntrackd -e prints the original tuple only, and inferring one would print a table the kernel may not have held: NAT changes the reply), which this format always prints"

// familyCheck returns a *printError of format fm if an address of f is not
// of its family. A flow without a reply tuple has none to check.
func familyCheck(fm Format, f *Flow) error {
	addrs := [...]netip.Addr{f.Orig.Src, f.Orig.Dst, f.Reply.Src, f.Reply.Dst}
	n := len(addrs)
	if !f.hasReply() {
		n -= 2
	}
	for _, a := range addrs[:n] {
		if !(f.Family == IPv4 && a.Is4() || f.Family == IPv6 && a.Is6() && a.Zone() == "") {
			return &printError{Format: fm, Msg: "address " + a.String() + " does not belong to family " + f.Family.name()}
		}
	}
	return nil
}

// isText reports whether s prints as a value its parser reads back: not
// empty, valid UTF-8, without control characters (C0, DEL, C1).
func isText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == c1Lead && i+1 < len(s) && isC1Tail(s[i+1]) {
			return false
		}
	}
	return s != "" && utf8.ValidString(s)
}

// c1Lead is the first byte of a C1 control character in UTF-8, U+0080 to
// U+009F, whose second isC1Tail: a terminal takes them as C0's escapes
// (U+009B is CSI, ESC [), and no producer prints them.
const c1Lead = 0xc2

// isC1Tail reports whether c, after c1Lead, makes a C1 control character.
func isC1Tail(c byte) bool { return c >= 0x80 && c < 0xa0 }

var l4Names = [...]string{L4Ports: "ports", L4Keys: "GRE keys", L4ICMP: "ICMP type, code and id"}

// missingL4 says, for a message, that f lacks its layer-4 part and why:
// the kernel tracked it without its protocol's tracker, conntrack's XML
// has no ICMP fields, or its source (a program) did not set them.
func missingL4(f *Flow) string {
	why := "FieldL4: its source did not print them"
	switch {
	case f.Quirks&QuirkUnknownName != 0:
		why = "the kernel tracked it without its " + f.Proto.name() + ` tracker, as /proc's "unknown" shows`
	case f.Quirks&QuirkOldLibnfct != 0:
		why = `conntrack printed none: its libnetfilter_conntrack had no name for ` + f.Proto.name() + ` ("unknown")`
	case f.Proto.Layer4() == L4ICMP:
		why = "its source did not print them: conntrack's XML has none"
	}
	return "the flow has no " + l4Names[f.Proto.Layer4()] + " (" + why + ")"
}

// lacksL4 reports whether f lacks the layer-4 part that the kernel prints
// for its protocol: f comes from a source that does not show it.
func lacksL4(f *Flow) bool {
	return !f.Has(FieldL4) && f.Proto.Layer4() != L4None && f.Quirks&QuirkUnknownName == 0
}

// portsAlways reports whether conntrack prints ports for every flow of p:
// the TCP and UDP trackers are part of nf_conntrack itself, while a kernel
// may lack the trackers of the other protocols with ports (DCCP's is gone
// from Linux 6.17 on), and conntrack then prints their flows without ports
// or state. (An ICMP flow read from conntrack's XML has no ICMP part,
// which conntrack's text then lacks too: see docs/CONVERSIONS.md.)
func portsAlways(p Proto) bool { return p == TCP || p == UDP }

// unnamed reports whether d prints f's protocol as "unknown" although it
// has a name: as the kernel printed it (QuirkUnknownName), or, in
// conntrack's text, as a libnetfilter_conntrack that had no name for it
// did, where f has nothing that library left out (QuirkOldLibnfct).
func (d *dialect) unnamed(f *Flow) bool {
	if d.lib {
		return f.Quirks&QuirkOldLibnfct != 0 && !d.cache && libUnnamed(f.Proto) && f.Fields&(FieldL4|FieldState) == 0
	}
	return f.Quirks&QuirkUnknownName != 0
}

// unknownPorts reports whether f is a DCCP flow whose ports conntrack did
// not print, as its libnetfilter_conntrack had no name for DCCP: today's
// conntrack prints them, which are not known, where it prints zeros for a
// flow that the kernel tracks without ports.
func unknownPorts(f *Flow) bool {
	return f.Proto == DCCP && f.Quirks&QuirkOldLibnfct != 0 && !f.Has(FieldL4)
}

// libUnnamed reports whether conntrack printed p as "unknown" with an
// older libnetfilter_conntrack, and nothing of its layer-4 part or state:
// UDP-Lite before 0.0.89, ICMPv6 before 0.0.94, GRE and DCCP before
// 0.0.100 (docs/OLDER-PRODUCERS.md).
func libUnnamed(p Proto) bool { return p == UDPLite || p == ICMPv6 || p == GRE || p == DCCP }

// lacksTCPState reports whether f is a TCP flow that lacks the state
// conntrack lists for it, printed in a format that shows its event type if
// events: an event may have none, and /proc shows none for an offloaded
// flow.
func lacksTCPState(f *Flow, events bool) bool {
	return f.Proto == TCP && !f.Has(FieldState) && !(events && f.Event != EventNone) && !f.Status.offloaded()
}

// noTCPState says why a TCP flow without its state does not print in fm.
func noTCPState(fm Format) string {
	by := "conntrack -L prints"
	if fm == Conntrackd || fm == ConntrackdXML {
		by = "conntrackd prints for every tcp flow (it shows no event type, which would excuse it)"
	}
	return "the flow has no TCP state (FieldState: its source did not print one, as an event may not), which " + by
}

func unprintable(d *dialect, msg string) error {
	return &printError{Format: d.format, Msg: msg}
}

// appendNameNum appends a "%-8s %u " header pair.
func appendNameNum(dst []byte, name string, n uint64) []byte {
	dst = append(dst, name...)
	for i := len(name); i < 8; i++ {
		dst = append(dst, ' ')
	}
	dst = append(dst, ' ')
	dst = appendUint(dst, n)
	return append(dst, ' ')
}

// appendElem appends element s of f, each token followed by a space, or
// nothing when f lacks it.
func (d *dialect) appendElem(dst []byte, f *Flow, s Slot) []byte {
	switch s {
	case SlotOrig:
		return d.appendTuple(dst, f, &f.Orig)
	case SlotReply:
		if f.hasReply() {
			dst = d.appendTuple(dst, f, &f.Reply)
		}
	case SlotOrigZone:
		if f.Has(FieldOrigZone) && (f.OrigZone != 0 || !d.lib) {
			dst = appendKey(dst, "zone-orig=", uint64(f.OrigZone))
		}
	case SlotReplyZone:
		if f.Has(FieldReplyZone) && (f.ReplyZone != 0 || !d.lib) {
			dst = appendKey(dst, "zone-reply=", uint64(f.ReplyZone))
		}
	case SlotOrigCounters:
		if f.Has(FieldOrigCounters) {
			dst = appendCounters(dst, f.OrigCounters)
		}
	case SlotReplyCounters:
		if f.Has(FieldReplyCounters) {
			dst = appendCounters(dst, f.ReplyCounters)
		}
	case SlotUnreplied:
		if f.Has(FieldStatus) && f.Status&StatusSeenReply == 0 {
			dst = append(dst, "[UNREPLIED] "...)
		}
	case SlotFlag:
		st := f.Status
		if d.flags < 2 {
			st &^= StatusOffload | StatusHWOffload
		}
		if w := st.flagWord(); w != "" && f.Has(FieldStatus) {
			dst = append(dst, w...)
			dst = append(dst, ' ')
		}
	case SlotUnconfirmed:
		if f.Has(FieldStatus) && f.Status&StatusConfirmed == 0 {
			dst = append(dst, "[UNCONFIRMED] "...)
		}
	case SlotMark:
		dst = d.appendMark(dst, f)
	case SlotSecmark:
		if f.Has(FieldSecmark) {
			dst = appendKey(dst, "secmark=", uint64(f.Secmark))
		}
	case SlotSecctx:
		if f.Has(FieldSecctx) {
			dst = append(dst, "secctx="...)
			dst = append(dst, f.Secctx...)
			dst = append(dst, ' ')
		}
	case SlotZone:
		if f.Has(FieldZone) && (f.Zone != 0 || !d.lib) {
			dst = appendKey(dst, "zone=", uint64(f.Zone))
		}
	case SlotDeltaTime:
		if f.Has(FieldDeltaTime) {
			dst = appendKey(dst, "delta-time=", f.DeltaTime)
		}
	case SlotExpires:
		if f.Has(FieldExpires) {
			dst = append(appendSecs(dst, kExpires.s, f.Expires), ' ')
		}
	case SlotActiveSince:
		// conntrackd prints it for every flow; one whose source had none
		// (a conntrack listing's) entered the cache when the kernel made
		// it, as far as its delta-time tells, or now.
		n := int64(f.DeltaTime)
		if f.Has(FieldActiveSince) {
			n = f.ActiveSince
		} else if !f.Has(FieldDeltaTime) || f.DeltaTime > math.MaxInt64 {
			n = 0
		}
		dst = append(appendSecs(dst, kActiveSince.s, n), ' ')
	case SlotUse:
		switch {
		case f.Has(FieldUse):
			dst = appendKey(dst, "use=", uint64(f.Use))
		case d.required(SlotUse):
			// The kernel prints use= for every entry, and a source such as
			// conntrack -E or -o save has none: print what /proc shows for
			// an entry that only the table and the reader hold.
			dst = appendKey(dst, "use=", kernelUse)
		}
		if d.old && f.Quirks&QuirkUseBeforeMark != 0 {
			dst = d.appendMark(dst, f)
		}
	}
	return dst
}

// appendSecs appends conntrackd's "[KEY Ns]", key being "[expires in " or
// "[active since ".
func appendSecs(dst []byte, key string, n int64) []byte {
	dst = append(dst, key...)
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, "s]"...)
}

// kernelUse is the reference count the kernel's formats print for a flow
// whose source had none.
const kernelUse = 2

func (d *dialect) appendMark(dst []byte, f *Flow) []byte {
	if !f.Has(FieldMark) {
		return dst
	}
	dst = append(dst, "mark="...)
	if d.old && f.Quirks&QuirkSignedMark != 0 {
		dst = strconv.AppendInt(dst, int64(int32(f.Mark)), 10)
	} else {
		dst = appendUint(dst, uint64(f.Mark))
	}
	return append(dst, ' ')
}

func appendKey(dst []byte, key string, n uint64) []byte {
	dst = append(dst, key...)
	dst = appendUint(dst, n)
	return append(dst, ' ')
}

func appendCounters(dst []byte, c Counters) []byte {
	dst = appendKey(dst, "packets=", c.Packets)
	return appendKey(dst, "bytes=", c.Bytes)
}

// appendTuple appends "src=A dst=A " and the layer-4 part of t.
func (d *dialect) appendTuple(dst []byte, f *Flow, t *Tuple) []byte {
	dst = append(dst, "src="...)
	dst = d.appendAddr(dst, t.Src)
	dst = append(dst, " dst="...)
	dst = d.appendAddr(dst, t.Dst)
	dst = append(dst, ' ')
	if !f.Has(FieldL4) && !(d.lib && f.Proto == DCCP && !d.unnamed(f)) {
		return dst // conntrack prints zero ports for DCCP flows the kernel tracks without ports
	}
	return appendL4(dst, f.Proto.Layer4(), t)
}

// appendL4 appends the layer-4 part of t, of the given kind, each token
// followed by a space.
func appendL4(dst []byte, kind Layer4, t *Tuple) []byte {
	switch kind {
	case L4Ports:
		dst = appendKey(dst, "sport=", uint64(t.SrcPort))
		dst = appendKey(dst, "dport=", uint64(t.DstPort))
	case L4Keys:
		dst = append(dst, "srckey="...)
		dst = appendHex16(dst, t.SrcPort)
		dst = append(dst, " dstkey="...)
		dst = appendHex16(dst, t.DstPort)
		dst = append(dst, ' ')
	case L4ICMP:
		dst = appendKey(dst, "type=", uint64(t.Type))
		dst = appendKey(dst, "code=", uint64(t.Code))
		dst = appendKey(dst, "id=", uint64(t.ID))
	}
	return dst
}

func (d *dialect) appendAddr(dst []byte, a netip.Addr) []byte {
	switch {
	case a.Is4():
		return appendIPv4(dst, a)
	case d.lib:
		return appendIPv6Glibc(dst, a)
	}
	return appendIPv6Full(dst, a)
}
