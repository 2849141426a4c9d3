package codec

import (
	"math/bits"
	"net/netip"
	"strconv"
	"unicode/utf8"

	"github.com/ctconv/ctconv/format"
)

// EncodeError says why a record cannot be encoded.
type EncodeError struct{ Msg string }

func (e *EncodeError) Error() string { return "codec: " + e.Msg }

// AppendJSON appends f as one line of JSON, with its newline.
func AppendJSON(dst []byte, f *format.Flow) ([]byte, error) {
	return appendObject(dst, flowJSON, uint64(f.Fields), f)
}

// AppendJSONExpect appends e as one line of JSON, with its newline.
func AppendJSONExpect(dst []byte, e *format.Expect) ([]byte, error) {
	return appendObject(dst, expectJSON, uint64(e.Fields), e)
}

// appendObject appends the object of r, whose set of fields is has, as
// one line: the members of o that it has, in their order. It stops
// at the first member that cannot be encoded.
func appendObject[R any](dst []byte, o *jsonObject[R], has uint64, r *R) ([]byte, error) {
	b := append(dst, '{')
	members := o.members(has, r)
	for m := members; m != 0; m &= m - 1 {
		f := &o.fields[bits.TrailingZeros64(m)]
		if m == members {
			b = append(b, f.member[1:]...) // no comma before the first
		} else {
			b = append(b, f.member...)
		}
		var err error
		if b, err = f.put(b, r); err != nil {
			return dst, err
		}
	}
	return append(b, '}', '\n'), nil
}

// AppendJSONString appends s as a JSON string, escaped as AppendJSON
// escapes the model's strings; s must be valid UTF-8.
func AppendJSONString(dst []byte, s string) ([]byte, error) {
	w := jsonWriter{b: dst}
	w.string(s)
	return w.b, w.err
}

// jsonWriter appends JSON values; err says why a string among them
// cannot be encoded.
type jsonWriter struct {
	b   []byte
	err error
}

func (w *jsonWriter) uint(n uint64) { w.b = strconv.AppendUint(w.b, n, 10) }

func (w *jsonWriter) int(n int64) { w.b = strconv.AppendInt(w.b, n, 10) }

func (w *jsonWriter) addr(a netip.Addr) {
	w.b = append(w.b, '"')
	w.b = a.AppendTo(w.b)
	w.b = append(w.b, '"')
}

// names appends an array of the names of the indices set in set, a bit
// an index; a name that is "" is an EncodeError.
func (w *jsonWriter) names(names []string, set uint64, what string) error {
	w.b = append(w.b, '[')
	for m := set; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		if i >= len(names) || names[i] == "" {
			return &EncodeError{Msg: what + " " + strconv.Itoa(i) + " has no name"}
		}
		if m != set {
			w.b = append(w.b, ',')
		}
		w.string(names[i])
	}
	w.b = append(w.b, ']')
	return nil
}

// string appends s as a JSON string. The model's strings are valid UTF-8;
// one that is not cannot be encoded without loss.
func (w *jsonWriter) string(s string) {
	if !utf8.ValidString(s) {
		w.err = &EncodeError{Msg: "invalid UTF-8 in " + strconv.Quote(s)}
	}
	w.b = append(w.b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		w.b = append(w.b, s[start:i]...)
		switch c {
		case '"', '\\':
			w.b = append(w.b, '\\', c)
		case '\n':
			w.b = append(w.b, '\\', 'n')
		case '\t':
			w.b = append(w.b, '\\', 't')
		default:
			w.b = append(w.b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		}
		start = i + 1
	}
	w.b = append(w.b, s[start:]...)
	w.b = append(w.b, '"')
}

const hex = "0123456789abcdef"

// tuple appends a tuple object with the layer-4 part of kind l4, and
// zone where hasZone.
func (w *jsonWriter) tuple(t *format.Tuple, l4 format.Layer4, icmpv6, hasZone bool, zone uint16) {
	part := partAddr // none
	switch l4 {
	case format.L4Ports, format.L4Keys:
		part = partPorts
	case format.L4ICMP:
		part = partICMP
		if icmpv6 {
			part = partICMPv6
		}
	}
	w.b = append(w.b, '{')
	sep := 1 // no comma before the first member
	for _, m := range tupleParts[partAddr] {
		if a := *m.addr(t); a.IsValid() {
			w.b = append(w.b, m.member[sep:]...)
			w.addr(a)
			sep = 0
		}
	}
	if part != partAddr {
		for _, m := range tupleParts[part] {
			w.b = append(w.b, m.member[sep:]...)
			w.uint(m.get(t))
			sep = 0
		}
	}
	if hasZone {
		for _, m := range tupleParts[partZone] {
			w.b = append(w.b, m.member[sep:]...)
			w.uint(uint64(zone))
		}
	}
	w.b = append(w.b, '}')
}

func (w *jsonWriter) counters(c format.Counters) {
	w.b = append(w.b, `{"packets":`...)
	w.uint(c.Packets)
	w.b = append(w.b, `,"bytes":`...)
	w.uint(c.Bytes)
	w.b = append(w.b, '}')
}

// extras appends the tokens of e, each with its slot.
func (w *jsonWriter) extras(e format.Extras) {
	w.b = append(w.b, '[')
	n := 0
	for slot, tok := range e.All() {
		if n > 0 {
			w.b = append(w.b, ',')
		}
		w.b = append(w.b, `{"slot":`...)
		w.string(slot.String())
		w.b = append(w.b, `,"text":`...)
		w.string(tok)
		w.b = append(w.b, '}')
		n++
	}
	w.b = append(w.b, ']')
}

func cut(s string, sep byte) (before, after string) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}
