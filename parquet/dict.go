package parquet

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"unsafe"
)

// The lookups of a column's dictionary, by string and by address. A
// Go map's hashing costs more than the rest of a row, so strings go
// through a cache keyed by where they are (a table's names, a Scanner's
// interned strings: the same few each row) and addresses through a table
// of their own.

// strCache maps strings to their indexes in a dictionary, by their data
// pointer and length: a string that it holds cannot be freed, so another
// string never has the same pointer and length but other bytes.
type strCache [16]struct {
	p *byte
	n int
	i int32
}

func (c *strCache) slot(s string) (slot *struct {
	p *byte
	n int
	i int32
}, hit bool) {
	p := unsafe.StringData(s)
	slot = &c[(uintptr(unsafe.Pointer(p))>>3^uintptr(len(s)))%uintptr(len(c))]
	return slot, slot.p == p && slot.n == len(s) && p != nil
}

// addrTable maps addresses to their indexes in a dictionary: open
// addressing, linear probing, at most half full.
type addrTable struct {
	slots []addrSlot // a power of two of them
	shift uint8      // 64 - log2(len(slots))
	n     int
}

type addrSlot struct {
	a netip.Addr // the zero Addr in an empty slot
	i int32
}

// find returns a's slot: its index, or an empty slot where it goes.
func (t *addrTable) find(a netip.Addr) *addrSlot {
	b := a.As16()
	x := binary.LittleEndian.Uint64(b[:8])*0x9e3779b97f4a7c15 ^ binary.LittleEndian.Uint64(b[8:])
	h := (x ^ x>>32) * 0x9e3779b97f4a7c15 // its top bits mix all of x's
	mask := uint64(len(t.slots) - 1)
	for i := h >> t.shift; ; i = (i + 1) & mask {
		if s := &t.slots[i]; s.a == a || !s.a.IsValid() {
			return s
		}
	}
}

// get returns the index of a, if the table has it.
func (t *addrTable) get(a netip.Addr) (int32, bool) {
	if t.n == 0 {
		return 0, false
	}
	s := t.find(a)
	return s.i, s.a.IsValid()
}

// put adds a, which the table does not have, with index i.
func (t *addrTable) put(a netip.Addr, i int32) {
	if 2*(t.n+1) > len(t.slots) {
		old := t.slots
		t.slots = make([]addrSlot, max(64, 2*len(old)))
		t.shift = uint8(64 - bits.Len(uint(len(t.slots))-1))
		for _, s := range old {
			if s.a.IsValid() {
				*t.find(s.a) = s
			}
		}
	}
	*t.find(a) = addrSlot{a, i}
	t.n++
}

func (t *addrTable) reset() {
	if t.n > 0 {
		clear(t.slots)
		t.n = 0
	}
}
