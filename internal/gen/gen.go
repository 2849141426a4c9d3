// Package gen makes synthetic connection-tracking tables with the mix of a
// busy NAT gateway's (mostly TCP, ESTABLISHED and TIME_WAIT, DNS over UDP,
// some ICMP, a fifth IPv6, NAT'd replies, heavy-tailed counters, a few
// marks and zones): for benchmarks that need more entries than
// a loopback capture gives, and a realistic spread of what real tables
// hold. The same seed gives the same table.
package gen

import (
	"hash/maphash"
	"math/rand/v2"
	"net/netip"

	"github.com/ctconv/ctconv/format"
)

// Generator makes flows.
type Generator struct {
	r       *rand.Rand
	lan     []netip.Addr        // LAN clients, IPv4
	lan6    []netip.Addr        // LAN clients, IPv6
	servers []netip.Addr        // remote servers, IPv4
	srv6    []netip.Addr        // remote servers, IPv6
	wan     netip.Addr          // the router's public address, the SNAT target
	seen    map[uint64]struct{} // the identities made, hashed: a table holds each once
}

// New returns a Generator of the table of a network with some hundreds of
// clients, talking to some thousands of servers.
func New(seed uint64) *Generator {
	g := &Generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), seen: map[uint64]struct{}{}}
	g.wan = netip.AddrFrom4([4]byte{203, 0, 113, 7})
	for range 300 {
		g.lan = append(g.lan, netip.AddrFrom4([4]byte{192, 168, byte(g.r.IntN(4)), byte(2 + g.r.IntN(250))}))
	}
	for range 100 {
		g.lan6 = append(g.lan6, g.addr6(0x20010db8_00010000))
	}
	for range 5000 {
		// Popular servers are popular: a few addresses take most flows.
		g.servers = append(g.servers, netip.AddrFrom4([4]byte{byte(1 + g.r.IntN(223)), byte(g.r.IntN(256)), byte(g.r.IntN(256)), byte(1 + g.r.IntN(254))}))
	}
	for range 1000 {
		g.srv6 = append(g.srv6, g.addr6(0x2a000000_00000000|g.r.Uint64()>>8))
	}
	return g
}

func (g *Generator) addr6(prefix uint64) netip.Addr {
	var b [16]byte
	for i := range 8 {
		b[i] = byte(prefix >> (56 - 8*i))
	}
	for i := 8; i < 16; i++ {
		b[i] = byte(g.r.IntN(256))
	}
	return netip.AddrFrom16(b)
}

// Fork returns a Generator of the same network, with a random sequence of
// its own, that makes no flow g made or will make: the flows that come
// after a table was read.
func (g *Generator) Fork(seed uint64) *Generator {
	f := *g
	f.r = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return &f
}

// pick picks an element, the first ones far more often than the last.
func pick[T any](r *rand.Rand, s []T) T {
	i := int(float64(len(s)) * r.Float64() * r.Float64() * r.Float64())
	return s[i]
}

// tcpStates are the TCP states of a busy table, by weight.
var tcpStates = []struct {
	s       format.State
	weight  int
	timeout int64
}{
	{format.TCPEstablished, 70, 432000},
	{format.TCPTimeWait, 15, 120},
	{format.TCPSynSent, 5, 120},
	{format.TCPClose, 3, 10},
	{format.TCPCloseWait, 2, 60},
	{format.TCPFinWait, 2, 120},
	{format.TCPLastAck, 1, 30},
	{format.TCPSynRecv, 2, 60},
}

var services = []uint16{443, 443, 443, 443, 80, 80, 53, 993, 22, 5223, 8080, 3478, 123, 853}

// Flow fills f with the next flow, as /proc/net/nf_conntrack prints it
// with accounting and timestamps on. No two flows have the same identity.
func (g *Generator) Flow(f *format.Flow) {
	for {
		g.flow(f)
		h := maphash.Comparable(seed, identity{f.Family, f.Proto, f.Orig})
		if _, dup := g.seen[h]; !dup {
			g.seen[h] = struct{}{}
			return
		}
	}
}

var seed = maphash.MakeSeed()

type identity struct {
	family format.Family
	proto  format.Proto
	orig   format.Tuple
}

func (g *Generator) flow(f *format.Flow) {
	r := g.r
	*f = format.Flow{
		Fields: format.FieldTimeout | format.FieldL4 | format.FieldOrigCounters | format.FieldReplyCounters |
			format.FieldStatus | format.FieldMark | format.FieldZone | format.FieldDeltaTime | format.FieldUse,
		Family: format.IPv4,
		Status: format.StatusConfirmed | format.StatusSeenReply,
		Use:    2,
	}
	v6 := r.IntN(5) == 0
	if v6 {
		f.Family = format.IPv6
		f.Orig.Src, f.Orig.Dst = pick(r, g.lan6), pick(r, g.srv6)
	} else {
		f.Orig.Src, f.Orig.Dst = pick(r, g.lan), pick(r, g.servers)
	}
	f.Orig.SrcPort = uint16(32768 + r.IntN(28232))
	f.Orig.DstPort = services[r.IntN(len(services))]
	switch n := r.IntN(100); {
	case n < 62:
		f.Proto = format.TCP
		w := r.IntN(100)
		for _, s := range tcpStates {
			if w -= s.weight; w < 0 {
				f.State, f.Timeout = s.s, 1+r.Int64N(s.timeout)
				break
			}
		}
		f.Fields |= format.FieldState
		if f.State == format.TCPSynSent {
			f.Status &^= format.StatusSeenReply
		} else if f.State != format.TCPSynRecv {
			f.Status |= format.StatusAssured
		}
	case n < 95:
		f.Proto = format.UDP
		f.Orig.DstPort = []uint16{53, 53, 53, 443, 123, 3478, 51820, 5353}[r.IntN(8)]
		f.Timeout = 1 + r.Int64N(180)
		switch r.IntN(10) {
		case 0, 1:
			f.Status &^= format.StatusSeenReply
		case 2, 3, 4:
			f.Status |= format.StatusAssured
		}
	default:
		f.Proto = format.ICMP
		if v6 {
			f.Proto = format.ICMPv6
			f.Orig.Type = 128
		} else {
			f.Orig.Type = 8
		}
		f.Orig.SrcPort, f.Orig.DstPort = 0, 0
		f.Orig.ID = uint16(r.IntN(65536))
		f.Timeout = 1 + r.Int64N(30)
	}
	f.Reply = f.Mirror()
	if !v6 && r.IntN(10) < 9 {
		// Masquerade: the reply goes to the router, at times to another port.
		f.Reply.Dst = g.wan
		if f.Proto != format.ICMP && r.IntN(20) == 0 {
			f.Reply.DstPort = uint16(1024 + r.IntN(64511))
		}
	}
	pkts := uint64(1 + r.ExpFloat64()*20)
	if f.Status&format.StatusAssured != 0 && r.IntN(10) == 0 {
		pkts *= uint64(10 + r.IntN(1000))
	}
	f.OrigCounters = format.Counters{Packets: pkts, Bytes: pkts * uint64(60+r.IntN(400))}
	if f.Status&format.StatusSeenReply != 0 {
		rp := pkts * uint64(1+r.IntN(3)) / 2
		rp = max(rp, 1)
		f.ReplyCounters = format.Counters{Packets: rp, Bytes: rp * uint64(60+r.IntN(1400))}
	}
	if r.IntN(20) == 0 {
		f.Mark = uint32(1 + r.IntN(4))
	}
	if r.IntN(50) == 0 {
		f.Zone = uint16(1 + r.IntN(3)) // a few flows of other zones (VRFs, containers)
	}
	f.DeltaTime = uint64(r.ExpFloat64() * 600)
}

// Churn turns a table into the same table read some time later: a flow
// in twenty is gone, the others have less time left, three in ten have
// more packets, and a few change state, NAT mapping or mark. It returns
// false for a flow that is gone. New flows are the caller's to add, from
// another Generator.
type Churn struct{ r *rand.Rand }

// NewChurn returns a Churn; the same seed churns the same way.
func NewChurn(seed uint64) *Churn { return &Churn{rand.New(rand.NewPCG(seed, ^seed))} }

// Flow changes f as the time passing would, or reports that it is gone.
func (c *Churn) Flow(f *format.Flow) bool {
	r := c.r
	if r.IntN(20) == 0 {
		return false
	}
	f.Timeout = max(f.Timeout-1-r.Int64N(30), 0)
	f.DeltaTime += 30
	if r.IntN(10) < 3 && f.Status&format.StatusSeenReply != 0 {
		n := uint64(1 + r.IntN(50))
		f.OrigCounters.Packets += n
		f.OrigCounters.Bytes += n * uint64(60+r.IntN(400))
		f.ReplyCounters.Packets += n
		f.ReplyCounters.Bytes += n * uint64(60+r.IntN(1400))
	}
	switch r.IntN(100) {
	case 0, 1:
		if f.Proto == format.TCP && f.State == format.TCPEstablished {
			f.State, f.Timeout = format.TCPTimeWait, 120
		}
	case 2:
		if f.Proto != format.ICMP && f.Proto != format.ICMPv6 {
			f.Reply.DstPort = uint16(1024 + r.IntN(64511))
		}
	case 3:
		f.Mark = uint32(1 + r.IntN(4))
	}
	return true
}

// WriteTable writes a table of n flows from New(seed) with w: as read
// later, churned with NewChurn(churn) and a flow in twenty new, if churn
// is not 0.
func WriteTable(w *format.Writer, n int, seed, churn uint64) error {
	g := New(seed)
	var c *Churn
	var fresh *Generator // the flows that came since
	if churn != 0 {
		c, fresh = NewChurn(churn), g.Fork(churn)
	}
	var f format.Flow
	for i := range n {
		g.Flow(&f)
		if c != nil && !c.Flow(&f) {
			continue
		}
		if err := w.Write(&f); err != nil {
			return err
		}
		if c != nil && i%20 == 0 {
			fresh.Flow(&f)
			if err := w.Write(&f); err != nil {
				return err
			}
		}
	}
	return w.Close()
}
