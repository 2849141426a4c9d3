package snapshot

import "github.com/ctconv/ctconv/format"

// A join pairs the flows of a capture held in memory with those of another,
// streamed: by identity, and an ICMP flow that lacks its type, code and id
// (conntrack's XML does not print them) with an ICMP flow of the same
// hosts, the first in capture order that is left.
type join struct {
	s       *store
	index   keyIndex  // the held flows' identities
	icmp    icmpIndex // the held ICMP flows, by their hosts
	matched []pairing // by held flow
	only    keySet    // identities only the streamed capture has
	f       format.Flow
	rest    restBatch // unpaired's, of a join of one batch
}

// pairing says whether a held flow is paired, and how.
type pairing uint8

const (
	unpaired      pairing = iota
	paired                // with the streamed flow of its identity
	pairedByHosts         // with an ICMP flow of its hosts, one of the two lacking its ICMP fields
)

func newJoin() *join { return &join{s: newStore()} }

// reset empties j for other captures, keeping the memory it has.
func (j *join) reset() {
	j.s.reset()
	j.index.reset()
	j.icmp.reset()
	j.only.reset()
}

// hold adds f, a flow of the held capture whose identity is k, of hash h,
// and reports whether the held flows have that identity already, in which
// case f is not added. at, if not the zero span, is where f's record is in
// the block the store adopted last. After an error, j is not to be used.
func (j *join) hold(f *format.Flow, k *flowKey, h uint64, at span) (dup bool, err error) {
	if err := j.s.room(); err != nil {
		return false, err
	}
	n := j.s.keys.n
	if !k.hostsOnly && j.index.insert(&j.s.keys, k, h, int32(n)) >= 0 {
		return true, nil
	}
	if err := j.s.add(f, k, at); err != nil {
		return false, err
	}
	if k.icmp() {
		j.icmp.add(&j.s.keys, n)
	}
	return false, nil
}

// ready ends the held flows: then come the streamed ones, among which the
// join checks the identities of at most maxOnly that only they have for
// duplicates.
func (j *join) ready(maxOnly int) {
	j.index.settle()
	n := j.s.keys.n
	if cap(j.matched) < n {
		j.matched = make([]pairing, n)
	}
	j.matched = j.matched[:n]
	clear(j.matched)
	j.only.max = maxOnly
}

// pair finds the held flow that a streamed flow whose identity is k pairs
// with, and marks it paired: its number, or -1 if there is none, and then
// dup says that the held flow of its identity is paired already. found is
// the held flow of identity k (keyIndex.find), or -1.
func (j *join) pair(k *flowKey, found int32) (i int32, dup bool) {
	if k.hostsOnly {
		h := k.hosts()
		if i = j.icmp.take(&j.s.keys, &h, false, j.matched); i >= 0 {
			j.matched[i] = pairedByHosts
		}
		return i, false
	}
	if i = found; i >= 0 {
		switch j.matched[i] {
		case unpaired:
			j.matched[i] = paired
			return i, false
		case paired:
			return -1, true
		}
	}
	if j.icmp.hostsOnly > 0 && k.icmp() {
		h := k.hosts()
		if i = j.icmp.take(&j.s.keys, &h, true, j.matched); i >= 0 {
			j.matched[i] = pairedByHosts
			return i, false
		}
	}
	return -1, false
}

// icmpIndex finds held ICMP flows by their hosts: family, protocol, zone,
// source and destination, all of the identity but the ICMP fields. The
// flows of the same hosts are a group, a list in capture order; the
// groups are in an open-addressing hash table, as in keyIndex, by the
// hosts of their first flow.
type icmpIndex struct {
	slots     []int32 // group number + 1; 0 is empty
	groups    []icmpGroup
	flows     []icmpFlow
	hostsOnly int // the flows that lack their ICMP fields
}

// icmpGroup is the held ICMP flows of the same hosts.
type icmpGroup struct {
	first, last int32 // the first flow, whose hosts the group's are, and the last, to link the next to
	// Where to look on for an unpaired flow, and for an unpaired flow
	// that lacks its ICMP fields: the flows before are paired, or have
	// them. -1 past the end.
	any, hostsOnly int32
}

// icmpFlow is a held ICMP flow in its group's list.
type icmpFlow struct {
	n, next   int32 // the flow's number in the store; the next flow of the group, or -1
	hostsOnly bool
}

func (x *icmpIndex) reset() {
	if len(x.slots) > 1024 {
		x.slots = nil
	}
	clear(x.slots)
	x.groups, x.flows, x.hostsOnly = x.groups[:0], x.flows[:0], 0
}

// add adds held flow n of keys.
func (x *icmpIndex) add(keys *chunks[flowKey], n int) {
	k := keys.at(n)
	f := int32(len(x.flows))
	x.flows = append(x.flows, icmpFlow{n: int32(n), next: -1, hostsOnly: k.hostsOnly})
	if k.hostsOnly {
		x.hostsOnly++
	}
	h := k.hosts()
	if g := x.find(keys, &h); g >= 0 {
		grp := &x.groups[g]
		x.flows[grp.last].next = f
		grp.last = f
		return
	}
	x.groups = append(x.groups, icmpGroup{first: f, last: f, any: f, hostsOnly: f})
	if 2*len(x.groups) > len(x.slots) {
		x.slots = make([]int32, max(2*len(x.slots), 1024))
		for g := range x.groups[:len(x.groups)-1] {
			x.place(keys, int32(g))
		}
	}
	x.place(keys, int32(len(x.groups)-1))
}

// hosts returns the hosts of group g.
func (x *icmpIndex) hosts(keys *chunks[flowKey], g int32) flowKey {
	return keys.at(int(x.flows[x.groups[g].first].n)).hosts()
}

// find returns the group of hosts h, or -1.
func (x *icmpIndex) find(keys *chunks[flowKey], h *flowKey) int32 {
	if len(x.slots) == 0 {
		return -1
	}
	mask := uint64(len(x.slots) - 1)
	for i := h.hash() & mask; ; i = (i + 1) & mask {
		g := x.slots[i]
		if g == 0 {
			return -1
		}
		if x.hosts(keys, g-1) == *h {
			return g - 1
		}
	}
}

func (x *icmpIndex) place(keys *chunks[flowKey], g int32) {
	h := x.hosts(keys, g)
	mask := uint64(len(x.slots) - 1)
	i := h.hash() & mask
	for x.slots[i] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = g + 1
}

// take returns the number of the first unpaired flow of hosts h, of those
// lacking their ICMP fields if hostsOnly says so, or -1.
func (x *icmpIndex) take(keys *chunks[flowKey], h *flowKey, hostsOnly bool, matched []pairing) int32 {
	g := x.find(keys, h)
	if g < 0 {
		return -1
	}
	at := &x.groups[g].any
	if hostsOnly {
		at = &x.groups[g].hostsOnly
	}
	for ; *at >= 0; *at = x.flows[*at].next {
		if f := &x.flows[*at]; matched[f.n] == unpaired && (f.hostsOnly || !hostsOnly) {
			return f.n
		}
	}
	return -1
}
