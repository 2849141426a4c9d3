package format

import (
	"sync"
	"time"
)

// Format identifies a text format of flows.
type Format uint8

// The formats.
const (
	// Auto is not a format: a Scanner given Auto detects the format from the
	// start of its input.
	Auto Format = iota
	// Proc is /proc/net/nf_conntrack as kernels 2.6.15 to 6.18 print it.
	Proc
	// IPLegacy is /proc/net/ip_conntrack, which kernels before 4.10 printed
	// for IPv4 flows: the 2.4 layouts, the 2.6 ip_conntrack module and
	// nf_conntrack's compatibility file.
	IPLegacy
	// Conntrack is the text of conntrack-tools (conntrack -L, -G, -D, and
	// -E with its event types), with any of its -o options but xml and save.
	Conntrack
	// XML is conntrack's -o xml, for listings and events.
	XML
	// Save is conntrack's -o save: the conntrack -I command lines that
	// re-create entries, and -U/-D lines for events.
	Save
	// Restore is what conntrack -R loads to re-create a table: -o save's
	// lines with -I, and with the mark that -o save leaves out, but
	// without what conntrack -I or the kernel refuses (the secmark, the
	// EXPECTED status). The labels only with OptLabels: conntrack 1.4.7
	// crashes on a file of two lines or more with one of them.
	// ctconv prints it and reads it back; conntrack does not print it.
	// SCTP flows whose source did not show their verification tags (all
	// but -o save) get tags of 0, which conntrack -I needs.
	Restore
	// ProcExpect is /proc/net/nf_conntrack_expect, whose records are
	// expectations (see Expect), as are those of the next two.
	ProcExpect
	// ConntrackExpect is conntrack -L expect and -E expect.
	ConntrackExpect
	// XMLExpect is conntrack -L expect -o xml, and -E expect -o xml.
	XMLExpect
	// ConntrackStats is the table's counters as conntrack prints them:
	// conntrack -S and -S expect, one CPU a line; conntrack -C, the count;
	// and conntrack 1.2's -S, a counter a line. Its records are
	// Stats, as are those of ProcStats.
	ConntrackStats
	// ProcStats is /proc/net/stat/nf_conntrack (and ip_conntrack): a
	// header, then one line of hex columns a CPU, by kernel layouts from
	// 2.6.15 to today.
	ProcStats
	// Conntrackd is conntrackd -i and -e: the flows of the daemon's
	// internal and external caches, a line each, as conntrack's text
	// without the timeout and the counters, then [expires in Ns] (ALARM's
	// external cache) and [active since Ns]. Flows of -e, the peer's, have
	// the original tuple only (Flow.Reply is the zero Tuple).
	Conntrackd
	// ConntrackdExpect is conntrackd -i expect and -e expect: conntrack -L
	// expect's lines without the timeout, then conntrackd's times.
	ConntrackdExpect
	// ConntrackdXML is conntrackd -i -x and -e -x: conntrack's XML <flow>
	// elements, one a line, without the document's declaration and root,
	// and without what the text leaves out; -e's has an empty reply.
	ConntrackdXML
	// ConntrackdXMLExpect is conntrackd -i expect -x and -e expect -x:
	// conntrack's XML expectations without the document around them and
	// without the timeout.
	ConntrackdXMLExpect
	numFormats
)

var formatNames = [numFormats]string{"auto", "proc", "iplegacy", "conntrack", "xml", "save", "restore",
	"proc-expect", "conntrack-expect", "xml-expect", "conntrack-stats", "proc-stats",
	"conntrackd", "conntrackd-expect", "conntrackd-xml", "conntrackd-xml-expect"}

// Formats returns the formats that Parse and Append accept, without Auto.
func Formats() []Format {
	var fs []Format
	for f := Auto + 1; f < numFormats; f++ {
		fs = append(fs, f)
	}
	return fs
}

var (
	procDialect = (&dialect{
		format: Proc,
		l3:     l3Always,
		v6:     true,
		flags:  2,
		slots: slotSet(SlotOrig, SlotOrigZone, SlotOrigCounters, SlotUnreplied, SlotReply,
			SlotReplyZone, SlotReplyCounters, SlotFlag, SlotMark, SlotSecmark, SlotSecctx,
			SlotZone, SlotDeltaTime, SlotUse),
		req: slotSet(SlotOrig, SlotReply, SlotUse),
	}).init()
	legacyDialect = (&dialect{
		format: IPLegacy,
		old:    true,
		flags:  1,
		slots: slotSet(SlotOrig, SlotOrigCounters, SlotUnreplied, SlotReply,
			SlotReplyCounters, SlotFlag, SlotUnconfirmed, SlotMark, SlotSecmark, SlotSecctx,
			SlotUse),
		req: slotSet(SlotOrig, SlotReply, SlotUse),
	}).init()
	conntrackDialect = (&dialect{
		format: Conntrack,
		l3:     l3Maybe,
		v6:     true,
		lib:    true,
		flags:  2,
		slots: slotSet(SlotOrig, SlotOrigZone, SlotOrigCounters, SlotUnreplied, SlotReply,
			SlotReplyZone, SlotReplyCounters, SlotFlag, SlotMark, SlotSecmark, SlotSecctx,
			SlotZone, SlotDeltaTime, SlotStart, SlotStop, SlotHelper, SlotUse, SlotID,
			SlotLabels, SlotUserspace),
		req: slotSet(SlotOrig, SlotReply),
	}).init()
	// conntrackd prints a cached flow with nfct_snprintf as conntrack does,
	// from what its cache keeps, then its own times.
	conntrackdDialect = (&dialect{
		format: Conntrackd,
		l3:     l3Maybe,
		v6:     true,
		lib:    true,
		cache:  true,
		flags:  2,
		slots: slotSet(SlotOrig, SlotOrigZone, SlotUnreplied, SlotReply, SlotReplyZone,
			SlotFlag, SlotMark, SlotSecmark, SlotSecctx, SlotZone, SlotHelper,
			SlotExpires, SlotActiveSince),
		req: slotSet(SlotOrig, SlotActiveSince),
	}).init()
)

func (f Format) dialect() *dialect {
	switch f {
	case Proc:
		return procDialect
	case IPLegacy:
		return legacyDialect
	case Conntrack:
		return conntrackDialect
	case Conntrackd:
		return conntrackdDialect
	}
	return nil
}

// byConntrack reports whether conntrack-tools prints format f, so that its
// captures may hold conntrack's stderr messages.
func (f Format) byConntrack() bool {
	return f == Conntrack || f == XML || f == Save || f == ConntrackExpect || f == XMLExpect
}

// parses reports whether f is a format Parse or ParseExpect reads.
func (f Format) parses() bool { return f > Auto && f < numFormats }

// HasEvents reports whether f can show events, as conntrack -E prints
// them: conntrack's text, XML and save formats.
func (f Format) HasEvents() bool { return f == Conntrack || f == XML || f == Save }

// Expectations reports whether the records of f are expectations, which
// ParseExpect reads, rather than flows.
func (f Format) Expectations() bool {
	return f >= ProcExpect && f <= XMLExpect || f == ConntrackdExpect || f == ConntrackdXMLExpect
}

// Statistics reports whether the records of f are the table's counters,
// which ParseStats reads, rather than flows.
func (f Format) Statistics() bool { return f == ConntrackStats || f == ProcStats }

// A kind is what the records of a format are.
type kind uint8

const (
	kindFlow kind = iota
	kindExpect
	kindStats
)

var kindNames = [...]string{kindFlow: "flows", kindExpect: "expectations", kindStats: "the table's counters"}

func (f Format) kind() kind {
	switch {
	case f.Expectations():
		return kindExpect
	case f.Statistics():
		return kindStats
	}
	return kindFlow
}

// ForExpectations returns the expectation format of the same producer as
// f: ProcExpect for Proc, ConntrackExpect for Conntrack, XMLExpect for XML;
// f itself if it is one; ConntrackdExpect and ConntrackdXMLExpect for
// conntrackd's; Auto if the producer lists no expectations.
func (f Format) ForExpectations() Format {
	switch f {
	case Conntrackd, ConntrackdExpect:
		return ConntrackdExpect
	case ConntrackdXML, ConntrackdXMLExpect:
		return ConntrackdXMLExpect
	case Proc, ProcExpect:
		return ProcExpect
	case Conntrack, ConntrackExpect:
		return ConntrackExpect
	case XML, XMLExpect:
		return XMLExpect
	}
	return Auto
}

// root returns the root element of f's XML documents, "" if f is not XML.
func (f Format) root() string {
	switch f {
	case XML:
		return "conntrack"
	case XMLExpect:
		return "expect"
	}
	return ""
}

// endsInUse reports whether f's records end in the use= that each has, as
// /proc prints them: one that reads whole was not cut short.
func (f Format) endsInUse() bool { return f == Proc || f == IPLegacy }

// isXML reports whether f is XML: conntrack's documents (see root), or
// conntrackd's <flow> lines, which have no document around them.
func (f Format) isXML() bool {
	return f.root() != "" || f == ConntrackdXML || f == ConntrackdXMLExpect
}

// Options are conntrack's -o options that change what it prints, and the
// version of conntrack to print as where versions differ.
type Options uint8

// The options.
const (
	OptExtended   Options = 1 << iota // the family columns first (-o extended)
	OptID                             // id= (-o id); XML always has <id>
	OptKTimestamp                     // [start=...] [stop=...] (-o ktimestamp); XML <timestamp>
	OptLabels                         // labels= (-o labels); XML <labels>
	OptTimestamp                      // the event time in front (-o timestamp); XML <when>
	// OptConntrack149 prints events as conntrack 1.4.9 does (1.4.7 is the
	// default): XML without [USERSPACE]. Its -o timestamp shows the
	// kernel's event time where the kernel sends one, which only a
	// reader of the kernel's events (ctconv watch) can take. Reading does
	// not show it: 1.4.9's lines read as the same lines of 1.4.7 would.
	OptConntrack149
)

var optionNames = [...]string{"extended", "id", "ktimestamp", "labels", "timestamp", "conntrack-1.4.9"}

// A Dialect is a text format as one producer printed it: the format, and
// what else decides the bytes of its records. Parsing and printing take
// one; a Scanner reports the Dialect of the text it read, and a Writer
// given that Dialect prints the records back as they were. It is the one
// value that carries a capture's text through a round trip, as snapshots
// keep it. The zero value of each field but Format is the default.
type Dialect struct {
	Format Format
	// Options are conntrack's -o options, for the formats of conntrack;
	// for Restore, OptLabels prints the labels.
	Options Options
	// Location is the time zone of the local times conntrack prints
	// ([start=...], XML's <when>); nil means time.Local.
	Location *time.Location
	// Strict reads the producer's exact layout only, and rejects tokens
	// the parser does not know, instead of keeping them in Flow.Extras.
	// Without it, a line in another layout (runs of blanks, TABs,
	// indentation, trailing blanks, as pasted captures have them; XML as
	// tools re-serialise it) is read as the same line in its producer's
	// layout, and a Scanner skips the lines around records that are not
	// records (see Scanner.NotRecords).
	Strict bool
	// CRLF ends every line with CR LF, as captures pasted into Windows
	// documents have them. A Scanner reports it when every line it read
	// ended so; a record read from such a line has QuirkCRLF, which makes
	// a Writer end its line so whatever CRLF says.
	CRLF bool
	// NoFooter leaves out the footer of an XML document (</conntrack>),
	// which conntrack -E prints only when it is interrupted. A Scanner
	// reports it for an XML document that ended without one.
	NoFooter bool
}

// Parse parses one line of d's format into f, with or without its line
// end: LF, as every Append writes it, or CR LF, which f records as
// QuirkCRLF. It reuses f's strings where they are unchanged, so that
// parsing into the same Flow again and again does not allocate. Errors
// are *ParseError; their Line and File are left for the caller to fill.
// After an error, f holds part of the line. A record of XML laid out
// otherwise than conntrack prints it, as XML tools write it out again
// (blanks between tags, attributes in another order or quotes, <x /> for
// <x/>, character references), is read as the record it holds, unless
// d.Strict. Parse adds to d.Options the options of conntrack that the line
// shows, so that d prints the record back as it was. To read a stream, use
// a Scanner.
func (d *Dialect) Parse(line []byte, f *Flow) error { return d.parse(line, rec{f: f}) }

// ParseExpect parses one line of an expectation format into e, as Parse
// does for flows.
func (d *Dialect) ParseExpect(line []byte, e *Expect) error { return d.parse(line, rec{e: e}) }

// ParseStats parses one line of a format of the table's counters into s,
// as Parse does for flows. A line of /proc/net/stat/nf_conntrack says
// what it holds only in the header above it (an error of ErrNoRecord to
// ParseStats): read such a file with a Scanner.
func (d *Dialect) ParseStats(line []byte, s *Stats) error {
	p := parser{strict: d.Strict}
	defer p.release()
	return p.parseStatsLine(d.Format, line, s)
}

// parse parses line into r with a parser of its own, which makes its
// strings anew where r's are not the same. A record of XML that is not in
// conntrack's layout is read again as re-serialised XML.
func (d *Dialect) parse(line []byte, r rec) error {
	line, cr := trimEOL(line)
	if err := formatCheck(d.Format, line, r.kind()); err != nil {
		return err
	}
	p := parser{strict: d.Strict, loc: location(d.Location)}
	var err error
	if r.e != nil {
		err = p.parseExpect(d.Format, line, r.e)
	} else {
		err = p.parseLine(d.Format, line, r.f)
	}
	if p.lay != nil {
		p.release()
	}
	opts := p.opts
	if err != nil && !d.Strict && d.Format.isXML() {
		ps := retryParsers.Get().(*lineParser)
		ps.Dialect = *d
		ps.p.strict, ps.p.loc, ps.p.in, ps.p.opts = false, p.loc, &ps.in, 0
		err = ps.retryXML(line, r.f, r.e, err)
		opts = ps.p.opts
		retryParsers.Put(ps)
	}
	if err != nil {
		return err
	}
	d.Options |= opts
	if cr {
		r.setQuirk(QuirkCRLF)
	}
	return nil
}

// retryParsers keep the buffers that reading re-serialised XML needs, so
// that Parse does not make them again for each such record.
var retryParsers = sync.Pool{New: func() any { return new(lineParser) }}

// A lineParser parses the lines of a stream, as a Scanner reads them: it
// keeps the strings it made, to make them once, the options the lines
// show, and the columns of /proc/net/stat/nf_conntrack's last header.
type lineParser struct {
	Dialect
	p         parser
	in        interner
	canon     xmlCanon // an XML record rewritten in conntrack's layout
	rewritten bool     // the last record read was XML that needed rewriting
}

// parse parses line into r, making strings with in (nil to make each
// anew). A record of XML that is not in conntrack's layout is read again
// as re-serialised XML.
func (ps *lineParser) parse(line []byte, r rec, in *interner) error {
	line, cr := trimEOL(line)
	if err := formatCheck(ps.Format, line, r.kind()); err != nil {
		return err
	}
	ps.p.strict, ps.p.loc, ps.p.in = ps.Strict, location(ps.Location), in
	var err error
	if r.e != nil {
		err = ps.p.parseExpect(ps.Format, line, r.e)
	} else {
		err = ps.p.parseLine(ps.Format, line, r.f)
	}
	if err != nil && !ps.Strict && ps.Format.isXML() {
		err = ps.retryXML(line, r.f, r.e, err)
	}
	if cr && err == nil {
		r.setQuirk(QuirkCRLF)
	}
	return err
}

// Parse, ParseExpect and ParseStats parse a line of the stream.
func (ps *lineParser) Parse(line []byte, f *Flow) error { return ps.parse(line, rec{f: f}, &ps.in) }

func (ps *lineParser) ParseExpect(line []byte, e *Expect) error {
	return ps.parse(line, rec{e: e}, &ps.in)
}

func (ps *lineParser) ParseStats(line []byte, s *Stats) error {
	ps.p.strict = ps.Strict
	return ps.p.parseStatsLine(ps.Format, line, s)
}

// parseStatsLine parses a line of a format of the table's counters.
func (p *parser) parseStatsLine(fm Format, line []byte, s *Stats) error {
	line, _ = trimEOL(line)
	if err := formatCheck(fm, line, kindStats); err != nil {
		return err
	}
	return p.parseStats(fm, line, s)
}

// trimEOL returns line without its line end, LF or CR LF, and whether the
// end was CR LF. A CR without LF stays: it is the end of a line whose CR
// LF a Scanner took off, and which had another CR.
func trimEOL(line []byte) ([]byte, bool) {
	n := len(line)
	switch {
	case n >= 2 && line[n-2] == '\r' && line[n-1] == '\n':
		return line[:n-2], true
	case n >= 1 && line[n-1] == '\n':
		return line[:n-1], false
	}
	return line, false
}

// parseFuncs name the Parser's method for each kind of record.
var parseFuncs = [...]string{kindFlow: "Parse", kindExpect: "ParseExpect", kindStats: "ParseStats"}

// formatCheck returns an error if line cannot be a record of format f of
// kind k.
func formatCheck(f Format, line []byte, k kind) error {
	switch {
	case !f.parses():
		return &ParseError{Err: ErrSyntax, Msg: "cannot parse format " + f.String(), Text: string(line)}
	case f.kind() != k:
		return &ParseError{Err: ErrSyntax, Msg: "format " + f.String() + " holds " + kindNames[f.kind()] + ": use " + parseFuncs[f.kind()], Text: string(line)}
	}
	if root := f.root(); root != "" {
		if framing, _ := xmlFraming(line, root); framing {
			return &ParseError{Col: 1, Len: len(line), Err: ErrNoRecord, Msg: "a line of the XML document's header or footer, not a record", Text: string(line)}
		}
	}
	return nil
}

// Append appends f as a line of d's format, with its newline. It
// prints the fields of f that the format has and that f holds; a
// *printError says why a flow cannot be printed at all (an IPv6 flow in an
// IPv4-only format, say).
func (d Dialect) Append(dst []byte, f *Flow) ([]byte, error) {
	start := len(dst)
	var err error
	switch {
	case d.Format == XML:
		dst, err = appendXML(dst, f, XML, d.Options, d.Location)
	case d.Format == ConntrackdXML:
		dst, err = appendConntrackdXML(dst, f)
	case d.Format == Save, d.Format == Restore:
		dst, err = appendSave(dst, f, d.Format, d.Options, d.Location)
	case d.Format.Expectations():
		return dst, &printError{Format: d.Format, Msg: "a format of expectations, not of flows"}
	default:
		g := d.Format.dialect()
		if g == nil {
			return dst, &printError{Format: d.Format, Msg: "not a format that can be printed"}
		}
		dst, err = appendKV(dst, f, g, d.Options, d.Location)
	}
	if err == nil {
		err = checkLine(d.Format, dst[start:])
	}
	if err != nil {
		return dst[:start], err
	}
	return dst, nil
}

// checkLine returns a *printError if line, a record of format f as a
// printer made it, is longer than a Scanner reads by default: what ctconv
// prints must read back.
func checkLine(f Format, line []byte) error {
	if n := len(line) - 1; n > DefaultMaxLine {
		return &printError{Format: f, Msg: "the line would be " + itoa(uint64(n)) + " bytes long, more than the " + itoa(DefaultMaxLine) + " a reader takes"}
	}
	return nil
}

// Shows reports whether the producer of format f lists fl at all:
// /proc/net/ip_conntrack shows IPv4 flows only. Converting a table to f
// leaves out the flows f does not show, as the producer would.
func (f Format) Shows(fl *Flow) bool {
	if d := f.dialect(); d != nil && !d.v6 {
		return fl.Family == IPv4
	}
	return true
}

// AppendExpect appends e as a line of d's format, which must be
// an expectation format, with its newline.
func (d Dialect) AppendExpect(dst []byte, e *Expect) ([]byte, error) {
	switch d.Format {
	case ProcExpect:
		return appendProcExpect(dst, e)
	case ConntrackExpect:
		return appendConntrackExpect(dst, e, ConntrackExpect, d.Options)
	case XMLExpect:
		return appendXMLExpect(dst, e, XMLExpect, d.Options, d.Location)
	case ConntrackdExpect, ConntrackdXMLExpect:
		return appendConntrackdExpect(dst, e, d.Format)
	}
	return dst, &printError{Format: d.Format, Msg: "not a format of expectations"}
}

// AppendStats appends s as a record of d's format, which must be
// a format of the table's counters, with its newline: one line, or for
// conntrack 1.2's -S (Stats.CPU -1), one line a counter. For
// ProcStats, a Writer prints the header.
func (d Dialect) AppendStats(dst []byte, s *Stats) ([]byte, error) {
	if !d.Format.Statistics() {
		return dst, &printError{Format: d.Format, Msg: "not a format of the table's counters"}
	}
	return appendStats(dst, s, d.Format)
}
