package snapshot

import (
	"net/netip"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// TestKeySet adds identities that differ in one field each, across the
// index's growth: each is found once added, not before, and keys whose
// hashes share their top half (the slot's check) are told apart by value.
func TestKeySet(t *testing.T) {
	key := func(i int) flowKey {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		return flowKey{src: a.As16(), dst: a.As16(), l4: uint32(i), family: format.IPv4, proto: format.TCP}
	}
	s := keySet{max: 5000}
	for i := range 6000 {
		k := key(i)
		had, has := s.add(&k)
		if want := i < 5000; had || has != want {
			t.Fatalf("key %d: had %v, has %v; want false, %v", i, had, has, want)
		}
	}
	for i := range 6000 {
		k := key(i)
		if n := s.index.find(&s.keys, &k); (n >= 0) != (i < 5000) || n >= 0 && int(n) != i {
			t.Errorf("key %d found as %d", i, n)
		}
	}
	// Key a in the slot where b's probe starts, with b's hash: b is told
	// from a by value.
	var x keyIndex
	var keys chunks[flowKey]
	a, b := key(1), key(2)
	keys.add(a)
	x.slots = make([]uint64, 1024)
	x.slots[b.hash()&1023] = slot(b.hash(), 0)
	if n := x.find(&keys, &b); n != -1 {
		t.Errorf("b found as key %d, a", n)
	}
	if n := x.find(&keys, &a); n != -1 {
		t.Errorf("a found as %d in a slot with b's hash", n)
	}
}
