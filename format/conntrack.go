package format

import (
	"bytes"
	"math"

	"time"
)

// This file holds what conntrack's text (conntrack -L, -E, -G, -D) has that
// the kernel's lines lack: the event time and event type in front, the
// kernel timestamps, helper, id and labels, and the [USERSPACE] suffix.

var (
	kStart     = mkKey("[start=", "start")
	kStop      = mkKey("[stop=", "stop")
	kHelper    = mkKey("helper=", "helper")
	kLabels    = mkKey("labels", "labels")
	kUserspace = mkKey("[USERSPACE]", "userspace")
	kPortID    = mkKey("portid=", "portid")
	kProgname  = mkKey("progname=", "progname")

	// The keys of expectations.
	kMaskSrc    = mkKey("mask-src=", "mask-src")
	kMaskDst    = mkKey("mask-dst=", "mask-dst")
	kMasterSrc  = mkKey("master-src=", "master-src")
	kMasterDst  = mkKey("master-dst=", "master-dst")
	kClass      = mkKey("class=", "class")
	kExpectZone = mkKey("zone=", "zone")
)

// eventWords are the event prefixes, right-aligned in 9 columns (%9s).
var eventWords = [...]string{EventNew: "    [NEW] ", EventUpdate: " [UPDATE] ", EventDestroy: "[DESTROY] "}

// prefixes parses what conntrack prints before a record: the event time
// with -o timestamp, "[1795643845.298573]" and a TAB, then the event type.
func (p *parser) prefixes(f *Flow) error {
	line := p.line
	if len(line) > 1 && line[0] == '[' && line[1] >= '0' && line[1] <= '9' {
		if err := p.eventTime(f); err != nil {
			return err
		}
	}
	i := p.pos
	for i < len(line) && line[i] == ' ' {
		i++
	}
	if i == len(line) || line[i] != '[' {
		if i > p.pos {
			return p.errAt(p.pos, i, "event", ErrSyntax, "spaces before the record, but no event type")
		}
		return nil
	}
	end := bytes.IndexByte(line[i:], ']')
	if end < 0 {
		return p.errAt(i, len(line), "event", ErrSyntax, "unterminated "+quote(line[i:]))
	}
	end += i + 1
	switch string(line[i:end]) {
	case "[NEW]":
		f.Event = EventNew
	case "[UPDATE]":
		f.Event = EventUpdate
	case "[DESTROY]":
		f.Event = EventDestroy
	default:
		return p.errAt(i, end, "event", ErrUnknownName, "unknown event type "+quote(line[i:end])+" (want [NEW], [UPDATE] or [DESTROY])")
	}
	// conntrack pads it to 9 columns (%9s), and a space follows: a line
	// padded otherwise is laid out again, unless strict (relayout).
	w := eventWords[f.Event]
	if !bytes.HasPrefix(line[p.pos:], []byte(w)) {
		return p.errAt(p.pos, end, "event", ErrSyntax, "the event type is not right-aligned in 9 columns and followed by a space, as conntrack prints it ("+quote([]byte(w))+")")
	}
	p.pos += len(w)
	return nil
}

// eventTime parses "[SECONDS.MICROS]\t". conntrack pads the seconds to 8
// digits with zeros, and the microseconds to 6 with zeros, or, before 1.4.2
// and for expectations, left-aligned with spaces.
func (p *parser) eventTime(f *Flow) error {
	line := p.line
	end := bytes.IndexByte(line, ']')
	if end < 0 || end+1 == len(line) || line[end+1] != '\t' {
		return p.errAt(0, max(end+1, 1), "event time", ErrSyntax, "malformed time prefix (want [SECONDS.MICROSECONDS] and a TAB)")
	}
	v := line[1:end]
	dot := bytes.IndexByte(v, '.')
	if dot < 0 {
		return p.errAt(1, end, "event time", ErrSyntax, "no '.' in the time prefix")
	}
	sec, usec := v[:dot], v[dot+1:]
	n, ok := parseDigits(sec)
	if !ok || len(sec) < 8 || len(sec) > 8 && sec[0] == '0' {
		return p.errAt(1, 1+dot, "event time", ErrSyntax, "malformed seconds "+quote(sec)+" (want at least 8 digits)")
	}
	digits := bytes.TrimRight(usec, " ")
	spaced := len(digits) < len(usec)
	u, ok := parseDigits(digits)
	if !ok || len(usec) != 6 || spaced && len(digits) > 1 && digits[0] == '0' {
		return p.errAt(2+dot, end, "event time", ErrSyntax, "malformed microseconds "+quote(usec)+" (want 6 digits)")
	}
	if n > (math.MaxInt64-u)/1e6 {
		return p.errAt(1, end, "event time", ErrRange, "time "+quote(v)+" is out of range (event times, in microseconds, end in 294247)")
	}
	if spaced {
		f.Quirks |= QuirkSpacedMicros
	}
	f.EventTime = int64(n)*1e6 + int64(u)
	f.Fields |= FieldEventTime
	p.opts |= OptTimestamp
	p.pos = end + 2
	return nil
}

// parseDigits parses 1 to 18 decimal digits, leading zeros allowed.
func parseDigits(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// appendEventTime appends "[SECONDS.MICROS]" and a TAB.
func appendEventTime(dst []byte, f *Flow) []byte {
	sec, usec := f.EventTime/1e6, f.EventTime%1e6
	dst = append(dst, '[')
	dst = appendPadded(dst, uint64(sec), 8, '0')
	dst = append(dst, '.')
	if f.Quirks&QuirkSpacedMicros != 0 {
		n := len(dst)
		dst = appendUint(dst, uint64(usec))
		for len(dst)-n < 6 {
			dst = append(dst, ' ')
		}
	} else {
		dst = appendPadded(dst, uint64(usec), 6, '0')
	}
	return append(dst, ']', '\t')
}

// appendPadded appends n with at least width digits, padded on the left.
func appendPadded(dst []byte, n uint64, width int, pad byte) []byte {
	var b [20]byte
	d := appendUint(b[:0], n)
	for i := len(d); i < width; i++ {
		dst = append(dst, pad)
	}
	return append(dst, d...)
}

// extended reports whether the line goes on at the cursor with the family
// columns of conntrack -o extended: "unknown" is a family's name where a
// protocol's name follows its number ("unknown  2 tcp      6"), not a
// timeout ("unknown  47 599").
func (c *cursor) extended() bool {
	rest := c.line[c.pos:]
	if bytes.HasPrefix(rest, []byte("ipv4 ")) || bytes.HasPrefix(rest, []byte("ipv6 ")) {
		return true
	}
	rest, ok := bytes.CutPrefix(rest, []byte("unknown "))
	if !ok {
		return false
	}
	rest = bytes.TrimLeft(rest, " ")
	rest = bytes.TrimLeft(rest, "0123456789")
	rest = bytes.TrimLeft(rest, " ")
	name := bytes.TrimLeft(rest, "abcdefghijklmnopqrstuvwxyz0123456789")
	return len(name) < len(rest) && rest[0] >= 'a' && rest[0] <= 'z' && len(name) > 0 && name[0] == ' '
}

// ktime parses "[start=CTIME]" or "[stop=CTIME]" (conntrack -o ktimestamp).
func (p *parser) ktime(k *key) (uint64, error) {
	start := p.pos + len(k.s)
	end := bytes.IndexByte(p.line[start:], ']')
	if end < 0 {
		return 0, p.errAt(p.pos, len(p.line), k.field, ErrSyntax, "no ']' after "+k.s)
	}
	end += start
	sec, ok := parseCtime(p.line[start:end], p.loc)
	if !ok {
		return 0, p.errAt(start, end, k.field, ErrSyntax, "malformed time "+quote(p.line[start:end])+" (want ctime's form, as in Wed Nov 25 21:56:49 2026)")
	}
	if sec > math.MaxUint64/1_000_000_000 {
		return 0, p.errAt(start, end, k.field, ErrRange, "time "+quote(p.line[start:end])+" is out of range (the kernel's timestamps, in nanoseconds, end in July 2554)")
	}
	p.pos = end + 1
	p.opts |= OptKTimestamp
	return uint64(sec) * 1e9, nil
}

// labelsEnd returns where the labels= value that starts at i ends: at the
// [USERSPACE] suffix or at the end of the line, as names may hold spaces.
func (c *cursor) labelsEnd(i int) int {
	if j := bytes.Index(c.line[i:], []byte(" [USERSPACE]")); j >= 0 {
		return i + j
	}
	return len(c.line)
}

// labels parses "labels=NAME,NAME" (names may hold spaces), or the bare
// "labels" conntrack prints for label bits without names.
func (p *parser) labels(f *Flow) error {
	i := p.pos + len(kLabels.s)
	p.opts |= OptLabels
	switch {
	case i == len(p.line) || p.line[i] == ' ':
		p.pos = i
		f.Labels = ""
		return nil
	case p.line[i] != '=':
		end := p.tokenEnd(p.pos)
		return p.errAt(p.pos, end, "labels", ErrSyntax, "expected labels= or a bare labels, found "+quote(p.line[p.pos:end]))
	}
	i++
	end := p.labelsEnd(i)
	v := p.line[i:end]
	if len(v) == 0 {
		return p.errAt(p.pos, end, "labels", ErrSyntax, "empty value after labels=")
	}
	if err := p.text(v, i, "labels"); err != nil {
		return err
	}
	f.Labels = p.intern(v)
	if r := labelsProblem(f.Labels); r != "" {
		return p.errAt(i, end, "labels", ErrSyntax, r)
	}
	p.pos = end
	return nil
}

// userspace parses "[USERSPACE]", "portid=N" and "progname=NAME", the rest
// of the line, which conntrack adds to events that a process caused.
func (p *parser) userspace(f *Flow) error {
	p.pos += len(kUserspace.s)
	if p.pos+1 < len(p.line) && p.line[p.pos] == ' ' && kPortID.match(p.line[p.pos+1:]) {
		p.pos++
		n, err := p.uint(kPortID, math.MaxUint32)
		if err != nil {
			return err
		}
		f.PortID = uint32(n)
		f.Fields |= FieldPortID
	}
	if p.pos+1 < len(p.line) && p.line[p.pos] == ' ' && kProgname.match(p.line[p.pos+1:]) {
		i := p.pos + 1 + len(kProgname.s)
		v := p.line[i:]
		if len(v) == 0 {
			return p.errAt(p.pos+1, len(p.line), "progname", ErrSyntax, "empty value after progname=")
		}
		if err := p.text(v, i, "progname"); err != nil {
			return err
		}
		f.Progname = p.intern(v)
		f.Fields |= FieldProgname
		p.pos = len(p.line)
	}
	return nil
}

// appendLib appends the elements only conntrack prints, at slot s.
func appendLib(dst []byte, f *Flow, s Slot, o Options, loc *time.Location) []byte {
	switch s {
	case SlotStart:
		if o&OptKTimestamp != 0 && f.Has(FieldStart) {
			dst = append(dst, kStart.s...)
			dst = appendCtime(dst, f.Start, loc)
			dst = append(dst, "] "...)
		}
	case SlotStop:
		if o&OptKTimestamp != 0 && f.Has(FieldStop) {
			dst = append(dst, kStop.s...)
			dst = appendCtime(dst, f.Stop, loc)
			dst = append(dst, "] "...)
		}
	case SlotHelper:
		if f.Has(FieldHelper) {
			dst = append(dst, kHelper.s...)
			dst = append(dst, f.Helper...)
			dst = append(dst, ' ')
		}
	case SlotID:
		if o&OptID != 0 && f.Has(FieldID) {
			dst = appendKey(dst, "id=", uint64(f.ID))
		}
	case SlotLabels:
		if o&OptLabels != 0 && f.Has(FieldLabels) {
			dst = append(dst, kLabels.s...)
			if f.Labels != "" {
				dst = append(dst, '=')
				dst = append(dst, f.Labels...)
			}
			dst = append(dst, ' ')
		}
	case SlotUserspace:
		if f.Has(FieldUserspace) {
			dst = append(dst, kUserspace.s...)
			dst = append(dst, ' ')
			if f.Has(FieldPortID) {
				dst = appendKey(dst, "portid=", uint64(f.PortID))
			}
			if f.Has(FieldProgname) {
				dst = append(dst, kProgname.s...)
				dst = append(dst, f.Progname...)
				dst = append(dst, ' ')
			}
		}
	}
	return dst
}

// location returns loc, or time.Local if it is nil.
func location(loc *time.Location) *time.Location {
	if loc == nil {
		return time.Local
	}
	return loc
}

// Expectations, as conntrack -L expect and -E expect print them: the
// tuples of the key=value lines, with conntrack's prefixes and suffix.

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
	if err := p.expectZone(e); err != nil {
		return err
	}
	if err := p.expectFlags(e, p.older); err != nil {
		return err
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

// expectZone parses "zone=N" and the blank after it, where the line goes
// on with them.
func (p *parser) expectZone(e *Expect) error {
	if !p.at(kExpectZone) {
		return nil
	}
	n, err := p.expectDigits("zone", math.MaxUint16)
	if err != nil {
		return err
	}
	e.Zone, e.Fields = uint16(n), e.Fields|ExpectZone
	return p.sep(&e.Quirks)
}

// expectFlags parses the flags and the blank after them, where the line
// goes on with them; with glue, also flags glued to "helper=", as
// libnetfilter_conntrack 1.0.0 printed them.
func (p *parser) expectFlags(e *Expect, glue bool) error {
	if p.pos == len(p.line) || p.line[p.pos] < 'A' || p.line[p.pos] > 'Z' {
		return nil
	}
	end := p.tokenEnd(p.pos)
	fl, ok := parseExpectFlags(p.line[p.pos:end])
	glued := false
	if !ok && glue {
		end, glued = p.gluedHelper(end)
		fl, ok = parseExpectFlags(p.line[p.pos:end])
	}
	if !ok {
		return p.errAt(p.pos, end, "flags", ErrUnknownName, "unknown flags "+quote(p.line[p.pos:end]))
	}
	e.Flags, e.Fields, p.pos = fl, e.Fields|ExpectFlagsSet, end
	if glued {
		e.Quirks |= QuirkOldLibnfct
		return nil
	}
	return p.sep(&e.Quirks)
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

// The layouts of older libnetfilter_conntrack (see older.go).

// libnfct09Tail parses what follows the expected tuple in the layout of
// libnetfilter_conntrack 0.9.1 and before, which printed neither mask nor
// master, nor class nor helper: the zone and the flags (0.9.1).
func (p *parser) libnfct09Tail(e *Expect) error {
	e.Quirks |= QuirkOldLibnfct
	if !e.Has(ExpectTimeout) { // which it always printed
		return p.errAt(p.pos, p.tokenEnd(p.pos), "mask-src", ErrMissing, "no mask-src=, in a line without a timeout")
	}
	if err := p.expectZone(e); err != nil {
		return err
	}
	if err := p.expectFlags(e, false); err != nil {
		return err
	}
	if p.pos != len(p.line) {
		end := p.tokenEnd(p.pos)
		return p.errAt(p.pos, end, "", ErrSyntax, "unexpected "+quote(p.line[p.pos:end])+" (a line without mask and master, as libnetfilter_conntrack 0.9 printed it, ends with the zone and the flags)")
	}
	return nil
}

// gluedHelper returns the end of the flags in the token at the cursor,
// which ends at end, where libnetfilter_conntrack 1.0.0 glued "helper=" to
// them ("PERMANENThelper=sip"), and whether it did.
func (c *cursor) gluedHelper(end int) (int, bool) {
	if i := bytes.Index(c.line[c.pos:end], []byte("helper=")); i > 0 {
		return c.pos + i, true
	}
	return end, false
}

// libnfct09Layout reports whether e prints in the layout of
// libnetfilter_conntrack 0.9.1 and before: it has QuirkOldLibnfct, neither
// mask nor master, and nothing that the layout lacks.
func libnfct09Layout(e *Expect) bool {
	return e.Quirks&QuirkOldLibnfct != 0 && e.Fields&(ExpectMask|ExpectMaster) == 0 && e.Has(ExpectTimeout) &&
		e.Fields&(ExpectClass|ExpectHelper|ExpectPolicy|ExpectUserspace) == 0
}
