package format

import (
	"bytes"
	"math"
	"strconv"
)

// The kernel's own listing of its expectations,
// /proc/net/nf_conntrack_expect: its flows are the key=value lines of
// kv.go, in procDialect. Before 2.6.22, /proc/net/ip_conntrack_expect (and
// 2.4's EXPECTING: lines of /proc/net/ip_conntrack) printed them in layouts
// of their own, read and printed here too (see older.go).

var kL3proto = mkKey("l3proto = ", "l3proto")

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

// The layouts of ip_conntrack (see older.go).

var expecting = []byte("EXPECTING: ")

// ipConntrackExpect reports whether the line is one of ip_conntrack's
// layouts: it starts with "EXPECTING: ", which it moves past, or has no
// "l3proto = " after its timeout. It gives e the layout's quirk.
func (p *parser) ipConntrackExpect(e *Expect) bool {
	if bytes.HasPrefix(p.line, expecting) {
		e.Quirks |= QuirkExpecting
		p.pos = len(expecting)
		return true
	}
	if end := p.tokenEnd(0); end+1 >= len(p.line) || kL3proto.match(p.line[end+1:]) {
		return false // today's layout, or none: procExpect says what is wrong
	}
	e.Quirks |= QuirkNoL3proto
	return true
}

// ipConntrackTuple parses the rest of a line that ipConntrackExpect
// started: the timeout, use= on 2.4.32's EXPECTING: lines, the protocol and
// the tuple with its trailing space, which ends the line.
func (p *parser) ipConntrackTuple(e *Expect) error {
	p.d = legacyDialect // IPv4 only, as ip_conntrack
	p.family = true
	if e.Quirks&QuirkExpecting == 0 || !kProto.match(p.line[p.pos:]) { // 2.4.0's EXPECTING: has neither
		if !p.opt("- ") {
			end := p.tokenEnd(p.pos)
			t, er := parseInt(p.line[p.pos:end], math.MinInt64, math.MaxInt64)
			if er != numOK {
				return p.numErr(p.line[p.pos:end], p.pos, "timeout", er, true, "seconds, or - for none")
			}
			e.Timeout, e.Fields, p.pos = t, e.Fields|ExpectTimeout, end
			if err := p.lit(" "); err != nil {
				return err
			}
		}
		if e.Quirks&QuirkExpecting != 0 {
			n, err := p.uint(kUse, math.MaxUint32)
			if err != nil {
				return err
			}
			e.Use, e.Fields = uint32(n), e.Fields|ExpectUse
			if err := p.lit(" "); err != nil {
				return err
			}
		}
	}
	if err := p.procTuple(e); err != nil {
		return err
	}
	if p.pos != len(p.line) {
		end := p.tokenEnd(p.pos)
		return p.errAt(p.pos, end, "", ErrSyntax, "unexpected "+quote(p.line[p.pos:end])+" after the tuple, which ends ip_conntrack's expectation lines")
	}
	return nil
}

// ipConntrackLayout reports whether e, with QuirkNoL3proto or
// QuirkExpecting, has nothing that its ip_conntrack layout lacks, and so
// prints in it.
func ipConntrackLayout(e *Expect) bool {
	switch {
	case e.Family != IPv4 || e.Flags != 0 || e.Fields&(ExpectHelper|ExpectPolicy) != 0:
		return false
	case e.Quirks&QuirkExpecting != 0:
		return e.Has(ExpectUse) || !e.Has(ExpectTimeout) // 2.4.32, or 2.4.0
	}
	return e.Quirks&QuirkNoL3proto != 0
}

// appendIPConntrackExpect appends e in the ip_conntrack layout its quirk
// names; see ipConntrackLayout.
func appendIPConntrackExpect(dst []byte, e *Expect) []byte {
	if e.Quirks&QuirkExpecting != 0 {
		dst = append(dst, expecting...)
	}
	if e.Quirks&QuirkExpecting == 0 || e.Has(ExpectUse) {
		if e.Has(ExpectTimeout) {
			dst = strconv.AppendInt(dst, e.Timeout, 10)
			dst = append(dst, ' ')
		} else {
			dst = append(dst, "- "...)
		}
	}
	if e.Has(ExpectUse) && e.Quirks&QuirkExpecting != 0 {
		dst = appendKey(dst, "use=", uint64(e.Use))
	}
	dst = appendKey(dst, "proto=", uint64(e.Proto))
	dst = procDialect.appendTuple(dst, &Flow{Fields: FieldL4, Proto: e.Proto}, &e.Tuple)
	return append(dst, '\n')
}
