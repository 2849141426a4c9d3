package format

import (
	"encoding/binary"
	"errors"
	"iter"
	"slices"
)

// Slot names a position in a record: the element that a token follows. The
// elements are listed in the order the text formats print them.
type Slot uint8

// The slots, in print order.
const (
	SlotHeader        Slot = iota // protocol header, timeout and private part
	SlotOrig                      // original tuple
	SlotOrigZone                  // zone-orig=
	SlotOrigCounters              // original packets= bytes=
	SlotUnreplied                 // [UNREPLIED]
	SlotReply                     // reply tuple
	SlotReplyZone                 // zone-reply=
	SlotReplyCounters             // reply packets= bytes=
	SlotFlag                      // [ASSURED], [OFFLOAD] or [HW_OFFLOAD]
	SlotUnconfirmed               // [UNCONFIRMED]
	SlotMark                      // mark=
	SlotSecmark                   // secmark=
	SlotSecctx                    // secctx=
	SlotZone                      // zone=
	SlotDeltaTime                 // delta-time=
	SlotStart                     // [start=...]
	SlotStop                      // [stop=...]
	SlotHelper                    // helper=
	SlotUse                       // use=
	SlotID                        // id=
	SlotLabels                    // labels=
	SlotUserspace                 // [USERSPACE] portid= progname=
	SlotExpires                   // [expires in Ns] (conntrackd)
	SlotActiveSince               // [active since Ns] (conntrackd)
	slotCount
)

var slotNames = [slotCount]string{
	"header", "orig", "orig-zone", "orig-counters", "unreplied", "reply",
	"reply-zone", "reply-counters", "flag", "unconfirmed", "mark", "secmark",
	"secctx", "zone", "delta-time", "start", "stop", "helper", "use", "id",
	"labels", "userspace", "expires", "active-since",
}

// Extras are tokens of a record that its parser did not know, each with the
// slot it followed. A printer prints each token after the element of its
// slot, so a record with vendor fields (hwid=3, [NFP (both)]) prints back
// as it was read. The zero value holds no tokens.
type Extras struct {
	s string // per token: slot byte, uvarint length, text; in slot order
}

// Equal reports whether e and o hold the same tokens at the same slots.
func (e Extras) Equal(o Extras) bool { return e.s == o.s }

// Len returns the number of tokens in e.
func (e Extras) Len() int {
	n := 0
	for i := 0; i < len(e.s); n++ {
		_, _, i = e.at(i)
	}
	return n
}

// All yields each token with its slot, in print order.
func (e Extras) All() iter.Seq2[Slot, string] {
	return func(yield func(Slot, string) bool) {
		for i := 0; i < len(e.s); {
			var s Slot
			var tok string
			s, tok, i = e.at(i)
			if !yield(s, tok) {
				return
			}
		}
	}
}

// Add returns e with tok added after the tokens already at slot s.
func (e Extras) Add(s Slot, tok string) Extras {
	i := 0
	for i < len(e.s) && Slot(e.s[i]) <= s {
		_, _, i = e.at(i)
	}
	rec := appendExtra(nil, s, tok)
	return Extras{e.s[:i] + string(rec) + e.s[i:]}
}

// AppendBinary appends the binary form of e: for each token in print
// order, its slot as a byte, its length as a uvarint, and its bytes.
func (e Extras) AppendBinary(b []byte) ([]byte, error) { return append(b, e.s...), nil }

// MarshalBinary returns the binary form of e (see AppendBinary).
func (e Extras) MarshalBinary() ([]byte, error) { return e.AppendBinary(nil) }

// UnmarshalBinary sets e to the tokens of b, in the binary form of
// AppendBinary, whose tokens may come in any order of slots: a slot's
// tokens keep their order. Where e already holds the same tokens it is
// left as it is, so that a decoder reusing a Flow does not allocate.
func (e *Extras) UnmarshalBinary(b []byte) error {
	if string(b) == e.s {
		return nil
	}
	sorted := true
	for i, last := 0, Slot(0); i < len(b); {
		s := Slot(b[i])
		n, k := binary.Uvarint(b[i+1:])
		if s >= slotCount || k <= 0 || n > uint64(len(b)-i-1-k) {
			return errors.New("format: malformed binary Extras")
		}
		sorted = sorted && s >= last
		last, i = s, i+1+k+int(n)
	}
	x := Extras{string(b)}
	if !sorted { // rare: sort the tokens by slot, stably
		type tok struct {
			s Slot
			t string
		}
		var toks []tok
		for s, t := range x.All() {
			toks = append(toks, tok{s, t})
		}
		slices.SortStableFunc(toks, func(a, b tok) int { return int(a.s) - int(b.s) })
		var buf []byte
		for _, t := range toks {
			buf = appendExtra(buf, t.s, t.t)
		}
		x = Extras{string(buf)}
	}
	*e = x
	return nil
}

// at decodes the token at offset i and returns the offset of the next.
func (e Extras) at(i int) (Slot, string, int) {
	s := Slot(e.s[i])
	n, shift := 0, 0
	for i++; ; i++ {
		c := e.s[i]
		n |= int(c&0x7f) << shift
		shift += 7
		if c < 0x80 {
			break
		}
	}
	i++
	return s, e.s[i : i+n], i + n
}

func appendExtra[T ~string | ~[]byte](dst []byte, s Slot, tok T) []byte {
	dst = append(dst, byte(s))
	dst = binary.AppendUvarint(dst, uint64(len(tok)))
	return append(dst, tok...)
}

// appendSlot appends, each followed by a space, the tokens of e at slots up
// to s, starting at offset *i, which it advances past them.
func (e Extras) appendSlot(dst []byte, s Slot, i *int) []byte {
	for *i < len(e.s) && Slot(e.s[*i]) <= s {
		var tok string
		_, tok, *i = e.at(*i)
		dst = append(dst, tok...)
		dst = append(dst, ' ')
	}
	return dst
}
