package format

// JSON laid out again. ctconv writes JSON Lines, an object a line; tools
// lay them out otherwise: jq . spreads an object over many lines, jq -s
// and a program's dump of a list put them in an array, on one line or
// many. The Scanner of a decoder (WithDecoder) reads them as XML laid out
// again (xmlScan), in the same window: from a line the decoder rejected to
// the end of the object that line starts, and around each object the
// array's brackets, the commas between objects and the whitespace.

// jsonLaidOut reports whether line, which the decoder rejected, is JSON
// laid out otherwise than an object a line, which jsonScan reads: the
// rest of a line after an object, or a line that starts with JSON's
// punctuation and is not one object whole, whose error the decoder's is.
// WithStrict reads an object a line only.
func (s *Scanner) jsonLaidOut(line []byte) bool {
	if s.dec == nil || s.ps.Strict {
		return false
	}
	if s.xw.back > 0 {
		return true
	}
	i := 0
	for i < len(line) && jsonSpace(line[i]) {
		i++
	}
	if i == len(line) {
		return false
	}
	switch line[i] {
	case '[', ',', ']':
		return true
	case '{':
	default:
		return false
	}
	e := jsonEnd{k: i}
	end := e.end(line)
	if end < 0 {
		return true
	}
	for end < len(line) && jsonSpace(line[end]) {
		end++
	}
	return end < len(line)
}

func jsonSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// jsonBetween reports whether c lies between the objects of JSON laid out
// again: whitespace, an array's brackets, the commas between its objects.
func jsonBetween(c byte) bool { return jsonSpace(c) || c == ',' || c == '[' || c == ']' }

// A jsonEnd finds the end of an object in bytes that grow: where one
// read stopped, the next goes on.
type jsonEnd struct {
	k     int // the next byte to look at
	depth int
	str   bool // in a string
	esc   bool // after its backslash
}

// end returns the end of the object that starts at b[e.k] when e is new,
// after its closing brace, or -1 if b ends before it.
func (e *jsonEnd) end(b []byte) int {
	for ; e.k < len(b); e.k++ {
		switch c := b[e.k]; {
		case e.esc:
			e.esc = false
		case e.str:
			e.esc, e.str = c == '\\', c != '"'
		case c == '"':
			e.str = true
		case c == '{' || c == '[':
			e.depth++
		case c == '}' || c == ']':
			if e.depth--; e.depth == 0 {
				e.k++
				return e.k
			}
		}
	}
	return -1
}

// jsonScan reads on from line, which the decoder rejected, as JSON laid
// out again: one object, which may span lines or share its line with
// others, and the brackets, commas and whitespace around it. It reports
// whether it read a record into r, and the error of a bad one.
func (s *Scanner) jsonScan(line []byte, r rec) (bool, *ParseError) {
	w := &s.xw
	w.resume(line, s.lineNo)
	if !w.skip(jsonBetween) {
		return false, nil
	}
	i := w.pos
	if w.src[i] != '{' {
		w.pos = w.lineEnd(i)
		return false, s.xmlJunk(i, "expected a JSON object, found ")
	}
	e := jsonEnd{k: i}
	end := e.end(w.src)
	for end < 0 {
		more, err := s.more()
		if err != nil {
			return false, s.xmlErr(w.len(), 0, "")
		}
		if !more {
			err := s.xmlJunk(i, "the input ends in the object ")
			w.src, w.pos = w.src[:0], 0
			return false, err
		}
		end = e.end(w.src)
	}
	// The commas and brackets after it on its line are read with it.
	w.pos = end
	for w.pos < len(w.src) && w.src[w.pos] != '\n' && jsonBetween(w.src[w.pos]) {
		w.pos++
	}
	if w.pos < len(w.src) && w.src[w.pos] == '\n' {
		w.pos++
	}
	if err := s.parse(w.src[i:end], r); err != nil {
		pe := asParseError(err, w.src[i:end])
		return false, s.xmlErr(i+pe.Col-1, pe.Len, "", pe)
	}
	s.normalized++
	return true, nil
}
