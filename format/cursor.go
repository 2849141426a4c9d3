package format

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// cursor is a position in a line, with what every grammar reads there: the
// space-delimited tokens, keys and their values, numbers, literals, and
// errors that say where, in which field, and why. Each grammar's own
// tokens are in its file.
type cursor struct {
	line []byte
	pos  int
	dir  string // the direction being read, which an error's field names
	// A line laid out again after its own layout failed (see relayout):
	// lay.src is the line given, and lay.cols maps each column of line to
	// its, so that errors point into the line given.
	relaid bool
	lay    *layout
}

// errAt returns a ParseError for the bytes line[start:end], with the
// columns of the line given where it was laid out again.
func (c *cursor) errAt(start, end int, field string, err error, msg string) error {
	if c.dir != "" && field != "" {
		field = c.dir + " " + field
	}
	text := c.line
	if c.relaid {
		start, end, text = c.col(start), c.col(end), c.lay.src
	}
	return &ParseError{Col: start + 1, Len: max(end-start, 1), Field: field, Err: err, Msg: msg, Text: string(text)}
}

// col returns the column of the line given that column i of the re-laid
// line comes from; past the end, the columns go on past the last token.
func (c *cursor) col(i int) int {
	cols := c.lay.cols
	last := len(cols) - 1
	if i > last {
		return int(cols[last]) + i - last
	}
	return int(cols[i])
}

// tokenEnd returns the end of the space-delimited token at i.
func (c *cursor) tokenEnd(i int) int {
	if j := bytes.IndexByte(c.line[i:], ' '); j >= 0 {
		return i + j
	}
	return len(c.line)
}

// value expects key at the cursor, and returns the value after it, which
// ends at the next space. The cursor moves past the value.
func (c *cursor) value(k *key) ([]byte, int, error) {
	rest := c.line[c.pos:]
	if !k.match(rest) {
		if err := c.truncated(k); err != nil {
			return nil, c.pos, err
		}
		end := c.tokenEnd(c.pos)
		if err := c.continuation(end); err != nil {
			return nil, c.pos, err
		}
		return nil, c.pos, c.errAt(c.pos, end, k.field, ErrSyntax, "expected "+k.s+", found "+quote(rest[:end-c.pos]))
	}
	start := c.pos + len(k.s)
	end := c.tokenEnd(start)
	c.pos = end
	if start == end {
		return nil, start, c.errAt(start-len(k.s), end, k.field, ErrSyntax, "empty value after "+k.s)
	}
	return c.line[start:end], start, nil
}

// continuation returns an error if the token at the cursor, which ends at
// end, is the backslash that continues a line in documentation excerpts.
func (c *cursor) continuation(end int) error {
	if end == len(c.line) && string(c.line[c.pos:end]) == "\\" {
		return c.errAt(c.pos, end, "", ErrSyntax, "a backslash line continuation, as documentation excerpts print long lines and the producer never does; a Scanner joins it with the next line unless strict")
	}
	return nil
}

// truncated returns an error if the line ends at the cursor, or in the
// middle of key.
func (c *cursor) truncated(k *key) error {
	rest := c.line[c.pos:]
	switch {
	case len(rest) == 0:
		return c.errAt(c.pos, c.pos, k.field, ErrMissing, "line ends where "+k.s+" was expected (truncated line?)")
	case len(rest) < len(k.s) && k.s[:len(rest)] == string(rest):
		return c.errAt(c.pos, len(c.line), k.field, ErrMissing, "line ends in the middle of "+k.s+" (truncated line?)")
	}
	return nil
}

// uint parses the value of k as a number of at most max.
func (c *cursor) uint(k *key, max uint64) (uint64, error) {
	if c.at(k) {
		if n, ok := c.digits(max); ok {
			return n, nil
		}
		c.pos -= len(k.s)
	}
	return c.uintSlow(k, max)
}

// at reports whether k is at the cursor and, if so, moves past it.
func (c *cursor) at(k *key) bool {
	if k.match(c.line[c.pos:]) {
		c.pos += len(k.s)
		return true
	}
	return false
}

// digits parses the common case of a number at the cursor: 1 to 19 digits
// (which cannot overflow), without a leading zero, up to max, then a space
// or the end of the line. It reports false for anything else, which the
// slow path then explains.
func (c *cursor) digits(max uint64) (uint64, bool) {
	s := c.line[c.pos:]
	t := s
	if len(t) > 19 {
		t = t[:19]
	}
	var n uint64
	j := 0
	for ; j < len(t); j++ {
		d := t[j] - '0'
		if d > 9 {
			break
		}
		n = n*10 + uint64(d)
	}
	if j > 0 && (j == len(s) || s[j] == ' ') && n <= max && (s[0] != '0' || j == 1) {
		c.pos += j
		return n, true
	}
	return 0, false
}

func (c *cursor) uintSlow(k *key, max uint64) (uint64, error) {
	v, at, err := c.value(k)
	if err != nil {
		return 0, err
	}
	n, e := parseUint(v, max)
	if e != numOK {
		return 0, c.numErr(v, at, k.field, e, false, "0 to "+itoa(max))
	}
	return n, nil
}

// numErr describes why the number v at column at did not parse.
func (c *cursor) numErr(v []byte, at int, field string, e numErr, signed bool, want string) error {
	end := at + len(v)
	switch e {
	case numRange:
		return c.errAt(at, end, field, ErrRange, string(v)+" is out of range (want "+want+")")
	case numZero:
		return c.errAt(at, end, field, ErrSyntax, "leading zero in "+quote(v)+", which the kernel never prints")
	}
	for i, b := range v {
		if (b < '0' || b > '9') && !(signed && i == 0 && b == '-') {
			return c.errAt(at+i, at+i+1, field, ErrSyntax, "unexpected "+describe(v, i)+" in a number (want "+want+")")
		}
	}
	return c.errAt(at, end, field, ErrSyntax, "malformed number "+quote(v)+" (want "+want+")")
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

// text checks a free-form value: printable, valid UTF-8, no control
// characters (C0, DEL, C1: isText's rule).
func (c *cursor) text(v []byte, at int, field string) error {
	var all byte // the OR of the bytes: ASCII text needs no UTF-8 check
	for i, b := range v {
		if b < 0x20 || b == 0x7f {
			return c.errAt(at+i, at+i+1, field, ErrSyntax, "unexpected "+describe(v, i))
		}
		if b == c1Lead && i+1 < len(v) && isC1Tail(v[i+1]) {
			return c.errAt(at+i, at+i+2, field, ErrSyntax, "unexpected control character U+00"+strings.ToUpper(strconv.FormatUint(uint64(v[i+1]), 16)))
		}
		all |= b
	}
	if all >= utf8.RuneSelf && !utf8.Valid(v) {
		return c.errAt(at, at+len(v), field, ErrSyntax, "invalid UTF-8 in "+quote(v))
	}
	return nil
}

// hex parses the value of k as the kernel prints a GRE key: 0x and 1 to 4
// lowercase hex digits.
func (c *cursor) hex(k *key) (uint16, error) {
	v, at, err := c.value(k)
	if err != nil {
		return 0, err
	}
	n, e := parseHex16(v)
	if e != numOK {
		msg := "want 0x and 1 to 4 lowercase hex digits"
		if e == numZero {
			msg = "leading zero in " + quote(v) + ", which the kernel never prints"
		}
		return 0, c.errAt(at, at+len(v), k.field, ErrSyntax, msg)
	}
	return n, nil
}

// lit expects the literal s at the cursor and moves past it.
func (c *cursor) lit(s string) error {
	if end := c.pos + len(s); end <= len(c.line) && string(c.line[c.pos:end]) == s {
		c.pos = end
		return nil
	}
	return c.expected(s)
}

// opt reports whether the literal s is at the cursor and, if so, moves past it.
func (c *cursor) opt(s string) bool {
	if end := c.pos + len(s); end <= len(c.line) && string(c.line[c.pos:end]) == s {
		c.pos = end
		return true
	}
	return false
}

// expected explains what is at the cursor instead of want.
func (c *cursor) expected(want string) error {
	rest := c.line[c.pos:]
	if len(rest) < len(want) && want[:len(rest)] == string(rest) {
		return c.errAt(c.pos, len(c.line), "", ErrMissing, "line ends where "+strconv.Quote(want)+" was expected (a truncated record? conntrack cuts XML events at 1023 bytes)")
	}
	end := c.pos + 1
	for end < len(c.line) && c.line[end] != '<' && end-c.pos < 40 {
		end++
	}
	return c.errAt(c.pos, end, "", ErrSyntax, "expected "+strconv.Quote(want)+", found "+quote(c.line[c.pos:end]))
}

// expectDigits parses the digits of a value whose key the caller matched.
func (c *cursor) expectDigits(field string, max uint64) (uint64, error) {
	at := c.pos
	end := c.tokenEnd(at)
	n, er := parseUint(c.line[at:end], max)
	if er != numOK {
		return 0, c.numErr(c.line[at:end], at, field, er, false, "0 to "+itoa(max))
	}
	c.pos = end
	return n, nil
}
