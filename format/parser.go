package format

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"
)

// parser holds the state of parsing one line.
type parser struct {
	d      *dialect
	line   []byte
	pos    int
	strict bool
	l4     Layer4 // layer-4 part of the tuples
	l4opt  bool   // the layer-4 part may be absent (protocol printed as "unknown")
	dir    string // the direction being parsed, for error messages
	family bool   // the line gave the family, or the first address did
	old    [4]string
	xbuf   []byte         // the line's extras, encoded as in Extras
	in     *interner      // strings seen before; nil to allocate each
	loc    *time.Location // the zone of conntrack's local times
	opts   Options        // conntrack's -o options that the lines show
	older  bool           // read older producers' layouts too (see parseExpectOlder)
	cache  bool           // the XML is conntrackd's: -e's reply is an empty shell

	statCols uint32 // the counters of the last /proc/net/stat header
	statCPU  int    // the CPU of the next line after it

	// A line read in its producer's layout after its own failed (see
	// relayout): the line parsed is nbuf, src the line given, and cols maps
	// each column of nbuf to src's for errors.
	relaid bool
	src    []byte
	nbuf   []byte
	cols   []int32
	toks   [][2]int32
}

// parseLine parses a whole line of format fm into f: as the producer
// printed it, or else, unless strict, laid out again as the producer would
// have printed it (see relayout).
func (p *parser) parseLine(fm Format, line []byte, f *Flow) error {
	p.old = [4]string{f.Secctx, f.Helper, f.Labels, f.Progname}
	oldExtras := f.Extras
	p.relaid = false
	opts := p.opts
	err := p.parseLine1(fm, line, f, oldExtras)
	if err != nil && p.relays(fm, line) {
		p.opts = opts
		p.src, p.relaid = line, true
		err = p.parseLine1(fm, p.nbuf, f, oldExtras)
		p.src = nil
	}
	if err != nil {
		p.opts = opts // what a bad line seemed to show, it did not
	}
	return err
}

// relays reports whether a line of format fm that failed to parse is to
// be parsed again in its producer's layout, which relayout then made.
func (p *parser) relays(fm Format, line []byte) bool {
	return !p.strict && !fm.isXML() && p.relayout(fm, line)
}

func (p *parser) parseLine1(fm Format, line []byte, f *Flow, oldExtras Extras) error {
	p.line, p.pos, p.l4opt = line, 0, false
	p.xbuf = p.xbuf[:0]
	*f = Flow{Fields: FieldStatus, Status: StatusConfirmed | StatusSeenReply}
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
	return p.check(f)
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

// errAt returns a ParseError for the bytes line[start:end], with the
// columns of the line given where it was laid out again.
func (p *parser) errAt(start, end int, field string, err error, msg string) error {
	if p.dir != "" && field != "" {
		field = p.dir + " " + field
	}
	text := p.line
	if p.relaid {
		start, end, text = p.col(start), p.col(end), p.src
	}
	return &ParseError{Col: start + 1, Len: max(end-start, 1), Field: field, Err: err, Msg: msg, Text: string(text)}
}

// col returns the column of the line given that column i of the re-laid
// line comes from; past the end, the columns go on past the last token.
func (p *parser) col(i int) int {
	last := len(p.cols) - 1
	if i > last {
		return int(p.cols[last]) + i - last
	}
	return int(p.cols[i])
}

// tokenEnd returns the end of the space-delimited token at i.
func (p *parser) tokenEnd(i int) int {
	if j := bytes.IndexByte(p.line[i:], ' '); j >= 0 {
		return i + j
	}
	return len(p.line)
}

// sep consumes the space after a token, if the line goes on.
func (p *parser) sep(q *Quirks) error {
	if b := p.line[p.pos:]; len(b) > 1 && b[0] == ' ' && b[1] != ' ' {
		p.pos++
		return nil
	}
	return p.sepSlow(q)
}

func (p *parser) sepSlow(q *Quirks) error {
	if p.pos == len(p.line) {
		return nil
	}
	if p.line[p.pos] != ' ' {
		end := p.tokenEnd(p.pos)
		return p.errAt(p.pos, end, "", ErrSyntax, "expected a space before "+quote(p.line[p.pos:end]))
	}
	p.pos++
	switch {
	case p.pos == len(p.line):
		if !p.d.old {
			return p.errAt(p.pos-1, p.pos, "", ErrSyntax, "trailing space at the end of the line")
		}
		*q |= QuirkTrailingSpace
	case p.line[p.pos] == ' ':
		return p.errAt(p.pos, p.pos+1, "", ErrSyntax, "two spaces in a row")
	}
	return nil
}

// value expects key at the cursor, and returns the value after it, which
// ends at the next space. The cursor moves past the value.
func (p *parser) value(k *key) ([]byte, int, error) {
	rest := p.line[p.pos:]
	if !k.match(rest) {
		if err := p.truncated(k); err != nil {
			return nil, p.pos, err
		}
		end := p.tokenEnd(p.pos)
		if err := p.continuation(end); err != nil {
			return nil, p.pos, err
		}
		return nil, p.pos, p.errAt(p.pos, end, k.field, ErrSyntax, "expected "+k.s+", found "+quote(rest[:end-p.pos]))
	}
	start := p.pos + len(k.s)
	end := p.tokenEnd(start)
	p.pos = end
	if start == end {
		return nil, start, p.errAt(start-len(k.s), end, k.field, ErrSyntax, "empty value after "+k.s)
	}
	return p.line[start:end], start, nil
}

// continuation returns an error if the token at the cursor, which ends at
// end, is the backslash that continues a line in documentation excerpts.
func (p *parser) continuation(end int) error {
	if end == len(p.line) && string(p.line[p.pos:end]) == "\\" {
		return p.errAt(p.pos, end, "", ErrSyntax, "a backslash line continuation, as documentation excerpts print long lines and the producer never does; a Scanner joins it with the next line unless strict")
	}
	return nil
}

// truncated returns an error if the line ends at the cursor, or in the
// middle of key.
func (p *parser) truncated(k *key) error {
	rest := p.line[p.pos:]
	switch {
	case len(rest) == 0:
		return p.errAt(p.pos, p.pos, k.field, ErrMissing, "line ends where "+k.s+" was expected (truncated line?)")
	case len(rest) < len(k.s) && k.s[:len(rest)] == string(rest):
		return p.errAt(p.pos, len(p.line), k.field, ErrMissing, "line ends in the middle of "+k.s+" (truncated line?)")
	}
	return nil
}

// uint parses the value of k as a number of at most max.
func (p *parser) uint(k *key, max uint64) (uint64, error) {
	if p.at(k) {
		if n, ok := p.digits(max); ok {
			return n, nil
		}
		p.pos -= len(k.s)
	}
	return p.uintSlow(k, max)
}

// at reports whether k is at the cursor and, if so, moves past it.
func (p *parser) at(k *key) bool {
	if k.match(p.line[p.pos:]) {
		p.pos += len(k.s)
		return true
	}
	return false
}

// digits parses the common case of a number at the cursor: 1 to 19 digits
// (which cannot overflow), without a leading zero, up to max, then a space
// or the end of the line. It reports false for anything else, which the
// slow path then explains.
func (p *parser) digits(max uint64) (uint64, bool) {
	line, k := p.line, p.pos
	j := k
	var n uint64
	for j < len(line) && j-k < 19 {
		c := line[j] - '0'
		if c > 9 {
			break
		}
		n = n*10 + uint64(c)
		j++
	}
	if j > k && (j == len(line) || line[j] == ' ') && n <= max && (line[k] != '0' || j == k+1) {
		p.pos = j
		return n, true
	}
	return 0, false
}

func (p *parser) uintSlow(k *key, max uint64) (uint64, error) {
	v, at, err := p.value(k)
	if err != nil {
		return 0, err
	}
	n, e := parseUint(v, max)
	if e != numOK {
		return 0, p.numErr(v, at, k.field, e, false, "0 to "+itoa(max))
	}
	return n, nil
}

// numErr describes why the number v at column at did not parse.
func (p *parser) numErr(v []byte, at int, field string, e numErr, signed bool, want string) error {
	end := at + len(v)
	switch e {
	case numRange:
		return p.errAt(at, end, field, ErrRange, string(v)+" is out of range (want "+want+")")
	case numZero:
		return p.errAt(at, end, field, ErrSyntax, "leading zero in "+quote(v)+", which the kernel never prints")
	}
	for i, c := range v {
		if (c < '0' || c > '9') && !(signed && i == 0 && c == '-') {
			return p.errAt(at+i, at+i+1, field, ErrSyntax, "unexpected "+describe(v, i)+" in a number (want "+want+")")
		}
	}
	return p.errAt(at, end, field, ErrSyntax, "malformed number "+quote(v)+" (want "+want+")")
}

// describe names the byte v[i] for an error message.
func describe(v []byte, i int) string {
	switch c := v[i]; {
	case c == '\r' && i == len(v)-1:
		return "carriage return (the file has CRLF line ends; convert them with dos2unix)"
	case c == 0:
		return "NUL byte"
	case c == '\\' && i == len(v)-1:
		return "backslash (a line continuation of a documentation excerpt wants a blank before it)"
	case c < 0x20 || c >= 0x7f:
		return "byte 0x" + strconv.FormatUint(uint64(c)|0x100, 16)[1:]
	default:
		return strconv.QuoteRune(rune(c))
	}
}

// quote returns b quoted for a message, cut after 40 bytes.
func quote[T ~string | ~[]byte](b T) string {
	if len(b) > 40 {
		return strconv.Quote(string(b[:40])) + "..."
	}
	return strconv.Quote(string(b))
}

// text checks a free-form value: printable, valid UTF-8, no control bytes.
func (p *parser) text(v []byte, at int, field string) error {
	for i, c := range v {
		if c < 0x20 || c == 0x7f {
			return p.errAt(at+i, at+i+1, field, ErrSyntax, "unexpected "+describe(v, i))
		}
	}
	if !utf8.Valid(v) {
		return p.errAt(at, at+len(v), field, ErrSyntax, "invalid UTF-8 in "+quote(v))
	}
	return nil
}

func (p *parser) hex(k *key) (uint16, error) {
	v, at, err := p.value(k)
	if err != nil {
		return 0, err
	}
	n, e := parseHex16(v)
	if e != numOK {
		msg := "want 0x and 1 to 4 lowercase hex digits"
		if e == numZero {
			msg = "leading zero in " + quote(v) + ", which the kernel never prints"
		}
		return 0, p.errAt(at, at+len(v), k.field, ErrSyntax, msg)
	}
	return n, nil
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

// interner is a bounded table of strings seen before.
type interner struct {
	m    map[string]string
	size int
}

const maxInternBytes = 1 << 20

func (in *interner) get(b []byte) string {
	if in == nil {
		return string(b)
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if in.size+len(s) <= maxInternBytes {
		if in.m == nil {
			in.m = make(map[string]string)
		}
		in.m[s] = s
		in.size += len(s)
	}
	return s
}
