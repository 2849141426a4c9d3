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
		if n := s.index.find(&s.keys, &k, k.hash()); (n >= 0) != (i < 5000) || n >= 0 && int(n) != i {
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
	x.slots[x.home(b.hash())] = slot(b.hash(), 0)
	if n := x.find(&keys, &b, b.hash()); n != -1 {
		t.Errorf("b found as key %d, a", n)
	}
	if n := x.find(&keys, &a, a.hash()); n != -1 {
		t.Errorf("a found as %d in a slot with b's hash", n)
	}
}

// TestKeyIndexInsert inserts identities across the index's growth, which
// places the slots again by the hashes they hold: each is found once
// inserted, and inserting it again returns its number and adds nothing.
func TestKeyIndexInsert(t *testing.T) {
	key := func(i int) flowKey {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		return flowKey{src: a.As16(), dst: a.As16(), l4: uint32(i), family: format.IPv4, proto: format.UDP}
	}
	var x keyIndex
	var keys chunks[flowKey]
	for i := range 5000 {
		k := key(i)
		if n := x.insert(&keys, &k, k.hash(), int32(i)); n != -1 {
			t.Fatalf("key %d, new, found as %d", i, n)
		}
		keys.add(k)
	}
	for i := range 5000 {
		k := key(i)
		if n := x.insert(&keys, &k, k.hash(), int32(keys.n)); n != int32(i) {
			t.Errorf("key %d inserted again: %d", i, n)
		}
		if n := x.find(&keys, &k, k.hash()); n != int32(i) {
			t.Errorf("key %d found as %d", i, n)
		}
	}
	if k := key(5000); x.find(&keys, &k, k.hash()) != -1 {
		t.Error("a key never inserted is found")
	}
	// findMany, over runs of keys inserted and not, one without its ICMP
	// fields: as find.
	var ks []flowKey
	var hs []uint64
	for i := 4900; i < 5100; i++ {
		ks = append(ks, key(i))
	}
	ks[7].hostsOnly = true
	for i := range ks {
		hs = append(hs, ks[i].hash())
	}
	found := make([]int32, len(ks))
	x.findMany(&keys, ks, hs, found)
	for i, n := range found {
		want := int32(4900 + i)
		if i == 7 || 4900+i >= 5000 {
			want = -1
		}
		if n != want {
			t.Errorf("findMany: key %d found as %d, want %d", 4900+i, n, want)
		}
	}
}
