package format

import (
	"errors"
	"strings"
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

// String returns the format's name as the command line spells it.
func (f Format) String() string {
	if f < numFormats {
		return formatNames[f]
	}
	return "format(" + itoa(uint64(f)) + ")"
}

// ParseFormat returns the format named name (see Format.String).
func ParseFormat(name string) (Format, error) {
	for i, n := range formatNames {
		if n == name {
			return Format(i), nil
		}
	}
	return 0, errors.New("unknown format " + `"` + name + `"` + " (want one of " + strings.Join(formatNames[:], ", ") + ")")
}

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

// isXML reports whether f is XML: conntrack's documents (see root), or
// conntrackd's <flow> lines, which have no document around them.
func (f Format) isXML() bool {
	return f.root() != "" || f == ConntrackdXML || f == ConntrackdXMLExpect
}

// Options are conntrack's -o options that change what it prints.
type Options uint8

// The options.
const (
	OptExtended   Options = 1 << iota // the family columns first (-o extended)
	OptID                             // id= (-o id); XML always has <id>
	OptKTimestamp                     // [start=...] [stop=...] (-o ktimestamp); XML <timestamp>
	OptLabels                         // labels= (-o labels); XML <labels>
	OptTimestamp                      // the event time in front (-o timestamp); XML <when>
)

var optionNames = [...]string{"extended", "id", "ktimestamp", "labels", "timestamp"}

// String returns the options as conntrack's -o takes them: "extended,id".
func (o Options) String() string {
	var names []string
	for i, n := range optionNames {
		if o&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, ",")
}

// A Parser parses lines of one format into flows. Its zero value, given a
// Format, is ready to use; reusing it (and the Flow) avoids allocations.
type Parser struct {
	Format Format
	// Strict reads the producer's exact layout only, and rejects tokens
	// the parser does not know, instead of keeping them in Flow.Extras.
	// Without it, a line in another layout (runs of blanks, TABs,
	// indentation, trailing blanks, as pasted captures have them; XML as
	// tools re-serialise it) is read as the same line in its producer's
	// layout.
	Strict bool
	// Location is the time zone of the local times conntrack prints
	// ([start=...], XML's <when>); nil means time.Local.
	Location *time.Location

	p         parser
	in        interner
	canon     xmlCanon // an XML record rewritten in conntrack's layout
	rewritten bool     // the last record read was XML that needed rewriting
}

// Parse parses one line into f, with or without its line end: LF, as
// every Append writes it, or CR LF, which f records as QuirkCRLF, as a
// Scanner does. It reuses f's strings where they are unchanged. Errors are
// *ParseError; their Line and File are left for the caller to fill. After
// an error, f holds part of the line. A record of XML laid out otherwise
// than conntrack prints it, as XML tools write it out again (blanks between
// tags, attributes in another order or quotes, <x /> for <x/>, character
// references), is read as the record it holds, unless Strict.
func (ps *Parser) Parse(line []byte, f *Flow) error {
	line, cr := trimEOL(line)
	if err := formatCheck(ps.Format, line, kindFlow); err != nil {
		return err
	}
	ps.p.strict, ps.p.loc, ps.p.in = ps.Strict, location(ps.Location), &ps.in
	err := ps.p.parseLine(ps.Format, line, f)
	if err != nil && !ps.Strict && ps.Format.isXML() {
		err = ps.retryXML(line, f, nil, err)
	}
	if cr && err == nil {
		f.Quirks |= QuirkCRLF
	}
	return err
}

// ParseExpect parses one line of an expectation format into e, as Parse
// does for flows.
func (ps *Parser) ParseExpect(line []byte, e *Expect) error {
	line, cr := trimEOL(line)
	if err := formatCheck(ps.Format, line, kindExpect); err != nil {
		return err
	}
	ps.p.strict, ps.p.loc, ps.p.in = ps.Strict, location(ps.Location), &ps.in
	err := ps.p.parseExpect(ps.Format, line, e)
	if err != nil && !ps.Strict && ps.Format.isXML() {
		err = ps.retryXML(line, nil, e, err)
	}
	if cr && err == nil {
		e.Quirks |= QuirkCRLF
	}
	return err
}

// ParseStats parses one line of a format of the table's counters into s,
// as Parse does for flows. A header of /proc/net/stat/nf_conntrack is an
// error of ErrNoRecord, and its columns are those of the lines after it.
func (ps *Parser) ParseStats(line []byte, s *Stats) error {
	line, _ = trimEOL(line)
	if err := formatCheck(ps.Format, line, kindStats); err != nil {
		return err
	}
	ps.p.strict = ps.Strict
	return ps.p.parseStats(ps.Format, line, s)
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

// Options returns conntrack's -o options that the lines parsed so far show:
// a Printer with these prints them as they were.
func (ps *Parser) Options() Options { return ps.p.opts }

// A Printer prints flows in one format, with the options of its producer.
type Printer struct {
	Format Format
	// Options are conntrack's -o options, for the formats of conntrack;
	// for Restore, OptLabels prints the labels.
	Options Options
	// Location is the time zone of the local times conntrack prints; nil
	// means time.Local.
	Location *time.Location
}

// Append appends f as a line of the printer's format, with its newline. It
// prints the fields of f that the format has and that f holds; a
// *PrintError says why a flow cannot be printed at all (an IPv6 flow in an
// IPv4-only format, say).
func (pr *Printer) Append(dst []byte, f *Flow) ([]byte, error) {
	start := len(dst)
	var err error
	switch {
	case pr.Format == XML:
		dst, err = appendXML(dst, f, XML, pr.Options, pr.Location)
	case pr.Format == ConntrackdXML:
		dst, err = appendConntrackdXML(dst, f)
	case pr.Format == Save, pr.Format == Restore:
		dst, err = appendSave(dst, f, pr.Format, pr.Options, pr.Location)
	case pr.Format.Expectations():
		return dst, &PrintError{Format: pr.Format, Msg: "a format of expectations, not of flows"}
	default:
		d := pr.Format.dialect()
		if d == nil {
			return dst, &PrintError{Format: pr.Format, Msg: "not a format that can be printed"}
		}
		dst, err = appendKV(dst, f, d, pr.Options, pr.Location)
	}
	if err == nil {
		err = checkLine(pr.Format, dst[start:])
	}
	if err != nil {
		return dst[:start], err
	}
	return dst, nil
}

// checkLine returns a *PrintError if line, a record of format f as a
// printer made it, is longer than a Scanner reads by default: what ctconv
// prints must read back.
func checkLine(f Format, line []byte) error {
	if n := len(line) - 1; n > DefaultMaxLine {
		return &PrintError{Format: f, Msg: "the line would be " + itoa(uint64(n)) + " bytes long, more than the " + itoa(DefaultMaxLine) + " a reader takes"}
	}
	return nil
}

// Parse parses one line of format f into fl, as a Parser with default
// settings does, with or without its line end. It reuses fl's strings
// where they are unchanged, so that parsing into the same Flow again and
// again does not allocate. Unknown well-formed tokens are kept in
// fl.Extras.
func (f Format) Parse(line []byte, fl *Flow) error {
	line, cr := trimEOL(line)
	if err := formatCheck(f, line, kindFlow); err != nil {
		return err
	}
	p := parser{loc: time.Local}
	err := p.parseLine(f, line, fl)
	if cr && err == nil {
		fl.Quirks |= QuirkCRLF
	}
	return err
}

// Append appends fl as a line of format f, as a Printer without options
// does.
func (f Format) Append(dst []byte, fl *Flow) ([]byte, error) {
	p := Printer{Format: f}
	return p.Append(dst, fl)
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

// AppendExpect appends e as a line of the printer's format, which must be
// an expectation format, with its newline.
func (pr *Printer) AppendExpect(dst []byte, e *Expect) ([]byte, error) {
	switch pr.Format {
	case ProcExpect:
		return appendProcExpect(dst, e)
	case ConntrackExpect:
		return appendConntrackExpect(dst, e, ConntrackExpect, pr.Options)
	case XMLExpect:
		return appendXMLExpect(dst, e, XMLExpect, pr.Options, pr.Location)
	case ConntrackdExpect, ConntrackdXMLExpect:
		return appendConntrackdExpect(dst, e, pr.Format)
	}
	return dst, &PrintError{Format: pr.Format, Msg: "not a format of expectations"}
}

// AppendStats appends s as a record of the printer's format, which must be
// a format of the table's counters, with its newline: one line, or for
// conntrack 1.2's -S (Stats.CPU -1), one line a counter. For
// ProcStats, a Writer prints the header.
func (pr *Printer) AppendStats(dst []byte, s *Stats) ([]byte, error) {
	if !pr.Format.Statistics() {
		return dst, &PrintError{Format: pr.Format, Msg: "not a format of the table's counters"}
	}
	return appendStats(dst, s, pr.Format)
}

// ParseProc parses a line of /proc/net/nf_conntrack; see Format.Parse.
func ParseProc(line []byte, f *Flow) error { return Proc.Parse(line, f) }

// AppendProc appends f as a line of /proc/net/nf_conntrack; see
// Format.Append.
func AppendProc(dst []byte, f *Flow) ([]byte, error) { return appendKV(dst, f, procDialect, 0, nil) }

// ParseIPLegacy parses a line of /proc/net/ip_conntrack; see Format.Parse.
func ParseIPLegacy(line []byte, f *Flow) error { return IPLegacy.Parse(line, f) }

// AppendIPLegacy appends f as a line of /proc/net/ip_conntrack; see
// Format.Append.
func AppendIPLegacy(dst []byte, f *Flow) ([]byte, error) {
	return appendKV(dst, f, legacyDialect, 0, nil)
}
