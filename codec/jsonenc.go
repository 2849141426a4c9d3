package codec

import (
	"net/netip"
	"strconv"
	"unicode/utf8"

	"github.com/ctconv/ctconv/format"
)

// EncodeError says why a record cannot be encoded.
type EncodeError struct{ Msg string }

func (e *EncodeError) Error() string { return "codec: " + e.Msg }

// jsonWriter appends the members of a JSON object.
type jsonWriter struct {
	b     []byte
	first bool
	err   error
}

func (w *jsonWriter) open() { w.b = append(w.b, '{'); w.first = true }

func (w *jsonWriter) close() { w.b = append(w.b, '}') }

func (w *jsonWriter) key(k string) {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *jsonWriter) uint(k string, n uint64) {
	w.key(k)
	w.b = strconv.AppendUint(w.b, n, 10)
}

func (w *jsonWriter) int(k string, n int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, n, 10)
}

func (w *jsonWriter) str(k, s string) {
	w.key(k)
	w.string(s)
}

func (w *jsonWriter) addr(k string, a netip.Addr) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = a.AppendTo(w.b)
	w.b = append(w.b, '"')
}

// quirks writes the "quirks" member of q, if any: their names in the
// order of version 1 (quirkWire's, then expectQuirkWire's), whatever the
// order of format's constants, so that the JSON of a record stays as it
// was. A flow has quirkWire's only.
func (w *jsonWriter) quirks(q format.Quirks, expect bool) {
	sets := [2]*wireSet{quirkWire, expectQuirkWire}
	n := 0
	for i, set := range sets {
		for _, p := range set.pairs {
			if q&format.Quirks(p.model) == 0 || i > 0 && !expect {
				continue
			}
			if n == 0 {
				w.key("quirks")
				w.b = append(w.b, '[')
			} else {
				w.b = append(w.b, ',')
			}
			w.string(format.QuirkName(format.Quirks(p.model)))
			n++
		}
	}
	if n > 0 {
		w.b = append(w.b, ']')
	}
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

// AppendJSONString appends s as a JSON string, escaped as AppendJSON
// escapes the model's strings; s must be valid UTF-8.
func AppendJSONString(dst []byte, s string) ([]byte, error) {
	w := jsonWriter{b: dst}
	w.string(s)
	return w.b, w.err
}

// AppendJSON appends f as one line of JSON, with its newline.
func AppendJSON(dst []byte, f *format.Flow) ([]byte, error) {
	w := jsonWriter{b: dst}
	w.open()
	w.str("family", f.Family.String())
	w.str("proto", f.Proto.String())
	w.uint("proto-num", uint64(f.Proto))
	if f.Event != format.EventNone {
		w.str("event", f.Event.String())
	}
	if f.Has(format.FieldEventTime) {
		w.int("event-time", f.EventTime)
	}
	if f.Has(format.FieldTimeout) {
		w.int("timeout", f.Timeout)
	}
	if f.Has(format.FieldState) {
		name := format.StateName(f.Proto, f.State)
		if name == "" {
			return dst, &EncodeError{Msg: "state " + strconv.Itoa(int(f.State)) + " of " + f.Proto.String() + " has no name"}
		}
		w.str("state", name)
	}
	if f.Has(format.FieldGRETimeouts) {
		w.uint("gre-timeout", uint64(f.GRETimeout))
		w.uint("gre-stream-timeout", uint64(f.GREStreamTimeout))
	}
	l4 := format.L4None
	if f.Has(format.FieldL4) {
		l4 = f.Proto.Layer4()
	}
	icmpv6 := f.Proto == format.ICMPv6
	w.tuple("tuple-orig", &f.Orig, l4, icmpv6, f.Has(format.FieldOrigZone), f.OrigZone)
	if !noReply(f) { // conntrackd -e has none
		w.tuple("tuple-reply", &f.Reply, l4, icmpv6, f.Has(format.FieldReplyZone), f.ReplyZone)
	}
	if f.Has(format.FieldOrigCounters) {
		w.counters("counters-orig", f.OrigCounters)
	}
	if f.Has(format.FieldReplyCounters) {
		w.counters("counters-reply", f.ReplyCounters)
	}
	if f.Has(format.FieldStatus) {
		w.key("status")
		w.b = append(w.b, '[')
		n := 0
		for i := range 32 {
			bit := format.Status(1) << i
			if f.Status&bit == 0 {
				continue
			}
			name := format.StatusName(bit)
			if name == "" {
				return dst, &EncodeError{Msg: "status bit " + strconv.Itoa(i) + " has no name"}
			}
			if n > 0 {
				w.b = append(w.b, ',')
			}
			w.string(name)
			n++
		}
		w.b = append(w.b, ']')
	}
	if f.Has(format.FieldMark) {
		w.uint("mark", uint64(f.Mark))
	}
	if f.Has(format.FieldSecmark) {
		w.uint("secmark", uint64(f.Secmark))
	}
	if f.Has(format.FieldSecctx) {
		w.str("secctx", f.Secctx)
	}
	if f.Has(format.FieldZone) {
		w.uint("zone", uint64(f.Zone))
	}
	if f.Has(format.FieldDeltaTime) {
		w.uint("delta-time", f.DeltaTime)
	}
	if f.Has(format.FieldStart) {
		w.uint("timestamp-start", f.Start)
	}
	if f.Has(format.FieldStop) {
		w.uint("timestamp-stop", f.Stop)
	}
	if f.Has(format.FieldHelper) {
		w.str("help-name", f.Helper)
	}
	if f.Has(format.FieldUse) {
		w.uint("use", uint64(f.Use))
	}
	if f.Has(format.FieldID) {
		w.uint("id", uint64(f.ID))
	}
	if f.Has(format.FieldLabels) {
		w.key("labels")
		w.b = append(w.b, '[')
		for i, rest := 0, f.Labels; rest != ""; i++ {
			var name string
			name, rest = cut(rest, ',')
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.string(name)
		}
		w.b = append(w.b, ']')
	}
	if f.Has(format.FieldVtags) {
		w.uint("vtag-original", uint64(f.OrigVtag))
		w.uint("vtag-reply", uint64(f.ReplyVtag))
	}
	if f.Has(format.FieldUserspace) {
		w.key("userspace")
		w.b = append(w.b, "true"...)
	}
	if f.Has(format.FieldPortID) {
		w.uint("portid", uint64(f.PortID))
	}
	if f.Has(format.FieldProgname) {
		w.str("progname", f.Progname)
	}
	if f.Has(format.FieldExpires) {
		w.int("expires", f.Expires)
	}
	if f.Has(format.FieldActiveSince) {
		w.int("active-since", f.ActiveSince)
	}
	w.quirks(f.Quirks, false)
	if f.Extras.Len() > 0 {
		w.key("extras")
		w.b = append(w.b, '[')
		n := 0
		for slot, tok := range f.Extras.All() {
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
	w.close()
	if w.err != nil {
		return dst, w.err
	}
	return append(w.b, '\n'), nil
}

// tuple appends a tuple object with the layer-4 part of kind l4.
func (w *jsonWriter) tuple(k string, t *format.Tuple, l4 format.Layer4, icmpv6, hasZone bool, zone uint16) {
	w.key(k)
	w.open()
	if t.Src.IsValid() {
		w.addr("src", t.Src)
	}
	if t.Dst.IsValid() {
		w.addr("dst", t.Dst)
	}
	switch l4 {
	case format.L4Ports, format.L4Keys:
		w.uint("proto-src-port", uint64(t.SrcPort))
		w.uint("proto-dst-port", uint64(t.DstPort))
	case format.L4ICMP:
		if icmpv6 {
			w.uint("proto-icmpv6-type", uint64(t.Type))
			w.uint("proto-icmpv6-code", uint64(t.Code))
			w.uint("proto-icmpv6-id", uint64(t.ID))
		} else {
			w.uint("proto-icmp-type", uint64(t.Type))
			w.uint("proto-icmp-code", uint64(t.Code))
			w.uint("proto-icmp-id", uint64(t.ID))
		}
	}
	if hasZone {
		w.uint("zone", uint64(zone))
	}
	w.close()
}

func (w *jsonWriter) counters(k string, c format.Counters) {
	w.key(k)
	w.open()
	w.uint("packets", c.Packets)
	w.uint("bytes", c.Bytes)
	w.close()
}

func cut(s string, sep byte) (before, after string) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}
