package format

import (
	"bytes"
	"errors"
	"io"
	"sort"
	"unicode/utf8"
)

// This file reads conntrack's XML as XML tools re-serialise it: indented,
// one element a line, attributes in another order or quoted with ', empty
// elements written either way, characters as references, a declaration
// that says UTF-8. Only where the exact parser fails, a record is rewritten
// into the bytes conntrack prints for it and parsed by the exact parser, so
// that the content rules, and the errors, stay the same; positions map back
// to the source. Nothing is expanded but character references and XML's
// five predefined entities, and a record is no longer than a line may be,
// so memory stays bounded whatever the input.

// xmlCanon is a record rewritten in conntrack's layout, and where its bytes
// came from.
type xmlCanon struct {
	out   []byte
	marks []xmlMark // out[m.out:] copies src from m.src, up to the next mark
	attrs []xmlAttr
}

type xmlMark struct{ out, src int }

// xmlAttr is an attribute of a start tag: its name is src[name:eq], its
// value src[val:end].
type xmlAttr struct{ name, eq, val, end int }

// xmlSelfClosing are the elements conntrack prints as <name/>; it prints
// every other element with a start and an end tag, even when empty.
var xmlSelfClosing = [...]string{"assured", "unreplied", "permanent", "inactive", "userspace"}

// xmlAttrRank orders the attributes of a tag as conntrack prints them.
func xmlAttrRank(name []byte) int {
	if string(name) == "protoname" {
		return 1
	}
	if string(name) == "protonum" || string(name) == "type" || string(name) == "direction" {
		return 0
	}
	return 2
}

func xmlSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func xmlNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':' || c >= 0x80
}

// copy appends src[from:to] to out.
func (c *xmlCanon) copy(src []byte, from, to int) {
	if from >= to {
		return
	}
	if n := len(c.marks); n == 0 || c.marks[n-1].src+len(c.out)-c.marks[n-1].out != from {
		c.marks = append(c.marks, xmlMark{len(c.out), from})
	}
	c.out = append(c.out, src[from:to]...)
}

// emit appends s, which stands for the source at offset at.
func (c *xmlCanon) emit(s string, at int) {
	c.marks = append(c.marks, xmlMark{len(c.out), at})
	c.out = append(c.out, s...)
}

// srcOff returns the source offset of the byte at o in out.
func (c *xmlCanon) srcOff(o int) int {
	i := sort.Search(len(c.marks), func(i int) bool { return c.marks[i].out > o }) - 1
	if i < 0 {
		return 0
	}
	return c.marks[i].src + o - c.marks[i].out
}

// rewrite sets out to src, one record of conntrack's XML in any layout, in
// conntrack's layout. Whitespace between tags is layout and goes, but for
// the whole content of an element without child elements on one line;
// whitespace that holds a line break around text is layout too. What it
// cannot rewrite (a comment, a malformed tag, a tag cut by the end) it
// copies as it is from there on, for the exact parser to reject. The only
// error is a reference that would forge markup: conntrack prints text
// unescaped, so a '<' or, in an attribute, a '"' cannot be told apart
// from its own.
func (c *xmlCanon) rewrite(src []byte) *ParseError {
	c.out, c.marks = c.out[:0], c.marks[:0]
	afterStart := false // the last tag was a start tag, and nothing followed it
	afterEnd := false   // the last tag was an end tag
	var startName []byte
	for i := 0; i < len(src); {
		if src[i] != '<' {
			j := i + bytes.IndexByte(src[i:], '<')
			if j < i {
				j = len(src)
			}
			n := len(c.out)
			if err := c.text(src, i, j, afterStart && j+1 < len(src) && src[j+1] == '/', afterEnd && j == len(src)); err != nil {
				return err
			}
			if len(c.out) > n {
				afterStart = false
			}
			i = j
			continue
		}
		if i+1 < len(src) && src[i+1] == '/' { // an end tag
			k := i + 2
			for k < len(src) && xmlNameByte(src[k]) {
				k++
			}
			name := src[i+2 : k]
			for k < len(src) && xmlSpace(src[k]) {
				k++
			}
			if len(name) == 0 || k == len(src) || src[k] != '>' {
				c.copy(src, i, len(src))
				return nil
			}
			if afterStart && bytes.Equal(name, startName) && selfClosing(name) && len(c.out) > 0 && c.out[len(c.out)-1] == '>' {
				c.out = append(c.out[:len(c.out)-1], "/>"...) // <assured></assured> is <assured/>
			} else {
				c.emit("</", i)
				c.copy(src, i+2, i+2+len(name))
				c.emit(">", k)
			}
			afterStart, afterEnd, i = false, true, k+1
			continue
		}
		j, end, ok := c.tag(src, i)
		if !ok {
			c.copy(src, i, len(src))
			return nil
		}
		name := src[i+1 : j]
		afterEnd = false
		c.emit("<", i)
		c.copy(src, i+1, j)
		sort.SliceStable(c.attrs, func(a, b int) bool {
			return xmlAttrRank(src[c.attrs[a].name:c.attrs[a].eq]) < xmlAttrRank(src[c.attrs[b].name:c.attrs[b].eq])
		})
		for _, a := range c.attrs {
			c.emit(" ", a.name)
			c.copy(src, a.name, a.eq)
			c.emit(`="`, a.val-1)
			if err := c.ref(src, a.val, a.end, true); err != nil {
				return err
			}
			c.emit(`"`, a.end)
		}
		if src[end-2] == '/' { // an empty-element tag
			if selfClosing(name) {
				c.emit("/>", end-2)
			} else {
				c.emit("></", end-2)
				c.copy(src, i+1, j)
				c.emit(">", end-1)
			}
			afterStart = false
		} else {
			c.emit(">", end-1)
			afterStart, startName = true, name
		}
		i = end
	}
	return nil
}

func selfClosing(name []byte) bool {
	for _, s := range xmlSelfClosing {
		if string(name) == s {
			return true
		}
	}
	return false
}

// tag reads the start tag or empty-element tag at src[i]: it returns the
// end of its name and of the tag, and sets c.attrs. It reports false for
// anything else, and for a tag cut by the end of src.
func (c *xmlCanon) tag(src []byte, i int) (nameEnd, end int, ok bool) {
	c.attrs = c.attrs[:0]
	k := i + 1
	for k < len(src) && xmlNameByte(src[k]) {
		k++
	}
	if k == i+1 || src[i+1] >= '0' && src[i+1] <= '9' || src[i+1] == '-' || src[i+1] == '.' {
		return 0, 0, false
	}
	nameEnd = k
	for {
		sp := k
		for k < len(src) && xmlSpace(src[k]) {
			k++
		}
		if k == len(src) {
			return 0, 0, false
		}
		switch {
		case src[k] == '>':
			return nameEnd, k + 1, true
		case src[k] == '/' && k+1 < len(src) && src[k+1] == '>':
			return nameEnd, k + 2, true
		case k == sp || !xmlNameByte(src[k]) || len(c.attrs) == 16:
			return 0, 0, false
		}
		a := xmlAttr{name: k}
		for k < len(src) && xmlNameByte(src[k]) {
			k++
		}
		a.eq = k
		for k < len(src) && xmlSpace(src[k]) {
			k++
		}
		if k == len(src) || src[k] != '=' {
			return 0, 0, false
		}
		k++
		for k < len(src) && xmlSpace(src[k]) {
			k++
		}
		if k == len(src) || src[k] != '"' && src[k] != '\'' {
			return 0, 0, false
		}
		q := src[k]
		a.val = k + 1
		n := bytes.IndexByte(src[a.val:], q)
		if n < 0 || bytes.IndexByte(src[a.val:a.val+n], '<') >= 0 {
			return 0, 0, false
		}
		a.end = a.val + n
		k = a.end + 1
		c.attrs = append(c.attrs, a)
	}
}

// text appends the text src[from:to], but for the whitespace that is
// layout. whole says that it is all of an element's content, tail that it
// follows the record: the [USERSPACE] part of an event, after one blank.
func (c *xmlCanon) text(src []byte, from, to int, whole, tail bool) *ParseError {
	s, e := from, to
	for s < e && xmlSpace(src[s]) {
		s++
	}
	if s == e { // whitespace only
		if whole && bytes.IndexByte(src[from:to], '\n') < 0 {
			c.copy(src, from, to)
		}
		return nil
	}
	for xmlSpace(src[e-1]) {
		e--
	}
	if bytes.IndexByte(src[from:s], '\n') < 0 {
		s = from
	} else if tail {
		c.emit(" ", s)
	}
	if bytes.IndexByte(src[e:to], '\n') < 0 {
		e = to
	}
	return c.ref(src, s, e, false)
}

// ref appends src[from:to], with its character references and predefined
// entities replaced by what they stand for. An ampersand that starts
// neither stays as it is: conntrack prints its text unescaped.
func (c *xmlCanon) ref(src []byte, from, to int, attr bool) *ParseError {
	for from < to {
		amp := bytes.IndexByte(src[from:to], '&')
		if amp < 0 {
			c.copy(src, from, to)
			return nil
		}
		amp += from
		c.copy(src, from, amp)
		r, n := xmlEntity(src[amp:to])
		if n == 0 {
			c.copy(src, amp, amp+1)
			from = amp + 1
			continue
		}
		if r == '<' || attr && r == '"' {
			what := "a '<'"
			if r == '"' {
				what = "a '\"' in an attribute"
			}
			return &ParseError{Col: amp + 1, Len: n, Err: ErrSyntax,
				Msg: quote(src[amp:amp+n]) + " stands for " + what + ", which conntrack's XML cannot hold: it prints its text unescaped", Text: string(src)}
		}
		c.marks = append(c.marks, xmlMark{len(c.out), amp})
		c.out = utf8.AppendRune(c.out, r)
		from = amp + n
	}
	return nil
}

// xmlEntity returns the character that the reference at the start of b
// stands for and its length, or 0 if b does not start with one.
func xmlEntity(b []byte) (rune, int) {
	end := bytes.IndexByte(b[:min(len(b), 12)], ';')
	if end < 2 {
		return 0, 0
	}
	name := b[1:end]
	switch string(name) {
	case "lt":
		return '<', end + 1
	case "gt":
		return '>', end + 1
	case "amp":
		return '&', end + 1
	case "quot":
		return '"', end + 1
	case "apos":
		return '\'', end + 1
	}
	if name[0] != '#' || len(name) < 2 {
		return 0, 0
	}
	base, digits := 10, name[1:]
	if digits[0] == 'x' {
		base, digits = 16, digits[1:]
	}
	if len(digits) == 0 || len(digits) > 8 {
		return 0, 0
	}
	var r rune
	for _, d := range digits {
		var v byte
		switch {
		case d >= '0' && d <= '9':
			v = d - '0'
		case base == 16 && d >= 'a' && d <= 'f':
			v = d - 'a' + 10
		case base == 16 && d >= 'A' && d <= 'F':
			v = d - 'A' + 10
		default:
			return 0, 0
		}
		r = r*rune(base) + rune(v)
	}
	// The characters XML allows.
	if !(r == 0x9 || r == 0xa || r == 0xd || r >= 0x20 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= 0x10ffff) {
		return 0, 0
	}
	return r, end + 1
}

// tolerant parses src, a record of an XML format in any layout, into f or
// e, by rewriting it in conntrack's layout. It reports whether the rewrite
// changed anything. An error's Col and Len are in src, and its Text is src.
func (ps *lineParser) tolerant(src []byte, f *Flow, e *Expect) (bool, error) {
	c := &ps.canon
	if perr := c.rewrite(src); perr != nil {
		return true, perr
	}
	if bytes.Equal(c.out, src) {
		return false, nil
	}
	var err error
	if e != nil {
		err = ps.p.parseExpect(ps.Format, c.out, e)
	} else {
		err = ps.p.parseLine(ps.Format, c.out, f)
	}
	if pe, ok := err.(*ParseError); ok {
		start := c.srcOff(max(pe.Col-1, 0))
		end := c.srcOff(max(pe.Col-1+pe.Len-1, 0)) + 1
		if pe.Col-1 >= len(c.out) { // past the end
			start, end = len(src), len(src)+1
		}
		if n := bytes.IndexByte(src[start:], '\n'); n >= 0 && end > start+n {
			end = start + n // the bytes' own line
		}
		pe.Col, pe.Len, pe.Text = start+1, max(end-start, 1), string(src)
	}
	return true, err
}

// retryXML parses line, which the exact parser rejected with err, as XML
// in another layout. It returns err if the line is in conntrack's layout.
func (ps *lineParser) retryXML(line []byte, f *Flow, e *Expect, err error) error {
	changed, terr := ps.tolerant(line, f, e)
	if !changed {
		return err
	}
	ps.rewritten = terr == nil
	return terr
}

// xmlWindow holds lines of an XML document that a Scanner reads as XML
// rather than a record a line: from a line the exact parser rejected to
// the end of the records that line starts.
type xmlWindow struct {
	src  []byte // whole lines, each ended by '\n'
	pos  int    // the next byte to read
	line int    // the number of src's first line
	back int    // 1 + pos, when next handed out the rest of the last line
}

// xmlTolerant reports whether the Scanner reads XML records laid out
// otherwise than conntrack prints them.
func (s *Scanner) xmlTolerant() bool {
	return s.format.root() != "" && !s.ps.Strict && s.dec == nil
}

// xmlRest returns the unread rest of the window's last line, for next to
// hand out as a line; xmlScan goes on from there if the exact parser
// rejects it. It returns false when the window is read.
func (s *Scanner) xmlRest() ([]byte, bool) {
	w := &s.xw
	if w.pos >= len(w.src) {
		w.src, w.pos = w.src[:0], 0
		return nil, false
	}
	w.back, w.pos = w.pos+1, len(w.src)
	return w.src[w.back-1 : len(w.src)-1], true
}

// xmlScan reads on from line, which the exact parser rejected, as XML: one
// record, which may span lines or share its line with others, and the
// declaration, root tags and whitespace around it. It reports whether it
// read a record into f (or e), and the error of a bad one. The window
// ends, and the next line is read as usual, where a line ends between
// records.
func (s *Scanner) xmlScan(line []byte, f *Flow, e *Expect) (bool, *ParseError) {
	w := &s.xw
	w.resume(line, s.lineNo)
	root := s.format.root()
	for {
		if !w.skip(xmlSpace) {
			return false, nil
		}
		i := w.pos
		if w.src[i] != '<' { // text, not markup: its line is bad
			w.pos = w.lineEnd(i)
			return false, s.xmlJunk(i, `expected "<flow", found `)
		}
		end, ok := s.xmlTagEnd(i)
		if !ok {
			return false, s.xmlErr(w.len(), 0, "")
		}
		if end < 0 { // cut by the end of the input
			err := s.xmlJunk(i, "the input ends in the tag ")
			w.src, w.pos = w.src[:0], 0
			return false, err
		}
		tag := w.src[i:end]
		switch kind := xmlFrame(tag, root); kind {
		case frameDecl, frameOpen, frameClose:
			s.footer = s.footer || kind == frameClose
			w.pos = end
			continue
		case frameBadDecl:
			w.pos = w.lineEnd(i)
			return false, s.xmlErr(i, end-i, "an XML declaration other than version 1.0 in UTF-8, which conntrack's XML is")
		case frameRecord:
		default:
			w.pos = w.lineEnd(i)
			return false, s.xmlJunk(i, `expected "<flow", found `)
		}
		stop, ok := s.xmlRecordEnd(end)
		if !ok {
			return false, s.xmlErr(w.len(), 0, "")
		}
		// What follows the record on its line: more XML, or the rest of it,
		// the [USERSPACE] part of an event, which XML tools may also put on
		// the next line, as text of its own.
		le := len(w.src) - 1 // the record is cut by the end of the input
		if stop < len(w.src) {
			le = w.lineEnd(stop) - 1
		}
		rest := bytes.TrimSpace(w.src[min(stop, le):le])
		if len(rest) == 0 && stop < len(w.src) && le+1 == len(w.src) && s.nextIsUserspace() {
			if _, err := s.more(); err != nil {
				return false, s.xmlErr(w.len(), 0, "")
			}
			rest, le = bytes.TrimSpace(w.src[le+1:len(w.src)-1]), len(w.src)-1
		}
		switch {
		case len(rest) == 0:
			w.pos = le + 1
		case rest[0] == '<':
			w.pos = stop
		default:
			stop = le
			for xmlSpace(w.src[stop-1]) {
				stop--
			}
			w.pos = le + 1
		}
		changed, err := s.ps.tolerant(w.src[i:stop], f, e)
		if !changed { // conntrack's bytes, which the exact parser rejected
			if e != nil {
				err = s.ps.p.parseExpect(s.format, w.src[i:stop], e)
			} else {
				err = s.ps.p.parseLine(s.format, w.src[i:stop], f)
			}
		}
		if err == nil {
			s.normalized++
			return true, nil
		}
		pe := asParseError(err, w.src[i:stop])
		return false, s.xmlErr(i+pe.Col-1, pe.Len, "", pe)
	}
}

// nextIsUserspace reports whether the next line of the input, which it
// leaves unread, is the [USERSPACE] part of an event.
func (s *Scanner) nextIsUserspace() bool {
	for {
		b := s.buf[s.start:s.end]
		i := bytes.IndexByte(b, '\n')
		if i >= 0 || s.eof || len(b) > s.maxLine {
			if i >= 0 {
				b = b[:i]
			}
			s.past = s.past || s.open && i < 0 && len(b) == 0
			return kUserspace.match(bytes.TrimLeft(b, " \t"))
		}
		if err := s.fill(); err != nil {
			s.err = err
			return false
		}
	}
}

// len returns the length of the window's lines.
func (w *xmlWindow) len() int { return len(w.src) }

// lineEnd returns the start of the line after the one at i.
func (w *xmlWindow) lineEnd(i int) int {
	return i + bytes.IndexByte(w.src[i:], '\n') + 1
}

// resume starts the window at line, the line just read, numbered lineNo,
// or, where next handed out the rest of the window's last line as line,
// goes back to where that rest starts.
func (w *xmlWindow) resume(line []byte, lineNo int) {
	if w.back > 0 {
		w.pos, w.back = w.back-1, 0
		return
	}
	w.src = append(append(w.src[:0], line...), '\n')
	w.pos, w.line = 0, lineNo
}

// skip skips the bytes from pos on that lie between records (between),
// and drops the lines before the next record. It reports false, emptying
// the window, where no record is left in it.
func (w *xmlWindow) skip(between func(c byte) bool) bool {
	i := w.pos
	for i < len(w.src) && between(w.src[i]) {
		i++
	}
	if i == len(w.src) {
		w.src, w.pos = w.src[:0], 0
		return false
	}
	w.drop(i)
	return true
}

// drop drops the lines before the one at i, so that the window holds no
// more than the record being read.
func (w *xmlWindow) drop(i int) {
	ls := bytes.LastIndexByte(w.src[:i], '\n') + 1
	if ls > 0 {
		w.line += bytes.Count(w.src[:ls], []byte("\n"))
		w.src = w.src[:copy(w.src, w.src[ls:])]
	}
	w.pos = i - ls
}

// more reads the next line into the window. It reports false at the end
// of the input, and at an error, which it sets.
func (s *Scanner) more() (bool, error) {
	line, err := s.readLine()
	if err != nil {
		if err != io.EOF {
			s.err = err
		}
		s.past = s.past || s.bounded
		return false, nil
	}
	s.lineNo++
	s.cr = len(line) > 0 && line[len(line)-1] == '\r'
	if line == nil || len(s.xw.src)+len(line) >= s.maxLine {
		return false, errRecordTooLong
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	s.xw.src = append(append(s.xw.src, line...), '\n')
	return true, nil
}

var errRecordTooLong = errors.New("record too long")

// xmlTagEnd returns the end of the tag at w.src[i], reading more lines
// while it is cut by the window's end; -1 at the end of the input. It
// reports false for a record longer than a line may be.
func (s *Scanner) xmlTagEnd(i int) (int, bool) {
	w := &s.xw
	var q byte
	for k := i + 1; ; {
		for ; k < len(w.src); k++ {
			switch c := w.src[k]; {
			case q != 0:
				if c == q {
					q = 0
				}
			case c == '"' || c == '\'':
				q = c
			case c == '>':
				return k + 1, true
			case c == '<':
				return k, true // not a tag: the exact parser says what it is
			}
		}
		if more, err := s.more(); err != nil {
			w.src, w.pos = w.src[:0], 0
			return 0, false
		} else if !more {
			return -1, true
		}
	}
}

// xmlRecordEnd returns the end of the record whose start tag ends at i:
// after its </flow>, or where another record starts, or the input ends.
func (s *Scanner) xmlRecordEnd(i int) (int, bool) {
	w := &s.xw
	for {
		j := bytes.IndexByte(w.src[i:], '<')
		if j < 0 {
			i = len(w.src)
			if more, err := s.more(); err != nil {
				w.src, w.pos = w.src[:0], 0
				return 0, false
			} else if !more {
				return len(w.src), true
			}
			continue
		}
		j += i
		end, ok := s.xmlTagEnd(j)
		if !ok {
			return 0, false
		}
		if end < 0 {
			return len(w.src), true
		}
		switch tag := w.src[j:end]; {
		case xmlTagIs(tag, "</flow"):
			return end, true
		case xmlTagIs(tag, "<flow"):
			for j > i && xmlSpace(w.src[j-1]) {
				j--
			}
			return j, true // the record is cut
		}
		i = end
	}
}

func xmlNameEnd(c byte) bool { return !xmlNameByte(c) }

// xmlTagIs reports whether tag, a tag or what is left of one where the
// next '<' cut it, is "<name" or "</name": its name ends after them.
func xmlTagIs(tag []byte, start string) bool {
	return bytes.HasPrefix(tag, []byte(start)) && (len(tag) == len(start) || xmlNameEnd(tag[len(start)]))
}

// The tags around records.
const (
	frameOther = iota
	frameDecl
	frameBadDecl
	frameOpen
	frameClose
	frameRecord
)

// xmlFrame tells what tag is, in a document whose root is root.
func xmlFrame(tag []byte, root string) int {
	name, rest := tag[1:], tag[1:]
	closing := len(name) > 0 && name[0] == '/'
	if closing {
		name, rest = name[1:], name[1:]
	}
	k := 0
	for k < len(name) && xmlNameByte(name[k]) {
		k++
	}
	name, rest = name[:k], rest[k:]
	trimmed := bytes.TrimLeft(rest, " \t\r\n")
	switch {
	case bytes.HasPrefix(tag, []byte("<?xml")) && len(tag) > 5 && (xmlSpace(tag[5]) || tag[5] == '?'):
		if xmlDeclOK(tag) {
			return frameDecl
		}
		return frameBadDecl
	case string(name) == root && string(trimmed) == ">":
		if closing {
			return frameClose
		}
		return frameOpen
	case string(name) == root && !closing && string(trimmed) == "/>":
		return frameClose // an empty document
	case string(name) == "flow" && !closing:
		return frameRecord
	}
	return frameOther
}

// xmlDeclOK reports whether decl, an XML declaration, says what conntrack's
// says: version 1.0, and UTF-8 if it names an encoding; in any quotes and
// letter case of the encoding, with standalone or not.
func xmlDeclOK(decl []byte) bool {
	if !bytes.HasSuffix(decl, []byte("?>")) {
		return false
	}
	var c xmlCanon
	tag := append(append([]byte("<x"), decl[5:len(decl)-2]...), '>')
	if _, _, ok := c.tag(tag, 0); !ok || len(c.attrs) == 0 {
		return false
	}
	for n, a := range c.attrs {
		name, val := string(tag[a.name:a.eq]), tag[a.val:a.end]
		switch {
		case n == 0 && name == "version" && string(val) == "1.0":
		case n == 1 && name == "encoding" && bytes.EqualFold(val, []byte("utf-8")):
		case n > 0 && name == "standalone" && (string(val) == "yes" || string(val) == "no"):
		default:
			return false
		}
	}
	return true
}

// xmlJunk returns the error of what stands at w.src[i] where a record or
// the document's framing should: msg, then the start of what stands there.
func (s *Scanner) xmlJunk(i int, msg string) *ParseError {
	w := &s.xw
	end := i + 1
	for end < len(w.src) && w.src[end] != '<' && w.src[end] != '\n' && end-i < 40 {
		end++
	}
	return s.xmlErr(i, end-i, msg+quote(w.src[i:end]))
}

// xmlErr returns an error at w.src[i:i+n], with msg or, if given, pe's
// field, kind and message, placed on its line of the input.
func (s *Scanner) xmlErr(i, n int, msg string, pe ...*ParseError) *ParseError {
	w := &s.xw
	err := &ParseError{Err: ErrSyntax, Msg: msg}
	if len(pe) > 0 {
		err = pe[0]
	}
	if msg == "" && len(pe) == 0 {
		err.Err, err.Msg = ErrLineTooLong, "an XML record longer than "+itoa(uint64(s.maxLine))+" bytes"
	}
	i = min(i, len(w.src))
	ls := bytes.LastIndexByte(w.src[:i], '\n') + 1
	le := len(w.src)
	if k := bytes.IndexByte(w.src[ls:], '\n'); k >= 0 {
		le = ls + k
	}
	err.Line = w.line + bytes.Count(w.src[:ls], []byte("\n"))
	err.Col, err.Len, err.Text = i-ls+1, max(min(n, le-i), 1), string(w.src[ls:le])
	return err
}
