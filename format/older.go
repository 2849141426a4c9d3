package format

import (
	"bytes"
	"errors"
	"math"
	"strconv"
)

// Older producers printed expectations in layouts of their own
// (docs/OLDER-PRODUCERS.md). A parser reads a line in today's layout
// first, and only when that fails in the older ones of the same format,
// so that today's lines cost nothing more; a record read in one has the
// quirk that names it, and prints in it again.
//
//	format            producer                                  layout                                              quirk
//	conntrack-expect  libnetfilter_conntrack ≤ 0.9.1            TIMEOUT proto=N TUPLE [zone=N] [FLAGS]              QuirkOldLibnfct, no mask, no master
//	conntrack-expect  libnetfilter_conntrack 1.0.0              ... master-src=... [zone=N ]FLAGShelper=NAME        QuirkOldLibnfct
//	proc-expect       /proc/net/ip_conntrack_expect (< 2.6.22)  TIMEOUT|- proto=N TUPLE␠                            QuirkNoL3proto
//	proc-expect       /proc/net/ip_conntrack of 2.4.0           EXPECTING: proto=N TUPLE␠                           QuirkExpecting
//	proc-expect       /proc/net/ip_conntrack of 2.4.32          EXPECTING: TIMEOUT|- use=N proto=N TUPLE␠           QuirkExpecting, ExpectUse
//
// The ip_conntrack layouts are of proc-expect: the kernel's own listing of
// its expectations, IPv4 only, with the tuple as /proc prints it. A 2.4
// /proc/net/ip_conntrack lists its EXPECTING: lines after its connections;
// a Scanner reading one format passes over, and counts, the lines of the
// other (see Scanner.Others).

var expecting = []byte("EXPECTING: ")

// parseExpectOlder parses line in today's layout of format fm, or else in
// an older producer's. Where neither reads it, the error is the one that
// got further into the line: the layout the line is damaged in.
func (p *parser) parseExpectOlder(fm Format, line []byte, e *Expect) error {
	opts := p.opts
	err := p.parseExpect1(fm, line, e)
	if err == nil || fm.isXML() {
		return err
	}
	p.opts, p.older = opts, true
	old := p.parseExpect1(fm, line, e)
	p.older = false
	if old == nil {
		return nil
	}
	if po, ok := old.(*ParseError); ok {
		if pe, ok := err.(*ParseError); ok && po.Col > pe.Col {
			return old
		}
	}
	return err
}

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

// libnfct09Tail parses what follows the expected tuple in the layout of
// libnetfilter_conntrack 0.9.1 and before, which printed neither mask nor
// master, nor class nor helper: the zone and the flags (0.9.1).
func (p *parser) libnfct09Tail(e *Expect) error {
	e.Quirks |= QuirkOldLibnfct
	if !e.Has(ExpectTimeout) { // which it always printed
		return p.errAt(p.pos, p.tokenEnd(p.pos), "mask-src", ErrMissing, "no mask-src=, in a line without a timeout")
	}
	if p.at(kExpectZone) {
		n, err := p.expectDigits("zone", math.MaxUint16)
		if err != nil {
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
		if !ok {
			return p.errAt(p.pos, end, "flags", ErrUnknownName, "unknown flags "+quote(p.line[p.pos:end]))
		}
		e.Flags, e.Fields, p.pos = fl, e.Fields|ExpectFlagsSet, end
		if err := p.sep(&e.Quirks); err != nil {
			return err
		}
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
func (p *parser) gluedHelper(end int) (int, bool) {
	if i := bytes.Index(p.line[p.pos:end], []byte("helper=")); i > 0 {
		return p.pos + i, true
	}
	return end, false
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

// libnfct09Layout reports whether e prints in the layout of
// libnetfilter_conntrack 0.9.1 and before: it has QuirkOldLibnfct, neither
// mask nor master, and nothing that the layout lacks.
func libnfct09Layout(e *Expect) bool {
	return e.Quirks&QuirkOldLibnfct != 0 && e.Fields&(ExpectMask|ExpectMaster) == 0 && e.Has(ExpectTimeout) &&
		e.Fields&(ExpectClass|ExpectHelper|ExpectPolicy|ExpectUserspace) == 0
}

// mixed is what a Scanner keeps of the records of the other kind that it
// passes over: a 2.4 kernel's /proc/net/ip_conntrack lists its
// expectations as EXPECTING: lines after its connections.
type mixed struct {
	n int     // how many were passed over
	f *Flow   // where they are read, to be checked
	e *Expect // where they are read, to be checked
}

// passOver reports whether line, which failed to parse as a record of the
// kind the Scanner reads, is a record of the other kind that the same file
// holds, and counts it: in a scan of iplegacy's flows, a 2.4 EXPECTING:
// line; in a scan of proc-expect's expectations, a 2.4 connection line
// (which ends with a space). A line that starts as EXPECTING: but does not
// read is bad: *perr becomes its error, in that layout.
func (s *Scanner) passOver(line []byte, expect bool, perr **ParseError) bool {
	var err error
	switch {
	case s.dec != nil:
		return false
	case !expect && s.format == IPLegacy && bytes.HasPrefix(skipBlanks(line), expecting):
		if s.mixed.e == nil {
			s.mixed.e = new(Expect)
		}
		s.ps.Format = ProcExpect
		if err = s.ps.ParseExpect(line, s.mixed.e); err != nil {
			*perr = asParseError(err, line)
		}
	case expect && s.format == ProcExpect && !bytes.HasPrefix(skipBlanks(line), expecting):
		if s.mixed.f == nil {
			s.mixed.f = new(Flow)
		}
		s.ps.Format = IPLegacy
		if err = s.ps.Parse(line, s.mixed.f); err == nil && s.mixed.f.Quirks&QuirkTrailingSpace == 0 {
			err = errNotMixed // not of a 2.4 kernel: perr, of proc-expect, says what is wrong
		}
	default:
		return false
	}
	s.ps.Format = s.format
	if err != nil {
		return false
	}
	s.mixed.n++
	return true
}

var errNotMixed = errors.New("not a line of a file that lists both kinds")

// Others returns the number of lines passed over that hold records of the
// other kind, which the same file lists: a 2.4 kernel's
// /proc/net/ip_conntrack has its expectations on EXPECTING: lines after its
// connections. Flows over such a file (iplegacy) reads the connections and
// counts the EXPECTING: lines here; Expects with ProcExpect reads the
// EXPECTING: lines and counts the connections. Each line is read to be
// counted: one that does not read in its layout is a bad line.
func (s *Scanner) Others() int { return s.mixed.n }
