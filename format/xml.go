package format

import (
	"bytes"
	"math"
	"net/netip"
	"strings"
	"time"
)

// This file reads and prints conntrack's XML (conntrack -L -o xml and
// conntrack -E -o xml): one record a line, in a fixed schema, with a header
// before the first record and a footer after the last. A scanner made for
// that schema reads it without allocating; nothing is escaped in it.

const xmlHeader = `<?xml version="1.0" encoding="utf-8"?>`

// xmlFraming reports whether line is one of the header and footer lines of
// a document whose root element is root ("conntrack" or "expect"), and
// whether it is the footer.
func xmlFraming(line []byte, root string) (framing, footer bool) {
	switch {
	case string(line) == xmlHeader:
		return true, false
	case len(line) == len(root)+2 && line[0] == '<' && string(line[1:len(line)-1]) == root && line[len(line)-1] == '>':
		return true, false
	case len(line) == len(root)+3 && string(line[:2]) == "</" && string(line[2:len(line)-1]) == root && line[len(line)-1] == '>':
		return true, true
	}
	return false, false
}

// content returns the text up to the next '<'.
func (c *cursor) content() []byte {
	rest := c.line[c.pos:]
	i := bytes.IndexByte(rest, '<')
	if i < 0 {
		i = len(rest)
	}
	c.pos += i
	return rest[:i]
}

// element parses "<name>N</name>" with a number of at most max; open is
// "<name>", which the caller has matched.
func (c *cursor) element(field, closeTag string, max uint64) (uint64, error) {
	at := c.pos
	v := c.content()
	n, e := parseUint(v, max)
	if e != numOK {
		return 0, c.numErr(v, at, field, e, false, "0 to "+itoa(max))
	}
	return n, c.lit(closeTag)
}

// textElement parses free text up to closeTag.
func (c *cursor) textElement(field, closeTag string) ([]byte, error) {
	at := c.pos
	v := c.content()
	if err := c.text(v, at, field); err != nil {
		return nil, err
	}
	return v, c.lit(closeTag)
}

// flowStart parses the start of a <flow> record, of a flow or of an
// expectation, and returns its event type.
func (c *cursor) flowStart() (Event, error) {
	if err := c.lit("<flow"); err != nil {
		return EventNone, err
	}
	switch {
	case c.opt(">"):
		return EventNone, nil
	case c.opt(` type="new">`):
		return EventNew, nil
	case c.opt(` type="update">`):
		return EventUpdate, nil
	case c.opt(` type="destroy">`):
		return EventDestroy, nil
	}
	return EventNone, c.expected(`>, or a type of "new", "update" or "destroy"`)
}

// parseXML parses one <flow> record.
func (p *parser) parseXML(f *Flow) error {
	var err error
	if f.Event, err = p.flowStart(); err != nil {
		return err
	}
	f.Fields &^= FieldStatus
	f.Status = 0
	for dir, t := range [2]*Tuple{&f.Orig, &f.Reply} {
		open, zoneField := `<meta direction="original">`, FieldOrigZone
		p.dir = "original"
		if dir == 1 {
			open, zoneField = `<meta direction="reply">`, FieldReplyZone
			p.dir = "reply"
		}
		if err := p.lit(open); err != nil {
			return err
		}
		if dir == 1 && p.cache && p.opt(xmlNoReply[len(open):]) {
			break // conntrackd -e -x: the original tuple only
		}
		if err := p.xmlTuple(f, t, dir == 0); err != nil {
			return err
		}
		if p.opt("<zone>") {
			n, err := p.element("zone", "</zone>", math.MaxUint16)
			if err != nil {
				return err
			}
			if dir == 0 {
				f.OrigZone = uint16(n)
			} else {
				f.ReplyZone = uint16(n)
			}
			f.Fields |= zoneField
		}
		if p.opt("<counters><packets>") {
			c, field := &f.OrigCounters, FieldOrigCounters
			if dir == 1 {
				c, field = &f.ReplyCounters, FieldReplyCounters
			}
			var err error
			if c.Packets, err = p.element("packets", "</packets>", math.MaxUint64); err != nil {
				return err
			}
			if err := p.lit("<bytes>"); err != nil {
				return err
			}
			if c.Bytes, err = p.element("bytes", "</bytes>", math.MaxUint64); err != nil {
				return err
			}
			if err := p.lit("</counters>"); err != nil {
				return err
			}
			f.Fields |= field
		}
		if err := p.lit("</meta>"); err != nil {
			return err
		}
	}
	p.dir = ""
	if p.opt(`<meta direction="independent">`) {
		if err := p.xmlIndependent(f); err != nil {
			return err
		}
	} else if err := p.xmlOutsideMeta(f); err != nil {
		return err
	}
	if p.opt("<when>") {
		if err := p.xmlWhen(f); err != nil {
			return err
		}
	}
	if p.opt("<helper>") {
		v, err := p.textElement("helper", "</helper>")
		if err != nil {
			return err
		}
		f.Helper = p.intern(v)
		f.Fields |= FieldHelper
	}
	if err := p.lit("</flow>"); err != nil {
		return err
	}
	if p.pos < len(p.line) {
		if err := p.lit(" "); err != nil {
			return err
		}
		if !kUserspace.match(p.line[p.pos:]) {
			return p.expected("[USERSPACE], or the end of the line")
		}
		f.Fields |= FieldUserspace
		if err := p.userspace(f); err != nil {
			return err
		}
		if p.pos != len(p.line) {
			return p.expected("the end of the line")
		}
	}
	return nil
}

// xmlTuple parses one direction's <layer3> and <layer4>. The first sets the
// flow's family and protocol; the second must agree.
func (p *parser) xmlTuple(f *Flow, t *Tuple, first bool) error {
	if err := p.lit(`<layer3 protonum="`); err != nil {
		return err
	}
	at := p.pos
	var fam Family
	switch {
	case p.opt(`2" protoname="ipv4">`):
		fam = IPv4
	case p.opt(`10" protoname="ipv6">`):
		fam = IPv6
	default:
		return p.errAt(at, p.pos+12, "family", ErrUnknownName, "want layer3 protonum=\"2\" protoname=\"ipv4\" or protonum=\"10\" protoname=\"ipv6\"")
	}
	if first {
		f.Family = fam
	} else if fam != f.Family {
		return p.errAt(at, p.pos, "family", ErrMismatch, "the reply's family differs from the original's")
	}
	var err error
	if err = p.lit("<src>"); err != nil {
		return err
	}
	if t.Src, err = p.xmlAddr(f, "src"); err != nil {
		return err
	}
	if err = p.lit("</src><dst>"); err != nil {
		return err
	}
	if t.Dst, err = p.xmlAddr(f, "dst"); err != nil {
		return err
	}
	if err = p.lit(`</dst></layer3><layer4 protonum="`); err != nil {
		return err
	}
	at = p.pos
	n, e := parseUint(p.quoted(), math.MaxUint8)
	if e != numOK {
		return p.errAt(at, p.pos, "protocol", ErrSyntax, "want a protocol number 0 to 255")
	}
	if err = p.lit(`" protoname="`); err != nil {
		return err
	}
	nameAt := p.pos
	name := p.quoted()
	proto := Proto(n)
	if string(name) != proto.name() {
		return p.errAt(nameAt, p.pos, "protocol", ErrMismatch, "conntrack names protocol "+itoa(n)+" "+quote([]byte(proto.name()))+", not "+quote(name))
	}
	if first {
		f.Proto = proto
	} else if proto != f.Proto {
		return p.errAt(at, p.pos, "protocol", ErrMismatch, "the reply's protocol differs from the original's")
	}
	if err = p.lit(`">`); err != nil {
		return err
	}
	has := false
	switch proto.Layer4() {
	case L4Ports:
		if has = p.opt("<sport>"); has {
			var sp, dp uint64
			if sp, err = p.element("sport", "</sport>", math.MaxUint16); err != nil {
				return err
			}
			if err = p.lit("<dport>"); err != nil {
				return err
			}
			if dp, err = p.element("dport", "</dport>", math.MaxUint16); err != nil {
				return err
			}
			t.SrcPort, t.DstPort = uint16(sp), uint16(dp)
		}
	case L4Keys:
		if has = p.opt("<srckey>"); has {
			if t.SrcPort, err = p.xmlKey("srckey", "</srckey>"); err != nil {
				return err
			}
			if err = p.lit("<dstkey>"); err != nil {
				return err
			}
			if t.DstPort, err = p.xmlKey("dstkey", "</dstkey>"); err != nil {
				return err
			}
		}
	}
	if !first && has != f.Has(FieldL4) {
		return p.errAt(at, p.pos, "layer4", ErrMismatch, "the reply's layer-4 part does not match the original's")
	}
	if has {
		f.Fields |= FieldL4
	}
	return p.lit("</layer4>")
}

// quoted returns the text up to the next '"'.
func (c *cursor) quoted() []byte {
	start := c.pos
	if i := bytes.IndexByte(c.line[start:], '"'); i >= 0 {
		c.pos += i
	} else {
		c.pos = len(c.line)
	}
	return c.line[start:c.pos]
}

func (c *cursor) xmlKey(field, closeTag string) (uint16, error) {
	at := c.pos
	v := c.content()
	n, e := parseHex16(v)
	if e != numOK {
		return 0, c.errAt(at, c.pos, field, ErrSyntax, "want 0x and 1 to 4 lowercase hex digits")
	}
	return n, c.lit(closeTag)
}

func (p *parser) xmlAddr(f *Flow, field string) (netip.Addr, error) {
	at := p.pos
	v := p.content()
	var a netip.Addr
	var ok bool
	if f.Family == IPv4 {
		a, ok = parseIPv4(v)
	} else {
		a, ok = parseIPv6Glibc(v)
	}
	if !ok {
		return a, p.errAt(at, p.pos, field, ErrAddress, "malformed "+f.Family.name()+" address "+quote(v)+" (want the form conntrack prints)")
	}
	return a, nil
}

// xmlIndependent parses the elements of <meta direction="independent">.
func (p *parser) xmlIndependent(f *Flow) error {
	f.Fields |= FieldStatus
	f.Status = StatusConfirmed | StatusSeenReply
	var err error
	var n uint64
	if p.opt("<state>") {
		at := p.pos
		v := p.content()
		// conntrack looks SCTP and DCCP states up in its TCP table.
		s, ok := parseState(TCP, v)
		if !ok || !f.Proto.HasStates() || int(s) >= len(stateNames(f.Proto)) {
			return p.errAt(at, p.pos, "state", ErrUnknownName, "unknown state "+quote(v)+" for "+f.Proto.name()+" (conntrack's XML names every state from the TCP table)")
		}
		if string(v) == "LISTEN" {
			f.Quirks |= QuirkListen
		}
		f.State = s
		f.Fields |= FieldState
		if err = p.lit("</state>"); err != nil {
			return err
		}
	}
	if p.opt("<timeout>") {
		if n, err = p.element("timeout", "</timeout>", math.MaxUint32); err != nil {
			return err
		}
		f.Timeout = int64(n)
		f.Fields |= FieldTimeout
	}
	if p.opt("<mark>") {
		if n, err = p.element("mark", "</mark>", math.MaxUint32); err != nil {
			return err
		}
		f.Mark = uint32(n)
		f.Fields |= FieldMark
	}
	if p.opt("<labels>") {
		if err := p.xmlLabels(f); err != nil {
			return err
		}
	}
	if p.opt("<secmark>") {
		if n, err = p.element("secmark", "</secmark>", math.MaxUint32); err != nil {
			return err
		}
		f.Secmark = uint32(n)
		f.Fields |= FieldSecmark
	}
	if p.opt("<secctx>") {
		v, err := p.textElement("secctx", "</secctx>")
		if err != nil {
			return err
		}
		f.Secctx = p.intern(v)
		f.Fields |= FieldSecctx
	}
	if p.opt("<zone>") {
		if n, err = p.element("zone", "</zone>", math.MaxUint16); err != nil {
			return err
		}
		f.Zone = uint16(n)
		f.Fields |= FieldZone
	}
	if p.opt("<use>") {
		if n, err = p.element("use", "</use>", math.MaxUint32); err != nil {
			return err
		}
		f.Use = uint32(n)
		f.Fields |= FieldUse
	}
	if p.opt("<id>") {
		if n, err = p.element("id", "</id>", math.MaxUint32); err != nil {
			return err
		}
		f.ID = uint32(n)
		f.Fields |= FieldID
	}
	if p.opt("<assured/>") {
		f.Status |= StatusAssured
	}
	if p.opt("<unreplied/>") {
		f.Status &^= StatusSeenReply
	}
	if p.opt("<timestamp>") {
		p.opts |= OptKTimestamp
		if p.opt("<start>") {
			if f.Start, err = p.element("start", "</start>", math.MaxUint64); err != nil {
				return err
			}
			f.Fields |= FieldStart
		}
		if p.opt("<stop>") {
			if f.Stop, err = p.element("stop", "</stop>", math.MaxUint64); err != nil {
				return err
			}
			f.Fields |= FieldStop
		}
		if err = p.lit("</timestamp>"); err != nil {
			return err
		}
	}
	if p.opt("<deltatime>") {
		if f.DeltaTime, err = p.element("deltatime", "</deltatime>", math.MaxUint64); err != nil {
			return err
		}
		f.Fields |= FieldDeltaTime
	}
	return p.lit("</meta>")
}

// xmlOutsideMeta parses what libnetfilter_conntrack before 0.9.1 printed
// straight in <flow> when the flow had nothing that opened the independent
// meta (a state, timeout, mark, use count or status): <secmark>, <zone>
// and <id>, in this order.
func (p *parser) xmlOutsideMeta(f *Flow) error {
	var n uint64
	var err error
	if p.opt("<secmark>") {
		if n, err = p.element("secmark", "</secmark>", math.MaxUint32); err != nil {
			return err
		}
		f.Secmark, f.Fields = uint32(n), f.Fields|FieldSecmark
	}
	if p.opt("<zone>") {
		if n, err = p.element("zone", "</zone>", math.MaxUint16); err != nil {
			return err
		}
		f.Zone, f.Fields = uint16(n), f.Fields|FieldZone
	}
	if p.opt("<id>") {
		if n, err = p.element("id", "</id>", math.MaxUint32); err != nil {
			return err
		}
		f.ID, f.Fields = uint32(n), f.Fields|FieldID
	}
	return nil
}

// xmlLabels parses <label> elements up to </labels>; conntrack prints the
// names it has for the bits, and no element for bits without a name.
func (p *parser) xmlLabels(f *Flow) error {
	p.opts |= OptLabels
	f.Fields |= FieldLabels
	// The names are joined in p.xbuf, but where they are the flow's labels
	// before this line (see parseLine), as they are line after line of a
	// table, only compared with them.
	start := len(p.xbuf)
	old, n, same := p.old[2], 0, true // the names so far are old[:n]
	for p.opt("<label>") {
		at := p.pos
		v, err := p.textElement("label", "</label>")
		if err != nil {
			return err
		}
		if len(v) == 0 {
			return p.errAt(at, at, "label", ErrSyntax, "an empty label name, which conntrack does not print")
		}
		if same {
			sep := min(n, 1)
			if end := n + sep + len(v); end <= len(old) && (sep == 0 || old[n] == ',') && old[n+sep:end] == string(v) {
				n = end
				continue
			}
			same = false
			p.xbuf = append(p.xbuf, old[:n]...)
		}
		if len(p.xbuf) > start {
			p.xbuf = append(p.xbuf, ',')
		}
		p.xbuf = append(p.xbuf, v...)
	}
	switch {
	case same && n == len(old):
		f.Labels = old
	case same:
		f.Labels = p.intern(append(p.xbuf, old[:n]...)[start:])
	default:
		f.Labels = p.intern(p.xbuf[start:])
	}
	p.xbuf = p.xbuf[:start]
	if r := labelsProblem(f.Labels); r != "" {
		return p.errAt(p.pos, p.pos, "labels", ErrSyntax, r)
	}
	return p.lit("</labels>")
}

// whenTags are the elements of <when>, in order.
var whenTags = [7]struct{ name, open, close string }{
	{"hour", "<hour>", "</hour>"}, {"min", "<min>", "</min>"}, {"sec", "<sec>", "</sec>"},
	{"wday", "<wday>", "</wday>"}, {"day", "<day>", "</day>"}, {"month", "<month>", "</month>"},
	{"year", "<year>", "</year>"},
}

// xmlWhen parses the local time of an event (-o xml,timestamp).
func (p *parser) xmlWhen(f *Flow) error {
	var v [7]int
	var year []byte
	yearAt := 0
	for i, tag := range whenTags {
		if err := p.lit(tag.open); err != nil {
			return err
		}
		at := p.pos
		w := p.content()
		if i == len(whenTags)-1 {
			year, yearAt = w, at
		}
		n, ok := parseDigits(w)
		if !ok || (i == 1 || i == 2) && len(w) != 2 || (i != 1 && i != 2) && len(w) > 1 && w[0] == '0' {
			return p.errAt(at, p.pos, tag.name, ErrSyntax, "malformed "+tag.name+" "+quote(w))
		}
		v[i] = int(n)
		if err := p.lit(tag.close); err != nil {
			return err
		}
	}
	t := time.Date(v[6], time.Month(v[5]), v[4], v[0], v[1], v[2], 0, p.loc)
	if t.Hour() != v[0] || t.Minute() != v[1] || t.Second() != v[2] || t.Day() != v[4] || int(t.Month()) != v[5] || int(t.Weekday())+1 != v[3] {
		return p.errAt(p.pos, p.pos, "when", ErrMismatch, "no such local time, or the weekday of another day")
	}
	if t.Unix() > math.MaxInt64/1_000_000 {
		return p.errAt(yearAt, yearAt+len(year), "year", ErrRange, "year "+quote(year)+" is out of range (event times, in microseconds, end in 294247)")
	}
	f.EventTime = t.Unix() * 1e6
	f.Fields |= FieldEventTime
	p.opts |= OptTimestamp
	return p.lit("</when>")
}

// appendXML appends f as a <flow> record line.
func appendXML(dst []byte, f *Flow, fm Format, o Options, loc *time.Location) ([]byte, error) {
	if err := xmlPrintable(fm, f); err != nil {
		return dst, err
	}
	if f.Has(FieldSecctx) && strings.IndexByte(f.Secctx, '<') >= 0 || f.Has(FieldHelper) && strings.IndexByte(f.Helper, '<') >= 0 ||
		f.Has(FieldLabels) && strings.IndexByte(f.Labels, '<') >= 0 {
		return dst, &printError{Format: fm, Msg: "a secctx, helper or label name with '<', which conntrack's XML cannot show"}
	}
	dst = append(dst, "<flow"...)
	if f.Event != EventNone {
		dst = append(dst, ` type="`...)
		dst = append(dst, f.Event.String()...)
		dst = append(dst, '"')
	}
	dst = append(dst, '>')
	dst = appendXMLDir(dst, f, &f.Orig, `<meta direction="original">`, f.Has(FieldOrigZone), f.OrigZone, f.Has(FieldOrigCounters), f.OrigCounters)
	if f.hasReply() {
		dst = appendXMLDir(dst, f, &f.Reply, `<meta direction="reply">`, f.Has(FieldReplyZone), f.ReplyZone, f.Has(FieldOrigCounters) && f.Has(FieldReplyCounters), f.ReplyCounters)
	} else {
		dst = append(dst, xmlNoReply...) // conntrackd -e -x
	}
	if f.Fields&(FieldStatus|FieldState|FieldTimeout|FieldMark|FieldSecmark|FieldZone|FieldUse|FieldID) != 0 ||
		o&OptLabels != 0 && f.Has(FieldLabels) || o&OptKTimestamp != 0 && f.Fields&(FieldStart|FieldStop) != 0 {
		dst = appendXMLIndependent(dst, f, o)
	}
	if o&OptTimestamp != 0 && f.Has(FieldEventTime) {
		dst = appendWhen(dst, f.EventTime, loc)
	}
	if f.Has(FieldHelper) {
		dst = appendTag(dst, "<helper>", f.Helper, "</helper>")
	}
	dst = append(dst, "</flow>"...)
	if f.Has(FieldUserspace) && o&OptConntrack149 == 0 {
		dst = append(dst, ' ')
		dst = appendLib(dst, f, SlotUserspace, o, loc)
		dst = dst[:len(dst)-1]
	}
	return append(dst, '\n'), nil
}

// appendWhen appends an event time (microseconds since the epoch) as the
// <when> element of -o xml,timestamp: the local time, to the second.
func appendWhen(dst []byte, usec int64, loc *time.Location) []byte {
	t := time.Unix(usec/1e6, 0).In(location(loc))
	dst = appendNumTag(dst, "<when><hour>", uint64(t.Hour()), "</hour><min>")
	dst = appendPadded(dst, uint64(t.Minute()), 2, '0')
	dst = append(dst, "</min><sec>"...)
	dst = appendPadded(dst, uint64(t.Second()), 2, '0')
	dst = appendNumTag(dst, "</sec><wday>", uint64(t.Weekday())+1, "</wday>")
	dst = appendNumTag(dst, "<day>", uint64(t.Day()), "</day>")
	dst = appendNumTag(dst, "<month>", uint64(t.Month()), "</month>")
	return appendNumTag(dst, "<year>", uint64(t.Year()), "</year></when>")
}

// xmlPrintable returns a *printError of format fm (conntrack's XML, -o
// save, or conntrackd's XML) if f cannot be printed in it.
func xmlPrintable(fm Format, f *Flow) error {
	if field, r := f.CheckText(); r != "" {
		return &printError{Format: fm, Msg: field + ": " + r}
	}
	if f.Family != IPv4 && f.Family != IPv6 {
		return &printError{Format: fm, Msg: "family " + itoa(uint64(f.Family)) + " is neither IPv4 nor IPv6"}
	}
	if !f.hasReply() && fm != ConntrackdXML {
		return &printError{Format: fm, Msg: noReply}
	}
	if f.Has(FieldState) && f.Proto.StateName(f.State) == "" {
		return &printError{Format: fm, Msg: "state " + itoa(uint64(f.State)) + " is not a " + f.Proto.name() + " state"}
	}
	if (portsAlways(f.Proto) || unknownPorts(f)) && lacksL4(f) {
		return &printError{Format: fm, Msg: missingL4(f) + ", which conntrack always prints for " + f.Proto.name()}
	}
	if lacksTCPState(f, fm != ConntrackdXML) {
		return &printError{Format: fm, Msg: noTCPState(fm)}
	}
	return familyCheck(fm, f)
}

func appendXMLDir(dst []byte, f *Flow, t *Tuple, open string, hasZone bool, zone uint16, hasCounters bool, c Counters) []byte {
	dst = append(dst, open...)
	dst = append(dst, `<layer3 protonum="`...)
	dst = appendUint(dst, uint64(f.Family))
	dst = append(dst, `" protoname="`...)
	dst = append(dst, f.Family.name()...)
	dst = append(dst, `"><src>`...)
	dst = appendLibAddr(dst, t.Src)
	dst = append(dst, "</src><dst>"...)
	dst = appendLibAddr(dst, t.Dst)
	dst = append(dst, `</dst></layer3><layer4 protonum="`...)
	dst = appendUint(dst, uint64(f.Proto))
	dst = append(dst, `" protoname="`...)
	dst = append(dst, f.Proto.name()...)
	dst = append(dst, `">`...)
	if f.Has(FieldL4) || f.Proto == DCCP {
		switch f.Proto.Layer4() {
		case L4Ports:
			dst = appendNumTag(dst, "<sport>", uint64(t.SrcPort), "</sport>")
			dst = appendNumTag(dst, "<dport>", uint64(t.DstPort), "</dport>")
		case L4Keys:
			dst = append(dst, "<srckey>"...)
			dst = appendHex16(dst, t.SrcPort)
			dst = append(dst, "</srckey><dstkey>"...)
			dst = appendHex16(dst, t.DstPort)
			dst = append(dst, "</dstkey>"...)
		}
	}
	dst = append(dst, "</layer4>"...)
	if hasZone && zone != 0 {
		dst = appendNumTag(dst, "<zone>", uint64(zone), "</zone>")
	}
	if hasCounters {
		dst = appendNumTag(dst, "<counters><packets>", c.Packets, "</packets>")
		dst = appendNumTag(dst, "<bytes>", c.Bytes, "</bytes></counters>")
	}
	return append(dst, "</meta>"...)
}

// xmlDeltaTime returns the delta time conntrack's XML shows for f. Of an
// ended flow, conntrack's text shows the difference of the time stamps'
// whole seconds, its XML the whole seconds of their difference: one less
// when the fractions straddle a second. A flow whose delta time is the
// text's, computed from time stamps it has (a flow read over netlink), gets
// the XML's.
func xmlDeltaTime(f *Flow) uint64 {
	if f.Has(FieldStart|FieldStop) && f.Stop >= f.Start && f.DeltaTime == f.Stop/1e9-f.Start/1e9 {
		return (f.Stop - f.Start) / 1e9
	}
	return f.DeltaTime
}

func appendXMLIndependent(dst []byte, f *Flow, o Options) []byte {
	dst = append(dst, `<meta direction="independent">`...)
	if f.Has(FieldState) {
		name := "NONE"
		if int(f.State) < len(tcpStates) {
			name = tcpStates[f.State] // conntrack's XML uses the TCP table for SCTP and DCCP too
		}
		if f.State == TCPSynSent2 && f.Quirks&QuirkListen != 0 {
			name = "LISTEN"
		}
		dst = appendTag(dst, "<state>", name, "</state>")
	}
	if f.Has(FieldTimeout) {
		dst = appendNumTag(dst, "<timeout>", uint64(f.Timeout), "</timeout>")
	}
	if f.Has(FieldMark) {
		dst = appendNumTag(dst, "<mark>", uint64(f.Mark), "</mark>")
	}
	if o&OptLabels != 0 && f.Has(FieldLabels) {
		dst = append(dst, "<labels>"...)
		for rest := f.Labels; rest != ""; {
			var name string
			name, rest, _ = cutComma(rest)
			dst = appendTag(dst, "<label>", name, "</label>")
		}
		dst = append(dst, "</labels>"...)
	}
	if f.Has(FieldSecmark) {
		dst = appendNumTag(dst, "<secmark>", uint64(f.Secmark), "</secmark>")
	}
	if f.Has(FieldSecctx) {
		dst = appendTag(dst, "<secctx>", f.Secctx, "</secctx>")
	}
	if f.Has(FieldZone) && f.Zone != 0 {
		dst = appendNumTag(dst, "<zone>", uint64(f.Zone), "</zone>")
	}
	if f.Has(FieldUse) {
		dst = appendNumTag(dst, "<use>", uint64(f.Use), "</use>")
	}
	if f.Has(FieldID) {
		dst = appendNumTag(dst, "<id>", uint64(f.ID), "</id>")
	}
	if f.Has(FieldStatus) {
		if f.Status&StatusAssured != 0 {
			dst = append(dst, "<assured/>"...)
		}
		if f.Status&StatusSeenReply == 0 {
			dst = append(dst, "<unreplied/>"...)
		}
	}
	if o&OptKTimestamp != 0 && f.Fields&(FieldStart|FieldStop) != 0 {
		dst = append(dst, "<timestamp>"...)
		if f.Has(FieldStart) {
			dst = appendNumTag(dst, "<start>", f.Start, "</start>")
		}
		if f.Has(FieldStop) {
			dst = appendNumTag(dst, "<stop>", f.Stop, "</stop>")
		}
		dst = append(dst, "</timestamp>"...)
	}
	if f.Has(FieldDeltaTime) {
		dst = appendNumTag(dst, "<deltatime>", xmlDeltaTime(f), "</deltatime>")
	}
	return append(dst, "</meta>"...)
}

func appendTag(dst []byte, open, text, closeTag string) []byte {
	dst = append(dst, open...)
	dst = append(dst, text...)
	return append(dst, closeTag...)
}

func appendNumTag(dst []byte, open string, n uint64, closeTag string) []byte {
	dst = append(dst, open...)
	dst = appendUint(dst, n)
	return append(dst, closeTag...)
}

// appendLibAddr appends an address as libnetfilter_conntrack prints it.
func appendLibAddr(dst []byte, a netip.Addr) []byte {
	if a.Is4() {
		return appendIPv4(dst, a)
	}
	return appendIPv6Glibc(dst, a)
}

func cutComma(s string) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// Expectations, as conntrack -L expect -o xml prints them: a <flow> of
// three tuples, expected, mask and master, each of its own layer-4 kind.

// xmlExpect parses one <flow> record of conntrack -L expect -o xml.
func (p *parser) xmlExpect(e *Expect) error {
	var err error
	if e.Event, err = p.flowStart(); err != nil {
		return err
	}
	if err := p.lit(`<layer3 protonum="`); err != nil {
		return err
	}
	switch {
	case p.opt(`2" protoname="ipv4">`):
	case p.opt(`10" protoname="ipv6">`):
		e.Family = IPv6
	default:
		return p.expected(`2" protoname="ipv4"> or 10" protoname="ipv6">`)
	}
	f := Flow{Family: e.Family}
	for i, t := range [...]*Tuple{&e.Tuple, &e.Mask, &e.Master} {
		if err = p.lit(expectParts[i].open); err != nil {
			return err
		}
		if err = p.lit("<src>"); err != nil {
			return err
		}
		if t.Src, err = p.xmlAddr(&f, "src"); err != nil {
			return err
		}
		if err = p.lit("</src><dst>"); err != nil {
			return err
		}
		if t.Dst, err = p.xmlAddr(&f, "dst"); err != nil {
			return err
		}
		if err = p.lit("</dst>"); err != nil {
			return err
		}
		if err = p.lit(expectParts[i].close); err != nil {
			return err
		}
	}
	e.Fields |= ExpectMask | ExpectMaster
	if err = p.lit(`</layer3><layer4 protonum="`); err != nil {
		return err
	}
	at := p.pos
	n, er := parseUint(p.quoted(), math.MaxUint8)
	if er != numOK {
		return p.errAt(at, p.pos, "protocol", ErrSyntax, "want a protocol number 0 to 255")
	}
	e.Proto = Proto(n)
	if err = p.lit(`" protoname="`); err != nil {
		return err
	}
	if err = p.lit(e.Proto.name()); err != nil {
		return err
	}
	if err = p.lit(`">`); err != nil {
		return err
	}
	// Each part's layer-4 content follows its own protocol; the master's is
	// told by its first element.
	for i, t := range [...]*Tuple{&e.Tuple, &e.Mask, &e.Master} {
		if err = p.lit(expectParts[i].open); err != nil {
			return err
		}
		kind := e.Proto.Layer4()
		if i == 2 {
			kind = L4None
			switch {
			case bytes.HasPrefix(p.line[p.pos:], []byte("<sport>")):
				kind = L4Ports
			case bytes.HasPrefix(p.line[p.pos:], []byte("<srckey>")):
				kind = L4Keys
			}
			e.MasterL4 = kind
		}
		if err = p.xmlL4(kind, t); err != nil {
			return err
		}
		if err = p.lit(expectParts[i].close); err != nil {
			return err
		}
	}
	if err = p.lit("</layer4><meta>"); err != nil {
		return err
	}
	if p.opt("<helper-name>") {
		v, err := p.textElement("helper", "</helper-name>")
		if err != nil {
			return err
		}
		e.Helper, e.Fields = p.intern(v), e.Fields|ExpectHelper
	}
	if p.opt("<timeout>") {
		if n, err = p.element("timeout", "</timeout>", math.MaxUint32); err != nil {
			return err
		}
		e.Timeout, e.Fields = int64(n), e.Fields|ExpectTimeout
	}
	if p.opt("<class>") {
		if n, err = p.element("class", "</class>", math.MaxUint32); err != nil {
			return err
		}
		e.Class, e.Fields = uint32(n), e.Fields|ExpectClass
	}
	if p.opt("<zone>") {
		if n, err = p.element("zone", "</zone>", math.MaxUint16); err != nil {
			return err
		}
		e.Zone, e.Fields = uint16(n), e.Fields|ExpectZone
	}
	if p.opt("<when>") {
		if err := p.xmlWhen(&f); err != nil {
			return err
		}
		e.EventTime, e.Fields = f.EventTime, e.Fields|ExpectEventTime
	}
	for i, tag := range [...]string{"<permanent/>", "<inactive/>", "<userspace/>"} {
		if p.opt(tag) {
			e.Flags |= 1 << i
		}
	}
	if err := p.lit("</meta></flow>"); err != nil {
		return err
	}
	if p.pos != len(p.line) {
		return p.expected("the end of the line")
	}
	return nil
}

// expectParts are the elements of an expectation's three tuples in XML.
var expectParts = [3]struct{ open, close string }{
	{"<expected>", "</expected>"}, {"<mask>", "</mask>"}, {"<master>", "</master>"},
}

// xmlL4 parses the layer-4 elements of the given kind.
func (p *parser) xmlL4(kind Layer4, t *Tuple) error {
	var err error
	switch kind {
	case L4Ports:
		var sp, dp uint64
		if err = p.lit("<sport>"); err != nil {
			return err
		}
		if sp, err = p.element("sport", "</sport>", math.MaxUint16); err != nil {
			return err
		}
		if err = p.lit("<dport>"); err != nil {
			return err
		}
		if dp, err = p.element("dport", "</dport>", math.MaxUint16); err != nil {
			return err
		}
		t.SrcPort, t.DstPort = uint16(sp), uint16(dp)
	case L4Keys:
		if err = p.lit("<srckey>"); err != nil {
			return err
		}
		if t.SrcPort, err = p.xmlKey("srckey", "</srckey>"); err != nil {
			return err
		}
		if err = p.lit("<dstkey>"); err != nil {
			return err
		}
		t.DstPort, err = p.xmlKey("dstkey", "</dstkey>")
	}
	return err
}

// appendXMLExpect appends e as a record of conntrack -L expect -o xml.
func appendXMLExpect(dst []byte, e *Expect, fm Format, o Options, loc *time.Location) ([]byte, error) {
	if err := expectPrintable(fm, e); err != nil {
		return dst, err
	}
	dst = append(dst, "<flow"...)
	if e.Event != EventNone {
		dst = append(dst, ` type="`...)
		dst = append(dst, e.Event.String()...)
		dst = append(dst, '"')
	}
	dst = append(dst, `><layer3 protonum="`...)
	dst = appendUint(dst, uint64(e.Family))
	dst = append(dst, `" protoname="`...)
	dst = append(dst, e.Family.name()...)
	dst = append(dst, `">`...)
	tuples := [...]*Tuple{&e.Tuple, &e.Mask, &e.Master}
	kinds := [...]Layer4{e.Proto.Layer4(), e.Proto.Layer4(), e.MasterL4}
	for i, t := range tuples {
		dst = append(dst, expectParts[i].open...)
		dst = append(dst, "<src>"...)
		dst = appendLibAddr(dst, t.Src)
		dst = append(dst, "</src><dst>"...)
		dst = appendLibAddr(dst, t.Dst)
		dst = append(dst, "</dst>"...)
		dst = append(dst, expectParts[i].close...)
	}
	dst = append(dst, `</layer3><layer4 protonum="`...)
	dst = appendUint(dst, uint64(e.Proto))
	dst = append(dst, `" protoname="`...)
	dst = append(dst, e.Proto.name()...)
	dst = append(dst, `">`...)
	for i, t := range tuples {
		dst = append(dst, expectParts[i].open...)
		switch kinds[i] {
		case L4Ports:
			dst = appendNumTag(dst, "<sport>", uint64(t.SrcPort), "</sport>")
			dst = appendNumTag(dst, "<dport>", uint64(t.DstPort), "</dport>")
		case L4Keys:
			dst = append(dst, "<srckey>"...)
			dst = appendHex16(dst, t.SrcPort)
			dst = append(dst, "</srckey><dstkey>"...)
			dst = appendHex16(dst, t.DstPort)
			dst = append(dst, "</dstkey>"...)
		}
		dst = append(dst, expectParts[i].close...)
	}
	dst = append(dst, "</layer4><meta>"...)
	if e.Has(ExpectHelper) {
		dst = appendTag(dst, "<helper-name>", e.Helper, "</helper-name>")
	}
	if e.Has(ExpectTimeout) {
		dst = appendNumTag(dst, "<timeout>", uint64(e.Timeout), "</timeout>")
	}
	if e.Has(ExpectClass) {
		dst = appendNumTag(dst, "<class>", uint64(e.Class), "</class>")
	}
	if e.Has(ExpectZone) {
		dst = appendNumTag(dst, "<zone>", uint64(e.Zone), "</zone>")
	}
	if o&OptTimestamp != 0 && e.Has(ExpectEventTime) {
		dst = appendWhen(dst, e.EventTime, loc)
	}
	for i, tag := range [...]string{"<permanent/>", "<inactive/>", "<userspace/>"} {
		if e.Flags&(1<<i) != 0 {
			dst = append(dst, tag...)
		}
	}
	return append(dst, "</meta></flow>\n"...), nil
}
