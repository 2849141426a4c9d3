package snapshot

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
)

// flowKey is a flow's identity in the kernel's table: family, protocol,
// zone and original tuple, and the table's namespace where the capture
// names one a flow (the same tuple in two namespaces is two flows). An
// ICMP flow read from conntrack's XML lacks its type, code and id: its
// key has only the rest, and says so. It holds no pointer, its namespace
// a number (netnsNames), so that a million of them take 48 MB that the
// garbage collector does not scan.
type flowKey struct {
	src, dst  [16]byte
	l4        uint32
	netns     uint32 // 0: none; see netnsNames
	zone      uint16
	family    format.Family
	proto     format.Proto
	hostsOnly bool // an ICMP flow's, without its ICMP fields
}

// netnsNames numbers the namespace names of identities, from 1, and is
// safe for concurrent use: the identities that are compared, or ordered,
// are numbered by the same netnsNames. Reading a number's name takes no
// lock, as a sort's comparisons do. A Diff numbers the names of the held
// flows it selects only, and of the identities it checks for duplicates,
// a bounded set: the identity of a streamed flow of a namespace that none
// of these has is unnumbered, so that its memory does not grow with the
// streamed capture.
type netnsNames struct {
	ids   sync.Map                 // name → number
	mu    sync.Mutex               // held to number a name
	names atomic.Pointer[[]string] // by number - 1, appended to under mu
}

// id returns name's number, numbering it if it has none; 0 for "".
func (n *netnsNames) id(name string) uint32 {
	if name == "" {
		return 0
	}
	if id, ok := n.ids.Load(name); ok {
		return id.(uint32)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if id, ok := n.ids.Load(name); ok {
		return id.(uint32)
	}
	var names []string
	if p := n.names.Load(); p != nil {
		names = *p
	}
	// Readers of the slice before read none of it past its length.
	names = append(names, strings.Clone(name))
	n.names.Store(&names)
	id := uint32(len(names))
	n.ids.Store(names[id-1], id)
	return id
}

// unnumbered is the namespace of an identity whose name netnsNames.find
// did not find numbered. It equals no numbered identity's.
const unnumbered = math.MaxUint32

// find returns name's number as id does, or unnumbered where it has none,
// without numbering it.
func (n *netnsNames) find(name string) uint32 {
	if name == "" {
		return 0
	}
	if id, ok := n.ids.Load(name); ok {
		return id.(uint32)
	}
	return unnumbered
}

// name returns the name numbered id, "" for 0.
func (n *netnsNames) name(id uint32) string {
	if id == 0 {
		return ""
	}
	return (*n.names.Load())[id-1]
}

// keyOf returns f's identity, of the namespace numbered netns.
func keyOf(f *format.Flow, netns uint32) flowKey {
	k := flowKey{netns: netns, src: f.Orig.Src.As16(), dst: f.Orig.Dst.As16(), family: f.Family, proto: f.Proto}
	if f.Has(format.FieldL4) {
		t := &f.Orig
		switch f.Proto.Layer4() {
		case format.L4Ports, format.L4Keys:
			k.l4 = uint32(t.SrcPort)<<16 | uint32(t.DstPort)
		case format.L4ICMP:
			k.l4 = uint32(t.Type)<<24 | uint32(t.Code)<<16 | uint32(t.ID)
		}
	} else {
		k.hostsOnly = f.Proto.Layer4() == format.L4ICMP
	}
	switch {
	case f.Has(format.FieldZone):
		k.zone = f.Zone
	case f.Has(format.FieldOrigZone):
		k.zone = f.OrigZone
	}
	return k
}

func (k *flowKey) hash() uint64 {
	const m = 0x9e3779b97f4a7c15
	w := func(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }
	h := w(k.src[:8])*m ^ w(k.src[8:])
	h = (h^h>>29)*m ^ w(k.dst[:8])
	h = (h^h>>29)*m ^ w(k.dst[8:])
	h = (h^h>>29)*m ^ (uint64(k.l4) | uint64(k.zone)<<32 | uint64(k.family)<<48 | uint64(k.proto)<<56)
	if k.netns != 0 { // most captures name none
		h = (h^h>>29)*m ^ uint64(k.netns)
	}
	return (h ^ h>>31) * m
}

// icmp reports whether k is of an ICMP or ICMPv6 flow.
func (k *flowKey) icmp() bool { return k.proto.Layer4() == format.L4ICMP }

// hosts returns k without its ICMP type, code and id: what an ICMP flow
// read from conntrack's XML, which does not print them, has of it.
func (k *flowKey) hosts() flowKey {
	h := *k
	h.l4, h.hostsOnly = 0, false
	return h
}

// compareKeys orders identities, their namespaces numbered by ns (nil
// where they have none), as a sorted snapshot holds them: by namespace,
// family, protocol, zone, source, destination, then ports or keys. ICMP
// flows of the same hosts compare equal, whatever their type, code and
// id, so that a stable sort keeps them in capture order: the order by
// which a Diff pairs those of a capture that lacks their ICMP fields
// (conntrack's XML) with those of one that has them.
func compareKeys(a, b *flowKey, ns *netnsNames) int {
	if a.netns != b.netns {
		return strings.Compare(ns.name(a.netns), ns.name(b.netns))
	}
	if c := cmp.Compare(a.family, b.family); c != 0 {
		return c
	}
	if c := cmp.Compare(a.proto, b.proto); c != 0 {
		return c
	}
	if c := cmp.Compare(a.zone, b.zone); c != 0 {
		return c
	}
	if c := bytes.Compare(a.src[:], b.src[:]); c != 0 {
		return c
	}
	if c := bytes.Compare(a.dst[:], b.dst[:]); c != 0 {
		return c
	}
	if a.icmp() {
		return 0
	}
	return cmp.Compare(a.l4, b.l4)
}

// chunks is a slice that grows by chunks, never copying what it holds:
// growing one large slice costs a diff of a million flows more than its
// hashing.
type chunks[T any] struct {
	c [][]T
	n int
}

const chunkBits = 16

func (s *chunks[T]) add(v T) {
	if s.n>>chunkBits == len(s.c) {
		// A chunk after the first is mapped at once: the first may be
		// all that a small table needs, and it fills page by page.
		var c []T
		if len(s.c) == 0 {
			c = make([]T, 0, 1<<chunkBits)
		} else {
			c = mapped[T](1 << chunkBits)[:0]
		}
		s.c = append(s.c, c)
	}
	last := &s.c[len(s.c)-1]
	*last = append(*last, v)
	s.n++
}

func (s *chunks[T]) at(i int) *T { return &s.c[i>>chunkBits][i&(1<<chunkBits-1)] }

// reset empties s, keeping its first chunk for what comes next.
func (s *chunks[T]) reset() {
	if len(s.c) > 0 {
		s.c = s.c[:1]
		s.c[0] = s.c[0][:0]
	}
	s.n = 0
}

// mapped returns a slice of n zero Ts whose memory is mapped at once
// (populate), for memory that is written through soon: a page fault costs
// as long as parsing a few lines on a virtual machine, and fresh memory
// takes one a page where it is first written.
func mapped[T any](n int) []T {
	s := make([]T, n)
	populate(s)
	return s
}

// store keeps flows in memory in a compact form: self-contained msgpack
// records in blocks of 4 MiB, and their identities, by number.
type store struct {
	blocks  [][]byte
	adopted uint32 // the block adopted last
	refs    chunks[recordRef]
	keys    chunks[flowKey]
	enc     *codec.MsgpackEncoder // made once a flow comes without its record
	dec     *codec.MsgpackDecoder
}

// recordRef is where a stored record is.
type recordRef struct{ block, off, len uint32 }

const blockSize = 4 << 20

func newStore() *store {
	return &store{dec: codec.NewMsgpackDecoder(nil)}
}

// Write takes a record from the encoder, which writes one a call.
func (s *store) Write(p []byte) (int, error) {
	if len(s.blocks) == 0 || len(s.blocks[len(s.blocks)-1])+len(p) > cap(s.blocks[len(s.blocks)-1]) {
		s.blocks = append(s.blocks, make([]byte, 0, max(blockSize, len(p))))
	}
	b := &s.blocks[len(s.blocks)-1]
	s.refs.add(recordRef{uint32(len(s.blocks) - 1), uint32(len(*b)), uint32(len(p))})
	*b = append(*b, p...)
	return len(p), nil
}

// A span is where a record is in a block: from its start to its end.
type span struct{ from, to int32 }

// adopt keeps block, records that add is given the spans of, as it is.
func (s *store) adopt(block []byte) {
	s.blocks = append(s.blocks, block)
	s.adopted = uint32(len(s.blocks) - 1)
}

// add stores f, whose identity is k, as the next record: the record at
// span at of the block adopted last, or, if at is the zero span, f
// encoded as the store's encoder does (SelfContained).
func (s *store) add(f *format.Flow, k *flowKey, at span) error {
	if err := s.room(); err != nil {
		return err
	}
	s.keys.add(*k)
	if at != (span{}) {
		s.refs.add(recordRef{s.adopted, uint32(at.from), uint32(at.to - at.from)})
		return nil
	}
	if s.enc == nil {
		s.enc = codec.NewMsgpackEncoder(s)
		s.enc.SelfContained()
	}
	return s.enc.EncodeFlow(f)
}

// room returns an error if s can hold no more records.
func (s *store) room() error {
	if len(s.blocks) >= math.MaxUint32 || s.refs.n >= math.MaxInt32 {
		return errors.New("snapshot: too many flows to hold in memory")
	}
	return nil
}

// reset empties s, keeping a block for what comes next.
func (s *store) reset() {
	if len(s.blocks) > 0 {
		s.blocks = s.blocks[:1]
		s.blocks[0] = s.blocks[0][:0]
	}
	s.refs.reset()
	s.keys.reset()
}

// get decodes record i into f.
func (s *store) get(i int, f *format.Flow) error { return s.decode(s.dec, i, f) }

// decode decodes record i into f with dec: a decoder of another
// goroutine's, that reads s while s holds no more records.
func (s *store) decode(dec *codec.MsgpackDecoder, i int, f *format.Flow) error {
	r := s.refs.at(i)
	dec.ResetBytes(s.blocks[r.block][r.off : r.off+r.len])
	_, err := dec.Decode(f, nil)
	return err
}

// sorted returns the record numbers in the order of their identities,
// numbered by ns; records of the same identity keep their order.
func (s *store) sorted(ns *netnsNames) []int32 {
	order := make([]int32, s.refs.n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return compareKeys(s.keys.at(int(a)), s.keys.at(int(b)), ns) })
	return order
}

// keyIndex finds identities by value among numbered ones (a store's keys):
// an open-addressing hash table of their numbers, of identities that
// differ. A Go map costs twice the time here, most of it in cache misses.
// A slot holds a key's number + 1 (0: empty) and, above it, the top half
// of the key's hash, where its probe starts too: a probe reads the key
// itself, far from the slots in memory, only where the hashes agree, and
// the table grows without reading the keys.
type keyIndex struct {
	slots []uint64
	n     int    // the keys indexed
	warmt uint64 // what warm read, so that its reads are made

	// With aside, a full table grows on another goroutine (growing), from
	// its slots, which nothing writes meanwhile: the keys inserted
	// meanwhile go to side, and into the table once it has grown (settle).
	// The loop that inserts does not wait the tens of milliseconds that a
	// large table takes to grow, most of them page faults, while the
	// workers that feed it wait for it.
	aside   bool
	growing chan []uint64
	side    *keyIndex
}

// asideFrom is the size of the smallest table that grows aside (a
// variable for the tests).
var asideFrom = 1 << 18

// slot returns the slot of key n with hash h.
func slot(h uint64, n int32) uint64 { return h&^(1<<32-1) | uint64(uint32(n)+1) }

// home returns the slot where the probe for hash h starts.
func (x *keyIndex) home(h uint64) uint64 { return h >> 32 & uint64(len(x.slots)-1) }

// find returns the number of k, whose hash is h, among keys, or -1.
func (x *keyIndex) find(keys *chunks[flowKey], k *flowKey, h uint64) int32 {
	if len(x.slots) == 0 {
		return -1
	}
	n, _ := x.probe(keys, k, h)
	return n
}

// findMany finds each of ks, whose hashes are hs, among keys, as find
// does, into found. It reads the slots where the probes start first, a
// run of them at a time, so that the core waits on their cache misses at
// once rather than one after another, then probes on from them.
func (x *keyIndex) findMany(keys *chunks[flowKey], ks []flowKey, hs []uint64, found []int32) {
	for i := range found {
		found[i] = -1
	}
	if len(x.slots) == 0 {
		return
	}
	var first [64]uint64
	for from := 0; from < len(ks); from += len(first) {
		run := ks[from:min(from+len(first), len(ks))]
		for i := range run {
			first[i] = x.slots[x.home(hs[from+i])]
		}
		for i := range run {
			if !run[i].hostsOnly {
				found[from+i], _ = x.probeFrom(keys, &run[i], hs[from+i], first[i])
			}
		}
	}
}

// warm reads the slots where the probes for hashes hs start, so that the
// core waits on their cache misses at once, rather than one after another
// in the inserts of their keys that follow.
func (x *keyIndex) warm(hs []uint64) {
	if len(x.slots) == 0 {
		return
	}
	var sum uint64
	for _, h := range hs {
		sum += x.slots[x.home(h)]
	}
	x.warmt = sum
}

// probe returns the number of k, whose hash is h, among keys, or -1 and
// the free slot where the probe ended.
func (x *keyIndex) probe(keys *chunks[flowKey], k *flowKey, h uint64) (int32, uint64) {
	return x.probeFrom(keys, k, h, x.slots[x.home(h)])
}

// probeFrom is probe where s is the slot where the probe starts, read
// already.
func (x *keyIndex) probeFrom(keys *chunks[flowKey], k *flowKey, h, s uint64) (int32, uint64) {
	mask := uint64(len(x.slots) - 1)
	i := x.home(h)
	for s != 0 {
		if n := int32(uint32(s)) - 1; s>>32 == h>>32 && *keys.at(int(n)) == *k {
			return n, i
		}
		i = (i + 1) & mask
		s = x.slots[i]
	}
	return -1, i
}

// insert returns the number of k, whose hash is h, among keys, or if there
// is none indexes k as key n, the next, and returns -1: find and add in one
// probe. The keys of ICMP flows that lack their ICMP fields are never
// indexed: they are not identities.
func (x *keyIndex) insert(keys *chunks[flowKey], k *flowKey, h uint64, n int32) int32 {
	if x.growing != nil {
		// Waits rather than fill the grown table past half, where the
		// goroutine that grows it has not run.
		x.grown(x.n+x.side.n+1 > len(x.slots))
	}
	if x.growing == nil && !x.fit() {
		m, i := x.probe(keys, k, h)
		if m < 0 {
			x.slots[i] = slot(h, n)
			x.n++
		}
		return m
	}
	// The table grows aside: it is read, not written.
	if m, _ := x.probe(keys, k, h); m >= 0 {
		return m
	}
	return x.side.insert(keys, k, h, n)
}

// add indexes key n, the next, whose hash is h and whose identity is not
// in the index yet.
func (x *keyIndex) add(h uint64, n int32) {
	x.fit()
	x.place(slot(h, n))
	x.n++
}

// fit makes the table large enough for one more key: twice the keys, that
// probes stay short. It reports whether the table grows aside, and takes
// no key until it has grown.
func (x *keyIndex) fit() bool {
	if 2*(x.n+1) <= len(x.slots) {
		return false
	}
	old := x.slots
	size := max(2*len(old), 1024)
	if x.aside && len(old) >= asideFrom {
		x.growing = make(chan []uint64, 1)
		if x.side == nil {
			x.side = new(keyIndex)
		}
		go func(done chan<- []uint64) {
			done <- placeAll(mapped[uint64](size), old)
		}(x.growing)
		return true
	}
	x.slots = placeAll(mapped[uint64](size), old)
	return false
}

// grown takes the table grown aside, once it has, and puts the keys of
// side in it; with wait, it waits for it to grow.
func (x *keyIndex) grown(wait bool) {
	var t []uint64
	if wait {
		t = <-x.growing
	} else {
		select {
		case t = <-x.growing:
		default:
			return
		}
	}
	x.slots, x.growing = placeAll(t, x.side.slots), nil
	x.n += x.side.n
	x.side.reset()
}

// settle waits for the table to grow, if it grows aside, so that find
// finds every key.
func (x *keyIndex) settle() {
	if x.growing != nil {
		x.grown(true)
	}
}

// placeAll places the slots of old, those in use, in t, and returns t.
func placeAll(t, old []uint64) []uint64 {
	x := keyIndex{slots: t}
	for _, s := range old {
		if s != 0 {
			x.place(s)
		}
	}
	return t
}

// place puts slot s in a free slot, from its home on.
func (x *keyIndex) place(s uint64) {
	mask := uint64(len(x.slots) - 1)
	i := x.home(s)
	for x.slots[i] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = s
}

// reset empties the index.
func (x *keyIndex) reset() {
	x.settle()
	x.n = 0
	if len(x.slots) > 1024 {
		x.slots = nil // rather than clear a large table for a few keys
	}
	clear(x.slots)
}

// keySet is a set of identities that takes at most max of them, so that
// its memory has a bound: about 64 bytes an identity, and some 120 more
// where it brings a namespace's name that no held flow has (netnsNames).
type keySet struct {
	keys  chunks[flowKey]
	index keyIndex
	max   int
}

// add adds k if there is room, and reports whether the set held k
// already, and whether it holds k now.
func (s *keySet) add(k *flowKey) (had, has bool) {
	h := k.hash()
	if s.index.find(&s.keys, k, h) >= 0 {
		return true, true
	}
	if s.full() {
		return false, false
	}
	s.index.add(h, int32(s.keys.n))
	s.keys.add(*k)
	return false, true
}

// full reports whether the set takes no more identities.
func (s *keySet) full() bool { return s.keys.n >= s.max }

// reset empties the set.
func (s *keySet) reset() {
	s.keys.reset()
	s.index.reset()
}
