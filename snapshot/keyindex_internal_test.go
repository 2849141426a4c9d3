package snapshot

import (
	"iter"
	"net/netip"
	"reflect"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"unsafe"

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
// places the slots again by the hashes they hold, in place or aside: each
// is found once inserted, and inserting it again, also while the table
// grows aside (into the table, or into the side), returns its number and
// adds nothing.
func TestKeyIndexInsert(t *testing.T) {
	key := func(i int) flowKey {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		return flowKey{src: a.As16(), dst: a.As16(), l4: uint32(i), family: format.IPv4, proto: format.UDP}
	}
	for _, tc := range []struct {
		aside bool
		from  int // asideFrom
		procs int // GOMAXPROCS, 1: the goroutine that grows the table runs late, and the side fills
	}{
		{false, asideFrom, 0},
		{true, asideFrom, 0},
		{true, 1024, 1},
	} {
		aside := tc.aside
		n := 2 * tc.from // the table grows aside twice
		defer func(from, procs int) { asideFrom = from; runtime.GOMAXPROCS(procs) }(asideFrom, runtime.GOMAXPROCS(tc.procs))
		asideFrom = tc.from
		x := keyIndex{aside: aside}
		var keys chunks[flowKey]
		grewAside := 0
		var seen chan []uint64 // the last growth aside the loop saw
		for i := range n {
			k := key(i)
			if got := x.insert(&keys, &k, k.hash(), int32(i)); got != -1 {
				t.Fatalf("aside %v: key %d, new, found as %d", aside, i, got)
			}
			keys.add(k)
			// Right after the insert that began a growth aside, and then
			// now and again while it lasts, which may be no longer.
			if x.growing != nil && (x.growing != seen || i%7 == 0) {
				seen = x.growing
				grewAside++
				for _, j := range []int{i / 2, i} {
					k := key(j)
					if got := x.insert(&keys, &k, k.hash(), int32(keys.n)); got != int32(j) {
						t.Fatalf("aside %v: key %d inserted again while the table grows: %d", aside, j, got)
					}
				}
			}
		}
		if aside != (grewAside > 0) {
			t.Errorf("aside %v: inserted %d keys again while the table grew aside", aside, grewAside)
		}
		x.settle()
		if x.n != n {
			t.Errorf("aside %v: %d keys indexed, want %d", aside, x.n, n)
		}
		for i := range n {
			k := key(i)
			if got := x.insert(&keys, &k, k.hash(), int32(keys.n)); got != int32(i) {
				t.Fatalf("aside %v: key %d inserted again: %d", aside, i, got)
			}
			if got := x.find(&keys, &k, k.hash()); got != int32(i) {
				t.Fatalf("aside %v: key %d found as %d", aside, i, got)
			}
		}
		if k := key(n); x.find(&keys, &k, k.hash()) != -1 {
			t.Errorf("aside %v: a key never inserted is found", aside)
		}
	}
	var x keyIndex
	var keys chunks[flowKey]
	for i := range 5000 {
		k := key(i)
		x.insert(&keys, &k, k.hash(), int32(i))
		keys.add(k)
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

// TestFlowKeySize pins what an identity takes, a third of a held flow's
// memory, and that it holds no pointer for the collector to scan: a
// namespace is a number (netnsNames).
func TestFlowKeySize(t *testing.T) {
	if n := unsafe.Sizeof(flowKey{}); n != 48 {
		t.Errorf("flowKey takes %d bytes, want 48", n)
	}
	k := reflect.TypeFor[flowKey]()
	for i := range k.NumField() {
		switch f := k.Field(i); f.Type.Kind() {
		case reflect.Array, reflect.Bool, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		default:
			t.Errorf("flowKey.%s is a %s", f.Name, f.Type)
		}
	}
}

// TestNetnsNames numbers names on several goroutines at once, each in an
// order of its own, while they read the names back: a name has one
// number, and its number reads back the name.
func TestNetnsNames(t *testing.T) {
	var ns netnsNames
	const names = 200
	ids := make([][names]uint32, 4)
	var wg sync.WaitGroup
	for g := range ids {
		wg.Go(func() {
			for i := range names {
				j := (i*[]int{1, 3, 7, 9}[g] + g) % names // g's order, a permutation
				name := "ns" + strconv.Itoa(j)
				ids[g][j] = ns.id(name)
				if got := ns.name(ids[g][j]); got != name {
					t.Errorf("goroutine %d: %q numbered %d, which reads back %q", g, name, ids[g][j], got)
				}
			}
		})
	}
	wg.Wait()
	seen := map[uint32]bool{}
	for j := range names {
		for g := range ids {
			if ids[g][j] != ids[0][j] {
				t.Fatalf("ns%d numbered %d and %d", j, ids[0][j], ids[g][j])
			}
		}
		if seen[ids[0][j]] || ids[0][j] == 0 {
			t.Fatalf("ns%d numbered %d, a number taken", j, ids[0][j])
		}
		seen[ids[0][j]] = true
	}
	if ns.id("") != 0 || ns.name(0) != "" || ns.find("") != 0 {
		t.Error(`"" is not numbered 0`)
	}
	// find numbers nothing: a streamed flow's namespace.
	if n := ns.find("other"); n != unnumbered {
		t.Errorf(`find("other") = %d, want unnumbered`, n)
	}
	if n := ns.id("other"); n != names+1 || ns.find("other") != n || ns.find("ns7") != ids[0][7] {
		t.Errorf(`"other" numbered %d, found %d; want %d`, n, ns.find("other"), names+1)
	}
}

// flowSlice is a Source of its flows.
type flowSlice []format.Flow

func (s flowSlice) Flows() iter.Seq2[*format.Flow, error] {
	return func(yield func(*format.Flow, error) bool) {
		for i := range s {
			if !yield(&s[i], nil) {
				return
			}
		}
	}
}

func (s flowSlice) Close() error { return nil }

// TestDiffNumbersSelected: a Diff numbers the namespaces of the held flows
// that it selects only.
func TestDiffNumbersSelected(t *testing.T) {
	held := make(flowSlice, 1000)
	for i := range held {
		f := &held[i]
		f.Family, f.Proto, f.Netns = format.IPv4, format.TCP, "ns"+strconv.Itoa(i)
		f.Orig.Src = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		f.Orig.Dst = f.Orig.Src
	}
	udp := format.UDP
	d, err := NewDiff(FromSource(held, Text(format.Proc)), FromSource(flowSlice(nil), Text(format.Proc)), DiffOptions{Filter: &format.Filter{Proto: &udp}})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range d.Changes() {
		if err != nil {
			t.Fatal(err)
		}
	}
	if p := d.netns.names.Load(); p != nil {
		t.Errorf("no held flow selected, %d namespaces numbered", len(*p))
	}
}
