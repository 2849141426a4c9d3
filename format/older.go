package format

import (
	"bytes"
	"errors"
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
//
// Each is read and printed by its format's grammar: ip_conntrack's layouts
// in proc.go, libnetfilter_conntrack's in conntrack.go.

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
