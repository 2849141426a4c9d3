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
	// conntrack pads to 9 columns; other padding is read, and printed right.
	p.pos = end
	if p.pos == len(line) || line[p.pos] != ' ' {
		return p.errAt(p.pos, p.pos, "event", ErrSyntax, "expected a space after the event type")
	}
	p.pos++
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
// columns of conntrack -o extended.
func (p *parser) extended() bool {
	rest := p.line[p.pos:]
	return bytes.HasPrefix(rest, []byte("ipv4 ")) || bytes.HasPrefix(rest, []byte("ipv6 ")) ||
		bytes.HasPrefix(rest, []byte("unknown ")) && bytes.Count(rest[:bytes.IndexByte(rest, '=')+1], []byte(" ")) > 4
}

// ktime parses "[start=CTIME]" or "[stop=CTIME]" (conntrack -o ktimestamp).
func (p *parser) ktime(k *key) (uint64, error) {
	start := p.pos + len(k.s)
	end := bytes.IndexByte(p.line[start:], ']')
	if end < 0 {
		return 0, p.errAt(p.pos, len(p.line), k.field, ErrSyntax, "no ']' after "+k.s)
	}
	end += start
	ns, ok := parseCtime(p.line[start:end], p.loc)
	if !ok {
		return 0, p.errAt(start, end, k.field, ErrSyntax, "malformed time "+quote(p.line[start:end])+" (want ctime's form, as in Wed Nov 25 21:56:49 2026)")
	}
	p.pos = end + 1
	p.opts |= OptKTimestamp
	return ns, nil
}

// labelsEnd returns where the labels= value that starts at i ends: at the
// [USERSPACE] suffix or at the end of the line, as names may hold spaces.
func (p *parser) labelsEnd(i int) int {
	if j := bytes.Index(p.line[i:], []byte(" [USERSPACE]")); j >= 0 {
		return i + j
	}
	return len(p.line)
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
