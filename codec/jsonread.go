package codec

import (
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ctconv/ctconv/format"
)

// jsonReader reads the JSON values of one line without allocating: strings
// come back as slices of the line, or of a scratch buffer when they hold
// escapes.
type jsonReader struct {
	b       []byte
	i       int
	depth   int
	scratch []byte
}

// maxDepth bounds the nesting of values the JSON and msgpack readers skip.
const maxDepth = 64

func (r *jsonReader) reset(line []byte) {
	r.b, r.i, r.depth, r.scratch = line, 0, 0, r.scratch[:0]
}

// fail returns a ParseError at the reader's position.
func (r *jsonReader) fail(sentinel error, field, msg string) error {
	end := min(r.i+1, len(r.b))
	return &format.ParseError{Col: min(r.i, len(r.b)) + 1, Len: max(end-r.i, 1), Field: field, Err: sentinel, Msg: msg, Text: string(r.b)}
}

func (r *jsonReader) ws() {
	if r.i < len(r.b) && r.b[r.i] > ' ' {
		return // compact JSON, as ctconv writes it
	}
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// is reports whether c comes next, after white space, and moves past it.
func (r *jsonReader) is(c byte) bool {
	r.ws()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

func (r *jsonReader) want(c byte, field string) error {
	if r.is(c) {
		return nil
	}
	if r.i >= len(r.b) {
		return r.fail(format.ErrMissing, field, "line ends where "+strconv.QuoteRune(rune(c))+" was expected")
	}
	return r.fail(format.ErrSyntax, field, "expected "+strconv.QuoteRune(rune(c))+", found "+strconv.QuoteRune(rune(r.b[r.i])))
}

// str reads a string and returns its content.
func (r *jsonReader) str(field string) ([]byte, error) {
	if err := r.want('"', field); err != nil {
		return nil, err
	}
	start := r.i
	var high byte // the bits of all bytes so far: ASCII needs no UTF-8 check
	for r.i < len(r.b) {
		switch c := r.b[r.i]; {
		case c == '"':
			r.i++
			s := r.b[start : r.i-1]
			if high >= 0x80 && !utf8.Valid(s) {
				return nil, r.fail(format.ErrSyntax, field, "invalid UTF-8 in a string")
			}
			return s, nil
		case c == '\\':
			return r.escaped(start, field)
		case c < 0x20:
			return nil, r.fail(format.ErrSyntax, field, "control character in a string")
		}
		high |= r.b[r.i]
		r.i++
	}
	return nil, r.fail(format.ErrMissing, field, "unterminated string")
}

// escaped reads the rest of a string that holds escapes into the scratch
// buffer.
func (r *jsonReader) escaped(start int, field string) ([]byte, error) {
	s := append(r.scratch[:0], r.b[start:r.i]...)
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			r.scratch = s
			if !utf8.Valid(s) {
				return nil, r.fail(format.ErrSyntax, field, "invalid UTF-8 in a string")
			}
			return s, nil
		case c < 0x20:
			return nil, r.fail(format.ErrSyntax, field, "control character in a string")
		case c != '\\':
			s = append(s, c)
			r.i++
			continue
		}
		r.i++
		if r.i >= len(r.b) {
			break
		}
		e := r.b[r.i]
		r.i++
		switch e {
		case '"', '\\', '/':
			s = append(s, e)
		case 'b':
			s = append(s, '\b')
		case 'f':
			s = append(s, '\f')
		case 'n':
			s = append(s, '\n')
		case 'r':
			s = append(s, '\r')
		case 't':
			s = append(s, '\t')
		case 'u':
			u, ok := r.hex4()
			if !ok {
				return nil, r.fail(format.ErrSyntax, field, "malformed \\u escape")
			}
			if utf16.IsSurrogate(rune(u)) {
				if r.i+1 < len(r.b) && r.b[r.i] == '\\' && r.b[r.i+1] == 'u' {
					r.i += 2
					u2, ok := r.hex4()
					if d := utf16.DecodeRune(rune(u), rune(u2)); ok && d != utf8.RuneError {
						s = utf8.AppendRune(s, d)
						continue
					}
				}
				return nil, r.fail(format.ErrSyntax, field, "unpaired surrogate in a \\u escape")
			}
			s = utf8.AppendRune(s, rune(u))
		default:
			return nil, r.fail(format.ErrSyntax, field, "unknown escape \\"+string(rune(e)))
		}
	}
	return nil, r.fail(format.ErrMissing, field, "unterminated string")
}

func (r *jsonReader) hex4() (uint16, bool) {
	if r.i+4 > len(r.b) {
		return 0, false
	}
	u, err := strconv.ParseUint(string(r.b[r.i:r.i+4]), 16, 16)
	if err != nil {
		return 0, false
	}
	r.i += 4
	return uint16(u), true
}

// number returns the bytes of a JSON number that is an integer.
func (r *jsonReader) number(field string) ([]byte, error) {
	r.ws()
	start := r.i
	if r.i < len(r.b) && r.b[r.i] == '-' {
		r.i++
	}
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		r.i++
	}
	n := r.b[start:r.i]
	if r.i < len(r.b) && (r.b[r.i] == '.' || r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		return nil, r.fail(format.ErrSyntax, field, "want an integer")
	}
	digits := n
	if len(n) > 0 && n[0] == '-' {
		digits = n[1:]
	}
	if len(digits) == 0 || len(digits) > 1 && digits[0] == '0' {
		r.i = start
		return nil, r.fail(format.ErrSyntax, field, "want an integer without leading zeros")
	}
	return n, nil
}

// uint reads an integer from 0 to max.
func (r *jsonReader) uint(field string, max uint64) (uint64, error) {
	start := r.i
	b, err := r.number(field)
	if err != nil {
		return 0, err
	}
	var n uint64
	for _, c := range b {
		d := uint64(c - '0')
		if d > 9 || n > (math.MaxUint64-d)/10 {
			n = max + 1
			if max == math.MaxUint64 || d > 9 {
				r.i = start
				return 0, r.fail(format.ErrRange, field, string(b)+" is out of range (want 0 to "+strconv.FormatUint(max, 10)+")")
			}
			break
		}
		n = n*10 + d
	}
	if n > max {
		r.i = start
		return 0, r.fail(format.ErrRange, field, string(b)+" is out of range (want 0 to "+strconv.FormatUint(max, 10)+")")
	}
	return n, nil
}

// int reads a signed 64-bit integer.
func (r *jsonReader) int(field string) (int64, error) {
	start := r.i
	b, err := r.number(field)
	if err != nil {
		return 0, err
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var u uint64
	for _, c := range b {
		if u > (math.MaxInt64+1)/10 {
			u = math.MaxUint64
			break
		}
		u = u*10 + uint64(c-'0')
	}
	switch {
	case neg && u <= math.MaxInt64+1:
		return -int64(u), nil
	case !neg && u <= math.MaxInt64:
		return int64(u), nil
	}
	r.i = start
	return 0, r.fail(format.ErrRange, field, "out of the range of a 64-bit integer")
}

// skip reads over any value.
func (r *jsonReader) skip(field string) error {
	r.ws()
	if r.i >= len(r.b) {
		return r.fail(format.ErrMissing, field, "line ends where a value was expected")
	}
	switch c := r.b[r.i]; {
	case c == '"':
		_, err := r.str(field)
		return err
	case c == '{' || c == '[':
		if r.depth++; r.depth > maxDepth {
			return r.fail(format.ErrRange, field, "values nested too deep")
		}
		defer func() { r.depth-- }()
		if c == '{' {
			return r.object(field, func(key []byte) error { return r.skip(field) })
		}
		return r.array(field, func() error { return r.skip(field) })
	case c == '-' || c >= '0' && c <= '9':
		start := r.i
		for r.i < len(r.b) && (r.b[r.i] >= '0' && r.b[r.i] <= '9' || r.b[r.i] == '-' || r.b[r.i] == '+' || r.b[r.i] == '.' || r.b[r.i] == 'e' || r.b[r.i] == 'E') {
			r.i++
		}
		if _, err := strconv.ParseFloat(string(r.b[start:r.i]), 64); err != nil {
			r.i = start
			return r.fail(format.ErrSyntax, field, "malformed number")
		}
		return nil
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(r.b)-r.i >= len(lit) && string(r.b[r.i:r.i+len(lit)]) == lit {
			r.i += len(lit)
			return nil
		}
	}
	return r.fail(format.ErrSyntax, field, "malformed value")
}

// object reads an object, calling fn with each key; fn reads the value.
func (r *jsonReader) object(field string, fn func(key []byte) error) error {
	if err := r.want('{', field); err != nil {
		return err
	}
	if r.is('}') {
		return nil
	}
	for {
		key, err := r.str(field)
		if err != nil {
			return err
		}
		if err := r.want(':', field); err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		if r.is('}') {
			return nil
		}
		if err := r.want(',', field); err != nil {
			return err
		}
	}
}

// array reads an array, calling fn for each element; fn reads it.
func (r *jsonReader) array(field string, fn func() error) error {
	if err := r.want('[', field); err != nil {
		return err
	}
	if r.is(']') {
		return nil
	}
	for {
		if err := fn(); err != nil {
			return err
		}
		if r.is(']') {
			return nil
		}
		if err := r.want(',', field); err != nil {
			return err
		}
	}
}

// end checks that only white space follows.
func (r *jsonReader) end() error {
	r.ws()
	if r.i != len(r.b) {
		return r.fail(format.ErrSyntax, "", "unexpected "+strconv.QuoteRune(rune(r.b[r.i]))+" after the object")
	}
	return nil
}
