package format

import (
	"bytes"
	"math"
	"net/netip"
	"strconv"
	"time"
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
		name, rest, _ := bytes.Cut(b, []byte(","))
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

var (
	kL3proto    = mkKey("l3proto = ", "l3proto")
	kProto      = mkKey("proto=", "proto")
	kMaskSrc    = mkKey("mask-src=", "mask-src")
	kMaskDst    = mkKey("mask-dst=", "mask-dst")
	kMasterSrc  = mkKey("master-src=", "master-src")
	kMasterDst  = mkKey("master-dst=", "master-dst")
	kClass      = mkKey("class=", "class")
	kExpectZone = mkKey("zone=", "zone")
)

// parseExpect parses one line of an expectation format into e, in the
// producer's layout or else laid out again, as parseLine does.
func (p *parser) parseExpect(fm Format, line []byte, e *Expect) error {
	p.old = [4]string{e.Helper, e.Policy, e.Progname, ""}
	p.relaid = false
	opts := p.opts
	err := p.parseExpectOlder(fm, line, e)
	if err != nil && p.relays(fm, line) {
		p.opts = opts
		p.src, p.relaid = line, true
		err = p.parseExpectOlder(fm, p.nbuf, e)
		p.src = nil
	}
	if err != nil {
		p.opts = opts
	}
	return err
}

func (p *parser) parseExpect1(fm Format, line []byte, e *Expect) error {
	p.line, p.pos, p.dir = line, 0, ""
	*e = Expect{Family: IPv4}
	switch fm {
	case ProcExpect:
		p.d = procDialect
		return p.procExpect(e)
	case ConntrackExpect:
		p.d = conntrackDialect
		return p.conntrackExpect(e)
	case ConntrackdExpect, ConntrackdXMLExpect:
		p.d = conntrackDialect
		return p.cacheExpect(fm, e)
	}
	p.d = conntrackDialect
	return p.xmlExpect(e)
}

// procExpect parses a line of /proc/net/nf_conntrack_expect:
// "297 l3proto = 2 proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=10000 ftp".
func (p *parser) procExpect(e *Expect) error {
	if p.older && p.ipConntrackExpect(e) {
		return p.ipConntrackTuple(e)
	}
	if p.opt("- ") { // no timer
	} else {
		end := p.tokenEnd(0)
		t, er := parseInt(p.line[:end], math.MinInt64, math.MaxInt64)
		if er != numOK {
			return p.numErr(p.line[:end], 0, "timeout", er, true, "seconds, or - for none")
		}
		e.Timeout, e.Fields, p.pos = t, e.Fields|ExpectTimeout, end
		if err := p.lit(" "); err != nil {
			return err
		}
	}
	n, err := p.uint(kL3proto, math.MaxUint8)
	if err != nil {
		return err
	}
	if e.Family = Family(n); e.Family != IPv4 && e.Family != IPv6 {
		return p.errAt(p.pos-len(itoa(n)), p.pos, "l3proto", ErrUnknownName, "layer-3 protocol "+itoa(n)+" is not IPv4 (2) or IPv6 (10)")
	}
	p.family = true
	if err := p.lit(" "); err != nil {
		return err
	}
	if err := p.procTuple(e); err != nil {
		return err
	}
	// Then the flags, a space if there were flags, and the helper with its
	// policy.
	rest := p.line[p.pos:]
	if len(rest) > 0 && rest[0] >= 'A' && rest[0] <= 'Z' {
		end := p.tokenEnd(p.pos)
		fl, ok := parseExpectFlags(p.line[p.pos:end])
		if !ok {
			return p.errAt(p.pos, end, "flags", ErrUnknownName, "unknown flags "+quote(p.line[p.pos:end])+" (want PERMANENT, INACTIVE, USERSPACE, comma-joined in that order)")
		}
		e.Flags, e.Fields, p.pos = fl, e.Fields|ExpectFlagsSet, end
		if p.pos == len(p.line) {
			return nil
		}
		if err := p.lit(" "); err != nil {
			return err
		}
	}
	if p.pos == len(p.line) {
		if e.Has(ExpectFlagsSet) {
			return p.errAt(p.pos-1, p.pos, "", ErrSyntax, "trailing space after the flags")
		}
		return nil // no helper: the line ends with the tuple's space
	}
	name := p.line[p.pos:]
	helper, policy, hasPolicy := bytes.Cut(name, []byte("/"))
	if err := p.text(name, p.pos, "helper"); err != nil {
		return err
	}
	if len(helper) == 0 || bytes.IndexByte(name, ' ') >= 0 || hasPolicy && len(policy) == 0 {
		return p.errAt(p.pos, len(p.line), "helper", ErrSyntax, "malformed helper "+quote(name)+" (want NAME or NAME/POLICY)")
	}
	e.Helper, e.Fields = p.intern(helper), e.Fields|ExpectHelper
	if hasPolicy {
		e.Policy, e.Fields = p.intern(policy), e.Fields|ExpectPolicy
	}
	p.pos = len(p.line)
	return nil
}

// procTuple parses "proto=N " and the expected tuple as /proc prints it,
// with the space that ends it.
func (p *parser) procTuple(e *Expect) error {
	n, err := p.uint(kProto, math.MaxUint8)
	if err != nil {
		return err
	}
	e.Proto = Proto(n)
	if err := p.lit(" "); err != nil {
		return err
	}
	if err := p.expectTuple(e, &e.Tuple, kSrc, kDst, e.Proto.Layer4()); err != nil {
		return err
	}
	return p.lit(" ")
}

// expectTuple parses "SRC DST" and the layer-4 part of the given kind, with
// the keys given for the addresses.
func (p *parser) expectTuple(e *Expect, t *Tuple, src, dst *key, kind Layer4) error {
	var err error
	if t.Src, err = p.addr(&e.Family, src); err != nil {
		return err
	}
	if err = p.sep(&e.Quirks); err != nil {
		return err
	}
	if t.Dst, err = p.addr(&e.Family, dst); err != nil {
		return err
	}
	return p.l4part(kind, t, &e.Quirks)
}

// conntrackExpect parses a line of conntrack -L expect or -E expect.
func (p *parser) conntrackExpect(e *Expect) error {
	var f Flow // the prefixes' fields
	if err := p.prefixes(&f); err != nil {
		return err
	}
	e.Event, e.EventTime = f.Event, f.EventTime
	if f.Has(FieldEventTime) {
		e.Fields |= ExpectEventTime
		if f.Quirks&QuirkSpacedMicros == 0 && f.EventTime%1e6 < 1e5 {
			return p.errAt(0, p.pos, "event time", ErrSyntax, "zero-padded microseconds, which conntrack does not print for expectations")
		}
	}
	p.family = false
	if p.pos < len(p.line) && p.line[p.pos] >= '0' && p.line[p.pos] <= '9' {
		end := p.tokenEnd(p.pos)
		t, er := parseUint(p.line[p.pos:end], math.MaxUint32)
		if er != numOK {
			return p.numErr(p.line[p.pos:end], p.pos, "timeout", er, false, "seconds")
		}
		e.Timeout, e.Fields, p.pos = int64(t), e.Fields|ExpectTimeout, end
		if err := p.sep(&e.Quirks); err != nil {
			return err
		}
	}
	n, err := p.uint(kProto, math.MaxUint8)
	if err != nil {
		return err
	}
	e.Proto = Proto(n)
	if err := p.sep(&e.Quirks); err != nil {
		return err
	}
	if err := p.expectTuple(e, &e.Tuple, kSrc, kDst, e.Proto.Layer4()); err != nil {
		return err
	}
	if err := p.sep(&e.Quirks); err != nil {
		return err
	}
	if p.older && !kMaskSrc.match(p.line[p.pos:]) {
		return p.libnfct09Tail(e)
	}
	if err := p.expectTuple(e, &e.Mask, kMaskSrc, kMaskDst, e.Proto.Layer4()); err != nil {
		return err
	}
	e.Fields |= ExpectMask
	if err := p.sep(&e.Quirks); err != nil {
		return err
	}
	// The master's layer-4 part is of the master's protocol, which the line
	// does not name: its first key tells.
	if err := p.expectTuple(e, &e.Master, kMasterSrc, kMasterDst, L4None); err != nil {
		return err
	}
	if p.pos+1 < len(p.line) {
		for _, k := range [...]Layer4{L4Ports, L4Keys, L4ICMP} {
			if bytes.HasPrefix(p.line[p.pos+1:], l4FirstKey(k)) {
				e.MasterL4 = k
				if err := p.l4part(k, &e.Master, &e.Quirks); err != nil {
					return err
				}
				break
			}
		}
	}
	e.Fields |= ExpectMaster
	if err := p.sep(&e.Quirks); err != nil {
		return err
	}
	if p.at(kExpectZone) {
		if n, err = p.expectDigits("zone", math.MaxUint16); err != nil {
			return err
		}
		e.Zone, e.Fields = uint16(n), e.Fields|ExpectZone
		if err := p.sep(&e.Quirks); err != nil {
			return err
		}
	}
	if p.pos < len(p.line) && p.line[p.pos] >= 'A' && p.line[p.pos] <= 'Z' {
		end := p.tokenEnd(p.pos)
		fl, ok := parseExpectFlags(p.line[p.pos:end])
		glued := false
		if !ok && p.older {
			end, glued = p.gluedHelper(end)
			fl, ok = parseExpectFlags(p.line[p.pos:end])
		}
		if !ok {
			return p.errAt(p.pos, end, "flags", ErrUnknownName, "unknown flags "+quote(p.line[p.pos:end]))
		}
		e.Flags, e.Fields, p.pos = fl, e.Fields|ExpectFlagsSet, end
		if glued {
			e.Quirks |= QuirkOldLibnfct
		} else if err := p.sep(&e.Quirks); err != nil {
			return err
		}
	}
	if p.at(kClass) {
		if n, err = p.expectDigits("class", math.MaxUint32); err != nil {
			return err
		}
		e.Class, e.Fields = uint32(n), e.Fields|ExpectClass
		if err := p.sep(&e.Quirks); err != nil {
			return err
		}
	}
	if kHelper.match(p.line[p.pos:]) {
		v, at, err := p.value(kHelper)
		if err != nil {
			return err
		}
		if err := p.text(v, at, "helper"); err != nil {
			return err
		}
		e.Helper, e.Fields = p.intern(v), e.Fields|ExpectHelper
		if err := p.sep(&e.Quirks); err != nil {
			return err
		}
	}
	if p.pos < len(p.line) && kUserspace.match(p.line[p.pos:]) {
		var g Flow
		if err := p.userspace(&g); err != nil {
			return err
		}
		e.Fields |= ExpectUserspace
		if g.Has(FieldPortID) {
			e.PortID, e.Fields = g.PortID, e.Fields|ExpectPortID
		}
		if g.Has(FieldProgname) {
			e.Progname, e.Fields = g.Progname, e.Fields|ExpectProgname
		}
	}
	if p.pos != len(p.line) {
		end := p.tokenEnd(p.pos)
		return p.errAt(p.pos, end, "", ErrSyntax, "unexpected "+quote(p.line[p.pos:end]))
	}
	return nil
}

// expectDigits parses the digits of a value whose key the caller matched.
func (p *parser) expectDigits(field string, max uint64) (uint64, error) {
	at := p.pos
	end := p.tokenEnd(at)
	n, er := parseUint(p.line[at:end], max)
	if er != numOK {
		return 0, p.numErr(p.line[at:end], at, field, er, false, "0 to "+itoa(max))
	}
	p.pos = end
	return n, nil
}

// xmlExpect parses one <flow> record of conntrack -L expect -o xml.
func (p *parser) xmlExpect(e *Expect) error {
	if err := p.lit("<flow"); err != nil {
		return err
	}
	switch {
	case p.opt(">"):
	case p.opt(` type="new">`):
		e.Event = EventNew
	case p.opt(` type="update">`):
		e.Event = EventUpdate
	case p.opt(` type="destroy">`):
		e.Event = EventDestroy
	default:
		return p.xmlErr(`>, or a type of "new", "update" or "destroy"`)
	}
	if err := p.lit(`<layer3 protonum="`); err != nil {
		return err
	}
	switch {
	case p.opt(`2" protoname="ipv4">`):
	case p.opt(`10" protoname="ipv6">`):
		e.Family = IPv6
	default:
		return p.xmlErr(`2" protoname="ipv4"> or 10" protoname="ipv6">`)
	}
	f := Flow{Family: e.Family}
	var err error
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
		return p.xmlErr("the end of the line")
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

// appendProcExpect appends e as a line of /proc/net/nf_conntrack_expect.
func appendProcExpect(dst []byte, e *Expect) ([]byte, error) {
	if err := expectPrintable(ProcExpect, e); err != nil {
		return dst, err
	}
	if e.Quirks&(QuirkNoL3proto|QuirkExpecting) != 0 && ipConntrackLayout(e) {
		return appendIPConntrackExpect(dst, e), nil
	}
	if e.Has(ExpectTimeout) {
		dst = strconv.AppendInt(dst, e.Timeout, 10)
		dst = append(dst, ' ')
	} else {
		dst = append(dst, "- "...)
	}
	dst = appendKey(dst, "l3proto = ", uint64(e.Family))
	dst = appendKey(dst, "proto=", uint64(e.Proto))
	dst = procDialect.appendTuple(dst, &Flow{Fields: FieldL4, Proto: e.Proto}, &e.Tuple)
	if e.Flags != 0 {
		dst = appendExpectFlags(dst, e.Flags)
	}
	if e.Has(ExpectHelper) {
		if e.Flags != 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, e.Helper...)
		if e.Has(ExpectPolicy) {
			dst = append(dst, '/')
			dst = append(dst, e.Policy...)
		}
	}
	return append(dst, '\n'), nil
}

// appendConntrackExpect appends e as conntrack -L expect (or -E expect)
// prints it.
func appendConntrackExpect(dst []byte, e *Expect, fm Format, o Options) ([]byte, error) {
	if err := expectPrintable(fm, e); err != nil {
		return dst, err
	}
	if o&OptTimestamp != 0 && e.Has(ExpectEventTime) {
		dst = appendEventTime(dst, &Flow{EventTime: e.EventTime, Quirks: QuirkSpacedMicros})
	}
	if e.Event != EventNone {
		dst = append(dst, eventWords[e.Event]...)
	}
	if e.Has(ExpectTimeout) {
		dst = appendKey(dst, "", uint64(e.Timeout))
	}
	dst = appendKey(dst, "proto=", uint64(e.Proto))
	dst = appendExpectTuple(dst, "src=", " dst=", &e.Tuple, e.Proto.Layer4())
	if e.Has(ExpectMask) {
		dst = appendExpectTuple(dst, "mask-src=", " mask-dst=", &e.Mask, e.Proto.Layer4())
	}
	if e.Has(ExpectMaster) {
		dst = appendExpectTuple(dst, "master-src=", " master-dst=", &e.Master, e.MasterL4)
	}
	if e.Has(ExpectZone) {
		dst = appendKey(dst, "zone=", uint64(e.Zone))
	}
	if e.Flags != 0 {
		dst = appendExpectFlags(dst, e.Flags)
		// libnetfilter_conntrack 1.0.0 printed no space before helper=.
		if e.Quirks&QuirkOldLibnfct == 0 || e.Fields&(ExpectHelper|ExpectClass) != ExpectHelper || !e.Has(ExpectMask) {
			dst = append(dst, ' ')
		}
	}
	if e.Has(ExpectClass) {
		dst = appendKey(dst, "class=", uint64(e.Class))
	}
	if e.Has(ExpectHelper) {
		dst = append(dst, "helper="...)
		dst = append(dst, e.Helper...)
		dst = append(dst, ' ')
	}
	if e.Has(ExpectUserspace) {
		f := Flow{Fields: FieldUserspace, PortID: e.PortID, Progname: e.Progname}
		if e.Has(ExpectPortID) {
			f.Fields |= FieldPortID
		}
		if e.Has(ExpectProgname) {
			f.Fields |= FieldProgname
		}
		dst = appendLib(dst, &f, SlotUserspace, o, nil)
	}
	return append(dst[:len(dst)-1], '\n'), nil
}

func appendExpectTuple(dst []byte, src, dstKey string, t *Tuple, kind Layer4) []byte {
	dst = append(dst, src...)
	dst = appendLibAddr(dst, t.Src)
	dst = append(dst, dstKey...)
	dst = appendLibAddr(dst, t.Dst)
	dst = append(dst, ' ')
	return appendL4(dst, kind, t)
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

func expectPrintable(fm Format, e *Expect) error {
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
