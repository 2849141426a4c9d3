package format

import (
	"encoding/binary"
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

// String returns the slot's name, such as "reply-counters".
func (s Slot) String() string {
	if s < slotCount {
		return slotNames[s]
	}
	return "slot" + itoa(uint64(s))
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

// ExtrasBuilder makes Extras a token at a time, in time linear in the
// tokens, where adding each with Add takes time quadratic in them. The
// zero value is ready to use.
type ExtrasBuilder struct {
	buf      []byte
	last     Slot
	unsorted bool
}

// Reset empties b, keeping its buffer.
func (b *ExtrasBuilder) Reset() { *b = ExtrasBuilder{buf: b.buf[:0]} }

// Add adds tok at slot s, after the tokens already at s.
func (b *ExtrasBuilder) Add(s Slot, tok string) {
	if s < b.last {
		b.unsorted = true
	}
	b.last = max(b.last, s)
	b.buf = appendExtra(b.buf, s, tok)
}

// Extras returns the tokens added, in slot order, and old if it holds the
// same, so that a decoder reusing a Flow does not allocate.
func (b *ExtrasBuilder) Extras(old Extras) Extras {
	if len(b.buf) == 0 {
		return Extras{}
	}
	if b.unsorted {
		// Rare (a hostile input): sort the tokens by slot, stably.
		e := Extras{string(b.buf)}
		type tok struct {
			s Slot
			t string
		}
		var toks []tok
		for s, t := range e.All() {
			toks = append(toks, tok{s, t})
		}
		slices.SortStableFunc(toks, func(a, b tok) int { return int(a.s) - int(b.s) })
		b.buf = b.buf[:0]
		for _, t := range toks {
			b.buf = appendExtra(b.buf, t.s, t.t)
		}
		b.unsorted = false
	}
	if old.s == string(b.buf) {
		return old
	}
	return Extras{string(b.buf)}
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
