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
// addressing, linear probing, at most half full. Its slots are small, so
// that the table of a row group's addresses stays in a processor's
// cache: a slot holds a fingerprint of the address's hash, and where the
// address is in keys.
type addrTable struct {
	slots []addrSlot // a power of two of them
	shift uint8      // 64 - log2(len(slots))
	keys  []addrKey
}

type addrSlot struct {
	fp  uint32
	key int32 // 1 + the index of its key in keys; 0 in an empty slot
}

type addrKey struct {
	a netip.Addr
	i int32
}

func hashAddr(a netip.Addr) uint64 {
	b := a.As16()
	x := binary.LittleEndian.Uint64(b[:8])*0x9e3779b97f4a7c15 ^ binary.LittleEndian.Uint64(b[8:])
	return (x ^ x>>32) * 0x9e3779b97f4a7c15 // its top bits mix all of x's
}

// find returns the slot of a, whose hash is h: the slot that points to a,
// or an empty slot where it goes.
func (t *addrTable) find(a netip.Addr, h uint64) *addrSlot {
	mask := uint64(len(t.slots) - 1)
	for i := h >> t.shift; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.key == 0 || s.fp == uint32(h) && t.keys[s.key-1].a == a {
			return s
		}
	}
}

// get returns the index of a, if the table has it.
func (t *addrTable) get(a netip.Addr) (int32, bool) {
	if len(t.keys) == 0 {
		return 0, false
	}
	s := t.find(a, hashAddr(a))
	if s.key == 0 {
		return 0, false
	}
	return t.keys[s.key-1].i, true
}

// put adds a, which the table does not have, with index i.
func (t *addrTable) put(a netip.Addr, i int32) {
	if 2*(len(t.keys)+1) > len(t.slots) {
		t.slots = make([]addrSlot, max(64, 2*len(t.slots)))
		t.shift = uint8(64 - bits.Len(uint(len(t.slots))-1))
		for k, key := range t.keys {
			h := hashAddr(key.a)
			*t.find(key.a, h) = addrSlot{uint32(h), int32(k + 1)}
		}
	}
	t.keys = append(t.keys, addrKey{a, i})
	h := hashAddr(a)
	*t.find(a, h) = addrSlot{uint32(h), int32(len(t.keys))}
}

func (t *addrTable) reset() {
	if len(t.keys) > 0 {
		clear(t.slots)
		t.keys = t.keys[:0]
	}
}
