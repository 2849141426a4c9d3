package format

import (
	"sync"
	"time"
)

// parser reads the records of every text format, a line at a time. Each
// format's grammar, of its flows and of its expectations, is a set of the
// parser's methods in a file of its own, on the cursor they share:
//
//	kv.go, kvappend.go   the key=value lines that proc, iplegacy, conntrack and conntrackd share
//	proc.go              /proc/net/nf_conntrack_expect, and ip_conntrack's expectations
//	conntrack.go         what conntrack's text adds to the key=value lines; its expectations
//	conntrackd.go        what conntrackd's dumps add to conntrack's text and XML
//	xml.go               conntrack's XML, of flows and of expectations
//	save.go              conntrack's -o save and restore
//	stats.go             the table's counters
//	kvlayout.go          a pasted line laid out again as its producer prints it
//
// Its fields are the state of the line being read; what one grammar alone
// keeps is of a type of that grammar's file.
type parser struct {
	cursor
	d      *dialect // the key=value dialect of the line
	strict bool
	family bool   // the line gave the family, or the first address did
	l4     l4Part // the layer-4 part of the tuples, as the header gives it (kv.go)
	old    [4]string
	xbuf   []byte         // the line's extras, encoded as in Extras
	in     *interner      // strings seen before; nil to allocate each
	loc    *time.Location // the zone of conntrack's local times
	opts   Options        // conntrack's -o options that the lines show
	older  bool           // read older producers' layouts too (see parseExpectOlder)
	cache  bool           // the XML is conntrackd's: -e's reply is an empty shell (xml.go)
	head   statsHead      // the last header of /proc/net/stat/nf_conntrack (stats.go)
}

// parseLine parses a whole line of format fm into f: as the producer
// printed it, or else, unless strict, laid out again as the producer would
// have printed it (see relayout).
func (p *parser) parseLine(fm Format, line []byte, f *Flow) error {
	if len(f.Secctx)|len(f.Helper)|len(f.Labels)|len(f.Progname) != 0 {
		// What p.old held before is as good: intern compares text.
		p.old = [4]string{f.Secctx, f.Helper, f.Labels, f.Progname}
	}
	oldExtras := f.Extras
	p.relaid = false
	opts := p.opts
	err := p.parseLine1(fm, line, f, oldExtras)
	if err != nil && p.relays(fm, line) {
		p.opts = opts
		err = p.parseLine1(fm, p.relay(line), f, oldExtras)
		p.lay.src = nil
	}
	if err != nil {
		p.opts = opts // what a bad line seemed to show, it did not
	}
	return err
}

// relays reports whether a line of format fm that failed to parse is to
// be parsed again in its producer's layout, which relayout then made.
func (p *parser) relays(fm Format, line []byte) bool {
	return !p.strict && !fm.isXML() && p.layout().relayout(fm, line)
}

// layout returns the buffers in which the parser lays out a line again,
// which it takes from layouts the first time it needs them: most lines
// need none.
func (p *parser) layout() *layout {
	if p.lay == nil {
		p.lay = layouts.Get().(*layout)
	}
	return p.lay
}

var layouts = sync.Pool{New: func() any { return new(layout) }}

// release gives back the buffers that a parser of Dialect's methods took.
func (p *parser) release() {
	if p.lay != nil {
		p.lay.src = nil
		layouts.Put(p.lay)
		p.lay = nil
	}
}

// relay returns the line that p.lay laid line out as, to be parsed in its
// place, and points the cursor's errors at line.
func (p *parser) relay(line []byte) []byte {
	p.lay.src, p.relaid = line, true
	return p.lay.nbuf
}

func (p *parser) parseLine1(fm Format, line []byte, f *Flow, oldExtras Extras) error {
	p.line, p.pos, p.l4.opt = line, 0, false
	p.xbuf = p.xbuf[:0]
	*f = Flow{} // zeroed in place, where a literal with fields set is copied
	f.Fields, f.Status = FieldStatus, StatusConfirmed|StatusSeenReply
	var err error
	switch fm {
	case XML, ConntrackdXML:
		p.d = conntrackDialect // for what conntrack's formats share
		p.cache = fm == ConntrackdXML
		err = p.parseXML(f)
		p.cache = false
		if err == nil && fm == ConntrackdXML {
			err = p.cacheFlow(f)
		}
	case Save, Restore:
		p.d = conntrackDialect
		err = p.parseSave(f, fm == Restore)
	default:
		p.d = fm.dialect()
		if p.d == nil {
			return &ParseError{Err: ErrSyntax, Msg: "cannot parse format " + fm.String(), Text: string(line)}
		}
		p.family = p.d.l3 != l3Maybe
		if err = p.header(f); err == nil {
			err = p.body(f)
		}
	}
	if err != nil {
		return err
	}
	if fm == XML || fm == Conntrack || fm == Conntrackd || fm == ConntrackdXML {
		untrackedDCCP(f)
	}

	if len(p.xbuf) > 0 {
		if oldExtras.s == string(p.xbuf) {
			f.Extras = oldExtras
		} else {
			f.Extras = Extras{string(p.xbuf)}
		}
	}
	if err := p.check(f); err != nil {
		return err
	}
	// What a line of a key=value format holds, its printer prints: a
	// record it would refuse is one the producer never printed. (XML and
	// -o save show no offload, which excuses a TCP flow without its state:
	// their readers take what their printers may refuse.)
	if p.d != nil && fm.dialect() == p.d {
		err = p.d.complete(f)
	}
	if err != nil {
		return p.errAt(0, len(p.line), "", ErrMissing, err.(*printError).Msg)
	}
	return nil
}

// untrackedDCCP marks a DCCP flow of a kernel without the DCCP tracker
// (Linux 6.17 and later) as the kernel holds it: conntrack prints such a
// flow without a state and with ports 0, which the kernel does not have
// (/proc prints it as "unknown", -o save without ports, netlink sends none).
func untrackedDCCP(f *Flow) {
	if f.Proto == DCCP && !f.Has(FieldState) && f.Has(FieldL4) && f.Orig.SrcPort|f.Orig.DstPort|f.Reply.SrcPort|f.Reply.DstPort == 0 {
		f.Fields &^= FieldL4
		f.Quirks |= QuirkUnknownName
	}
}

// parseExpect parses one line of an expectation format into e, in the
// producer's layout or else laid out again, as parseLine does.
func (p *parser) parseExpect(fm Format, line []byte, e *Expect) error {
	if len(e.Helper)|len(e.Policy)|len(e.Progname) != 0 {
		p.old = [4]string{e.Helper, e.Policy, e.Progname, ""}
	}
	p.relaid = false
	opts := p.opts
	err := p.parseExpectOlder(fm, line, e)
	if err != nil && p.relays(fm, line) {
		p.opts = opts
		err = p.parseExpectOlder(fm, p.relay(line), e)
		p.lay.src = nil
	}
	if err != nil {
		p.opts = opts
	}
	return err
}

func (p *parser) parseExpect1(fm Format, line []byte, e *Expect) error {
	p.line, p.pos, p.dir = line, 0, ""
	*e = Expect{}
	e.Family = IPv4
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

// intern returns b as a string, reusing the flow's previous strings or the
// scanner's table when one holds it.
func (p *parser) intern(b []byte) string {
	for _, s := range p.old {
		if s == string(b) {
			return s
		}
	}
	return p.in.get(b)
}

// commonNames are strings that many tables hold, which get need not
// copy: the names of the kernel's helpers and of their expectation
// policies, and the security context of an unlabeled flow.
var commonNames = func() map[string]string {
	m := map[string]string{}
	for _, s := range [...]string{
		"amanda", "ftp", "irc", "netbios-ns", "pptp", "sane", "sip", "snmp", "tftp", "H.245", "Q.931", "RAS",
		"signalling", "audio", "video", "image",
		"system_u:object_r:unlabeled_t:s0",
	} {
		m[s] = s
	}
	return m
}()

// interner is a bounded table of strings seen before.
type interner struct {
	m    map[string]string
	size int
}

const maxInternBytes = 1 << 20

// get returns b as a string: one that in holds, one of commonNames, or a
// new one that in keeps while it has room. A nil in keeps none.
func (in *interner) get(b []byte) string {
	if in == nil {
		return newString(b)
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := newString(b)
	if in.size+len(s) <= maxInternBytes && commonNames[s] == "" {
		if in.m == nil {
			in.m = make(map[string]string)
		}
		in.m[s] = s
		in.size += len(s)
	}
	return s
}

// newString returns b as a string: one of commonNames, or a copy.
func newString(b []byte) string {
	if s, ok := commonNames[string(b)]; ok {
		return s
	}
	return string(b)
}
