package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"math"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/atomicfile"
	"github.com/ctconv/ctconv/internal/ctnetlink"
	"github.com/ctconv/ctconv/snapshot"
)

const statsHelp = `Usage: ctconv stats [flags] [FILE|-]...

Summarises a connection-tracking table: the flows by family, protocol,
state and zone; how many are assured, unreplied, offloaded; the busiest
source and destination addresses and ports; the packets and bytes counted;
and, for the running kernel's table, how full it is (nf_conntrack_max).
Without FILE, it reads the running kernel's table, over netlink or from
/proc/net/nf_conntrack as --source says (see ctconv snapshot --help);
netlink: names that table as a FILE. Several FILEs are summed.

Beside the flows, it shows the kernel's counters of the table (found,
invalid, insert_failed, drop, early_drop, clash_resolve, chaintoolong...:
what to read when the table drops packets or connections fail), in all and
CPU by CPU: the running kernel's, with its table; those a snapshot of a
live table carries; or those of FILEs that are captures of them
(conntrack -S, conntrack -S expect, conntrack -C, /proc/net/stat/nf_conntrack,
or their JSON Lines or snapshots), joined CPU by CPU. Given only such
FILEs, it shows only the counters.

Text for people; --format json for programs; --format openmetrics for
Prometheus: the OpenMetrics text format (# TYPE, # HELP, # UNIT, # EOF),
ready for node_exporter's textfile collector (write it to a .prom file
there, atomically, with -o; that collector reads the Prometheus text
format, which takes the file as it is, and the counters' samples as
untyped). Its metrics:

  ctconv_flows                              flows in the table
  ctconv_flows_by_family{family}            ... by family, protocol,
  ctconv_flows_by_protocol{protocol}        state, zone and flag
  ctconv_flows_by_state{protocol,state}     (assured, unreplied,
  ctconv_flows_by_zone{zone}                offloaded)
  ctconv_flows_by_flag{flag}
  ctconv_flow_packets{direction}            the flows' packets and bytes
  ctconv_flow_bytes{direction}              (original, reply), if counted
  ctconv_table_max, ctconv_table_usage_ratio  nf_conntrack_max, how full
  ctconv_conntrack_COUNTER_total{cpu}       each kernel counter, a CPU a
                                            sample (counters)
  ctconv_conntrack_entries, ctconv_conntrack_max_entries  the count, max

Examples:
  ctconv stats
  ctconv stats --source netlink --proto tcp
  ctconv stats --top 5 --proto udp capture.ctsnap
  ctconv stats --format json /proc/net/nf_conntrack | jq .top.src
  ctconv stats /proc/net/stat/nf_conntrack
  conntrack -S | ctconv stats -
  ctconv stats --format openmetrics -o /var/lib/node_exporter/textfile/conntrack.prom
  ctconv stats --netns blue
  ctconv stats --netns blue all-netns.ctsnap
`

// stats is the summary of a table.
type stats struct {
	Flows     int                   `json:"flows"`
	Families  map[string]int        `json:"families"`
	Protocols map[string]int        `json:"protocols"`
	States    map[string]int        `json:"states"`
	Zones     map[string]int        `json:"zones"`
	Flags     map[string]int        `json:"flags"`
	Packets   *directions           `json:"packets,omitempty"`
	Bytes     *directions           `json:"bytes,omitempty"`
	Top       map[string][]topEntry `json:"top"`
	Table     *tableShare           `json:"table,omitempty"`
	Counters  *countersJSON         `json:"counters,omitempty"`
	// Namespaces counts the flows of a capture of several namespaces
	// (snapshot --all-netns) by namespace.
	Namespaces map[string]int `json:"namespaces,omitempty"`
	noFlows    bool           // only captures of counters were given
	parts      []*statsPart   // what each worker counted, until finish adds them up
}

// A statsPart is what one worker counted of the flows handed to it
// (snapshot.Input.EachFlow): the workers count on every core at once, and
// finish adds their parts up.
type statsPart struct {
	flows          int
	counters       bool // a flow had counters
	packets, bytes directions
	namespaces     map[string]int
	unnamed        int // flows of the input's namespace (see unnamed)
	by             *flowCounts
}

// flowCounts counts flows by values, which finish turns into the names
// that stats shows: a million flows are counted without making a
// string each. Each worker counts into its own, on every core at once,
// and the less memory and work a flow's count takes, the less the cores
// slow each other: the values with few forms count in arrays, ports in
// a byte each, addresses and zones in tallies, not maps.
type flowCounts struct {
	families  [256]int
	protocols [256]int
	states    [256]*[256]int // by protocol, then state; see state
	zones     tally
	flags     [3]int              // assured, unreplied, offloaded
	v4        [2]tally            // src, dst
	addrs     [2]addrTally        // src, dst: the rest
	ports     [2][256]*portCounts // sport, dport; by protocol
}

// addr counts a in the addresses of direction i.
func (by *flowCounts) addr(i int, a netip.Addr) {
	if a.Is4() {
		b := a.As4()
		by.v4[i].add(binary.BigEndian.Uint32(b[:]), 1)
		return
	}
	by.addrs[i].add(a, 1)
}

// state counts a flow of protocol p in state st.
func (by *flowCounts) state(p format.Proto, st format.State) { by.statesOf(p)[st]++ }

// statesOf returns the state counts of protocol p, made when first needed:
// the counts of all 256, half a megabyte, took a page fault a 4 KiB page
// to read through when finish added them up, most of them never written.
func (by *flowCounts) statesOf(p format.Proto) *[256]int {
	if by.states[p] == nil {
		by.states[p] = new([256]int)
	}
	return by.states[p]
}

// port counts port of protocol p in the ports of direction i.
func (by *flowCounts) port(i int, p format.Proto, port uint16) {
	ports := by.ports[i][p]
	if ports == nil {
		ports = new(portCounts)
		by.ports[i][p] = ports
	}
	ports.add(port)
}

// portCounts counts flows by port in a byte each, 64 KiB that a core's
// cache keeps, and the 256s of the ports that pass 255 in ints, made 256
// ports at a time as they are first needed: a few ports pass 255, and
// reading through the ints of all 65536 (half a megabyte, most never
// written) took a page fault a 4 KiB page.
type portCounts struct {
	low  [1 << 16]uint8
	high [256]*[256]int // by port>>8, then the port's low byte
}

// add counts a flow of port.
func (c *portCounts) add(port uint16) {
	c.low[port]++
	if c.low[port] == 0 {
		c.carry(port, 1)
	}
}

// carry adds n 256s to the count of port.
func (c *portCounts) carry(port uint16, n int) {
	h := c.high[port>>8]
	if h == nil {
		h = new([256]int)
		c.high[port>>8] = h
	}
	h[port&0xff] += n
}

// count returns the flows of port.
func (c *portCounts) count(port uint16) int {
	n := int(c.low[port])
	if h := c.high[port>>8]; h != nil {
		n += h[port&0xff] << 8
	}
	return n
}

// merge adds the counts of o to c. It writes only the counts of ports
// that o has flows of, so that the pages of c that no flow needed are
// not written either.
func (c *portCounts) merge(o *portCounts) {
	for port, n := range o.low {
		if n == 0 {
			continue
		}
		sum := int(c.low[port]) + int(n)
		c.low[port] = uint8(sum)
		if sum > 0xff {
			c.carry(uint16(port), 1)
		}
	}
	for hi, h := range o.high {
		if h == nil {
			continue
		}
		for lo, n := range h {
			if n != 0 {
				c.carry(uint16(hi<<8|lo), n)
			}
		}
	}
}

// A tally counts flows by a 32-bit value in an open-addressed table, at
// most half full: a count costs a multiplication and a slot or two,
// where a map's costs several times that. The zero tally is empty.
// Its multiplier is random, so that no input can choose values that
// collide.
type tally struct {
	slots []tallySlot // a power of two of them
	used  int
	mul   uint64 // odd
	shift uint8  // 64 - log2(len(slots))
}

type tallySlot struct {
	v     uint32
	flows int // 0 in an unused slot
}

// add counts n > 0 flows of v.
func (t *tally) add(v uint32, n int) {
	if 2*t.used >= len(t.slots) {
		t.grow()
	}
	mask := len(t.slots) - 1
	for i := int(uint64(v) * t.mul >> t.shift); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.flows == 0 {
			s.v = v
			t.used++
		} else if s.v != v {
			continue
		}
		s.flows += n
		return
	}
}

// grow doubles the slots of t, at least 64.
func (t *tally) grow() {
	old := t.slots
	if len(old) == 0 {
		t.mul = rand.Uint64() | 1
	}
	t.slots = make([]tallySlot, max(64, 2*len(old)))
	t.used, t.shift = 0, uint8(64-bits.TrailingZeros(uint(len(t.slots))))
	for _, s := range old {
		if s.flows != 0 {
			t.add(s.v, s.flows)
		}
	}
}

// all yields the values that t counted flows of, and their flows.
func (t *tally) all() iter.Seq2[uint32, int] {
	return func(yield func(uint32, int) bool) {
		for _, s := range t.slots {
			if s.flows != 0 && !yield(s.v, s.flows) {
				return
			}
		}
	}
}

// An addrTally is a tally of addresses other than IPv4 ones, which hashes
// the two halves of an address with a random multiplier each.
type addrTally struct {
	slots []addrSlot // a power of two of them
	used  int
	mul   [2]uint64 // odd
	shift uint8     // 64 - log2(len(slots))
}

type addrSlot struct {
	a     netip.Addr
	flows int // 0 in an unused slot
}

// add counts n > 0 flows of a.
func (t *addrTally) add(a netip.Addr, n int) {
	if 2*t.used >= len(t.slots) {
		t.grow()
	}
	b := a.As16()
	h := binary.BigEndian.Uint64(b[:8])*t.mul[0] + binary.BigEndian.Uint64(b[8:])*t.mul[1]
	mask := len(t.slots) - 1
	for i := int(h >> t.shift); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.flows == 0 {
			s.a = a
			t.used++
		} else if s.a != a {
			continue
		}
		s.flows += n
		return
	}
}

// grow doubles the slots of t, at least 64.
func (t *addrTally) grow() {
	old := t.slots
	if len(old) == 0 {
		t.mul = [2]uint64{rand.Uint64() | 1, rand.Uint64() | 1}
	}
	t.slots = make([]addrSlot, max(64, 2*len(old)))
	t.used, t.shift = 0, uint8(64-bits.TrailingZeros(uint(len(t.slots))))
	for _, s := range old {
		if s.flows != 0 {
			t.add(s.a, s.flows)
		}
	}
}

// all yields the addresses that t counted flows of, and their flows.
func (t *addrTally) all() iter.Seq2[netip.Addr, int] {
	return func(yield func(netip.Addr, int) bool) {
		for _, s := range t.slots {
			if s.flows != 0 && !yield(s.a, s.flows) {
				return
			}
		}
	}
}

type directions struct {
	Orig  uint64 `json:"orig"`
	Reply uint64 `json:"reply"`
}

type topEntry struct {
	Value string `json:"value"`
	Flows int    `json:"flows"`
}

type tableShare struct {
	Max   int     `json:"max"`
	Share float64 `json:"share"`
}

var topLists = []struct{ key, title string }{
	{"src", "sources"}, {"dst", "destinations"}, {"sport", "source ports"}, {"dport", "destination ports"},
}

func newStats() *stats {
	return &stats{Families: map[string]int{}, Protocols: map[string]int{}, States: map[string]int{},
		Zones: map[string]int{}, Flags: map[string]int{"assured": 0, "unreplied": 0, "offloaded": 0},
		Top: map[string][]topEntry{}}
}

// workers returns the parts of n workers.
func (s *stats) workers(n int) []*statsPart {
	for len(s.parts) < n {
		s.parts = append(s.parts, &statsPart{namespaces: map[string]int{}, by: new(flowCounts)})
	}
	return s.parts[:n]
}

// add counts a flow.
func (p *statsPart) add(f *format.Flow) {
	p.flows++
	if f.Has(format.FieldOrigCounters) {
		p.counters = true
		p.packets.Orig += f.OrigCounters.Packets
		p.bytes.Orig += f.OrigCounters.Bytes
		p.packets.Reply += f.ReplyCounters.Packets
		p.bytes.Reply += f.ReplyCounters.Bytes
	}
	if f.Netns != "" {
		p.namespaces[f.Netns]++
	}
	by := p.by
	by.families[f.Family]++
	by.protocols[f.Proto]++
	if f.Has(format.FieldState) {
		by.state(f.Proto, f.State)
	}
	zone := uint16(0)
	if f.Has(format.FieldZone) {
		zone = f.Zone
	}
	by.zones.add(uint32(zone), 1)
	if f.Status&format.StatusAssured != 0 {
		by.flags[0]++
	}
	if f.Status&format.StatusSeenReply == 0 {
		by.flags[1]++
	}
	if f.Status&(format.StatusOffload|format.StatusHWOffload) != 0 {
		by.flags[2]++
	}
	by.addr(0, f.Orig.Src)
	by.addr(1, f.Orig.Dst)
	if f.Has(format.FieldL4) && f.Proto.Layer4() == format.L4Ports {
		by.port(0, f.Proto, f.Orig.SrcPort)
		by.port(1, f.Proto, f.Orig.DstPort)
	}
}

// name adds the workers' parts up, and names their counts as stats shows
// them, once every flow is counted. It returns all the parts' counts by
// value, for finish to rank.
func (s *stats) name() *flowCounts {
	by := new(flowCounts)
	for i, p := range s.parts {
		s.Flows += p.flows
		if p.counters {
			if s.Packets == nil {
				s.Packets, s.Bytes = &directions{}, &directions{}
			}
			s.Packets.Orig += p.packets.Orig
			s.Bytes.Orig += p.bytes.Orig
			s.Packets.Reply += p.packets.Reply
			s.Bytes.Reply += p.bytes.Reply
		}
		for ns, n := range p.namespaces {
			if s.Namespaces == nil {
				s.Namespaces = map[string]int{}
			}
			s.Namespaces[ns] += n
		}
		if i == 0 {
			by = p.by // the rest add to the first's
		} else {
			by.merge(p.by)
		}
	}
	s.parts = nil
	s.nameCounts(by)
	return by
}

// merge adds the counts of o to by.
func (by *flowCounts) merge(o *flowCounts) {
	for k, n := range o.families {
		by.families[k] += n
	}
	for k, n := range o.protocols {
		by.protocols[k] += n
	}
	for p, states := range o.states {
		if states == nil {
			continue
		}
		sum := by.statesOf(format.Proto(p))
		for k, n := range states {
			sum[k] += n
		}
	}
	for k, n := range o.zones.all() {
		by.zones.add(k, n)
	}
	for i, n := range o.flags {
		by.flags[i] += n
	}
	for i := range 2 {
		for k, n := range o.v4[i].all() {
			by.v4[i].add(k, n)
		}
		for k, n := range o.addrs[i].all() {
			by.addrs[i].add(k, n)
		}
		for p, ports := range o.ports[i] {
			if ports == nil {
				continue
			}
			if by.ports[i][p] == nil {
				by.ports[i][p] = new(portCounts)
			}
			by.ports[i][p].merge(ports)
		}
	}
}

// nameCounts adds the counts of by to the maps of names.
func (s *stats) nameCounts(by *flowCounts) {
	for k, n := range by.families {
		if n != 0 {
			s.Families[format.Family(k).String()] += n
		}
	}
	for k, n := range by.protocols {
		if n != 0 {
			s.Protocols[protoLabel(format.Proto(k))] += n
		}
	}
	for p, states := range by.states {
		if states == nil {
			continue
		}
		for k, n := range states {
			if n != 0 {
				proto := format.Proto(p)
				s.States[proto.String()+" "+proto.StateName(format.State(k))] += n
			}
		}
	}
	for k, n := range by.zones.all() {
		s.Zones[strconv.Itoa(int(k))] += n
	}
	for i, flag := range [...]string{"assured", "unreplied", "offloaded"} {
		s.Flags[flag] += by.flags[i]
	}
}

// addrCounts yields the addresses of direction i and their flows.
func (by *flowCounts) addrCounts(i int) iter.Seq2[netip.Addr, int] {
	return func(yield func(netip.Addr, int) bool) {
		for k, n := range by.v4[i].all() {
			if !yield(netip.AddrFrom4([4]byte{byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k)}), n) {
				return
			}
		}
		for a, n := range by.addrs[i].all() {
			if !yield(a, n) {
				return
			}
		}
	}
}

// A protoPort is a port of a protocol.
type protoPort struct {
	proto format.Proto
	port  uint16
}

// String returns the name of pp that stats shows, such as "tcp/443".
func (pp protoPort) String() string { return pp.proto.String() + "/" + strconv.Itoa(int(pp.port)) }

// portCounts yields the ports of direction i that flows have, and their
// flows.
func (by *flowCounts) portCounts(i int) iter.Seq2[protoPort, int] {
	return func(yield func(protoPort, int) bool) {
		for p, ports := range by.ports[i] {
			if ports == nil {
				continue
			}
			for port := range 1 << 16 {
				if n := ports.count(uint16(port)); n != 0 && !yield(protoPort{format.Proto(p), uint16(port)}, n) {
					return
				}
			}
		}
	}
}

// protoLabel names a protocol, by its number where it has no name.
func protoLabel(p format.Proto) string {
	if p.Named() {
		return p.String()
	}
	return "proto " + strconv.Itoa(int(p))
}

// finish adds the workers' parts up, names their counts, and ranks the
// top n of each list.
func (s *stats) finish(n int) {
	by := s.name()
	for i, key := range [...]string{"src", "dst"} {
		s.Top[key] = top(n, by.addrCounts(i), netip.Addr.String)
	}
	for i, key := range [...]string{"sport", "dport"} {
		s.Top[key] = top(n, by.portCounts(i), protoPort.String)
	}
}

// top returns the n values of counts with the most flows, those with as
// many in the order of their names. It names only the values that can be
// among them, those with as many flows as the nth most at least: tens
// of thousands of ports have flows, and naming each took longer than
// counting them.
func top[V any](n int, counts iter.Seq2[V, int], name func(V) string) []topEntry {
	entries := []topEntry{}
	if n == 0 {
		return entries
	}
	most := most{n: n}
	for _, c := range counts {
		most.add(c)
	}
	least := most.nth()
	for v, c := range counts {
		if c >= least {
			entries = append(entries, topEntry{name(v), c})
		}
	}
	slices.SortFunc(entries, func(a, b topEntry) int {
		if c := cmp.Compare(b.Flows, a.Flows); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	return entries[:min(n, len(entries))]
}

// most keeps the n most of the counts it is given, in a heap with the
// least of them on top.
type most struct {
	n    int
	heap []int
}

// add gives m a count.
func (m *most) add(c int) {
	h := m.heap
	if len(h) < m.n {
		h = append(h, c)
		for i := len(h) - 1; i > 0 && h[i] < h[(i-1)/2]; i = (i - 1) / 2 {
			h[i], h[(i-1)/2] = h[(i-1)/2], h[i]
		}
		m.heap = h
		return
	}
	if c <= h[0] {
		return
	}
	h[0] = c
	for i := 0; ; {
		j := 2*i + 1
		if j >= len(h) {
			break
		}
		if j+1 < len(h) && h[j+1] < h[j] {
			j++
		}
		if h[i] <= h[j] {
			break
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

// nth returns the nth most count m was given, or 0 if it was given fewer.
func (m *most) nth() int {
	if len(m.heap) < m.n {
		return 0
	}
	return m.heap[0]
}

func statsCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("stats", statsHelp, stdout, stderr)
	c.readFlags("the captures'", true)
	out := c.fs.String("format", "text", "output `form`: text, json or openmetrics")
	to := c.fs.String("o", "", "write to `FILE`, atomically, instead of standard output")
	top := c.intFlag("top", 10, 0, math.MaxInt, "the `number` of addresses and ports in each top list")
	from := c.fs.String("source", "auto", "where the running kernel's table is read when no FILE is given:\nnetlink, proc (/proc/net/nf_conntrack), or auto: netlink where it can")
	max := c.intFlag("max", 0, 0, math.MaxInt, "the table's size, `nf_conntrack_max`, for a capture of another machine\n(default: the running kernel's, for its own table)")
	c.netnsFlag(true)
	files, status, ok := c.parse(args)
	if !ok {
		return status
	}
	defer c.closeNetns()
	if *out != "text" && *out != "json" && *out != "openmetrics" {
		return c.fail("--format: %q is not text, json or openmetrics", *out)
	}
	enc, loc, x, err := c.reading()
	if err != nil {
		return c.fail("%v", err)
	}
	counters := newCounterSet()
	if len(files) == 0 {
		if _, err := c.liveNS(); err != nil {
			fmt.Fprintln(stderr, "ctconv stats:", err)
			return 1
		}
		live, err := c.liveSource(*from)
		if err != nil {
			return c.fail("--source: %v", err)
		}
		if all, err := c.liveCounters(live == netlinkSource); err != nil {
			fmt.Fprintf(stderr, "ctconv stats: the table's counters: %v\n", err)
		} else {
			for i := range all {
				counters.add(&all[i])
			}
		}
		files = []string{live}
		if err := c.fromUnused(files); err != nil {
			return c.fail("%v", err)
		}
	}
	s := newStats()
	s.noFlows = true
	for _, name := range files {
		switch {
		case *max != 0:
		case name == liveTable:
			if b, err := c.readLive("/proc/sys/net/netfilter/nf_conntrack_max"); err == nil {
				*max, _ = strconv.Atoi(string(bytes.TrimSpace(b)))
			}
		case name == netlinkSource:
			c.inNetns(func() (err error) {
				_, *max, err = ctnetlink.TableSize()
				return err
			})
		}
		if err := c.statsFile(s, counters, name, stdin, enc, loc, x); err != nil {
			var pe *format.ParseError
			if errors.As(err, &pe) {
				c.badLine(pe) // it names the input
			} else {
				fmt.Fprintln(stderr, "ctconv stats:", err)
			}
			return 1
		}
	}
	s.finish(*top)
	if *max > 0 && !s.noFlows {
		s.Table = &tableShare{Max: *max, Share: float64(s.Flows) / float64(*max)}
	}
	s.Counters = counters.json()
	var w io.Writer = stdout
	var af atomicfile.File
	if *to != "" && *to != "-" {
		if af, err = atomicfile.Create(*to); err != nil {
			fmt.Fprintln(stderr, "ctconv stats:", err)
			return 1
		}
		defer af.Abort() // after a Commit, does nothing
		w = af
	}
	bw := bufio.NewWriter(w)
	switch *out {
	case "json":
		var v any = s
		if s.noFlows {
			v = struct {
				Counters *countersJSON `json:"counters"`
			}{s.Counters}
		}
		b, _ := json.Marshal(v)
		fmt.Fprintf(bw, "%s\n", b)
	case "openmetrics":
		writeOpenMetrics(bw, s, counters)
	default:
		if !s.noFlows {
			printStats(bw, s, *top)
		}
		counters.print(bw)
	}
	err = bw.Flush()
	if err == nil && af != nil {
		err = af.Commit()
	}
	return wrote(stderr, "stats", err, 0)
}

// statsFile counts the flows of one capture, or adds the counters it
// holds or carries.
func (c *command) statsFile(s *stats, counters *counterSet, name string, stdin io.Reader, enc snapshot.Encoding, loc *time.Location, x *format.Filter) error {
	r, err := c.open(name, stdin, x)
	if err != nil {
		return err
	}
	defer r.Close()
	in, err := r.records(enc, format.Dialect{Location: loc})
	if err != nil {
		return fmt.Errorf("%s: %w", r.name, err)
	}
	defer in.Close()
	if in.Expectations() {
		return fmt.Errorf("%s: holds expectations; stats summarises flows", r.name)
	}
	if in.Statistics() {
		for st, err := range in.Stats() {
			if err != nil {
				return err
			}
			counters.add(st)
		}
		lineNotes(c.stderr, "ctconv stats: "+r.name, in.Counts(), false)
		return nil
	}
	s.noFlows = false
	carried := in.CarriedStats()
	if x != nil && x.Netns != "" {
		carried = ofNetns(carried, in.Netns(), x.Netns)
	} else if n := namespaces(carried); n > 1 {
		fmt.Fprintf(c.stderr, "ctconv stats: %s: left out the counters of %d network namespaces, which do not add up: --netns NAME shows one's\n", r.name, n)
		carried = nil
	}
	for _, st := range carried {
		counters.add(&st)
	}
	anon := newUnnamed(x, in)
	parts := s.workers(in.Workers())
	for err := range in.EachFlow(func(w int, flows []format.Flow) {
		p := parts[w]
		for i := range flows {
			if f := &flows[i]; in.Match(x, f) {
				if anon.netns != "" && f.Netns == "" {
					p.unnamed++
				}
				picked(x, f)
				p.add(f)
			}
		}
		r.prog.entries(len(flows))
	}) {
		return err
	}
	for _, p := range parts {
		anon.n, p.unnamed = anon.n+p.unnamed, 0
	}
	anon.report(c.stderr, c.name, r.name)
	lineNotes(c.stderr, "ctconv stats: "+r.name, in.Counts(), false)
	return nil
}

// joined returns a line's parts, "none" if there are none.
func joined(parts []string) string {
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// printStats prints s as text, with its top lists unless top, their
// length, is 0.
func printStats(w io.Writer, s *stats, top int) {
	line := func(title string, m map[string]int) {
		keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
			if c := cmp.Compare(m[b], m[a]); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
		fmt.Fprintf(w, "%-22s %s\n", title, joined(parts))
	}
	fmt.Fprintf(w, "%-22s %d\n", "flows", s.Flows)
	line("families", s.Families)
	line("protocols", s.Protocols)
	line("states", s.States)
	line("zones", s.Zones)
	if len(s.Namespaces) > 0 {
		line("namespaces", s.Namespaces)
	}
	fmt.Fprintf(w, "%-22s assured %d, unreplied %d, offloaded %d\n", "flags", s.Flags["assured"], s.Flags["unreplied"], s.Flags["offloaded"])
	if s.Packets != nil {
		fmt.Fprintf(w, "%-22s original %d, reply %d\n", "packets", s.Packets.Orig, s.Packets.Reply)
		fmt.Fprintf(w, "%-22s original %d, reply %d\n", "bytes", s.Bytes.Orig, s.Bytes.Reply)
	}
	for _, l := range topLists {
		if top == 0 {
			break
		}
		var parts []string
		for _, e := range s.Top[l.key] {
			parts = append(parts, fmt.Sprintf("%s %d", e.Value, e.Flows))
		}
		fmt.Fprintf(w, "%-22s %s\n", "top "+l.title, joined(parts))
	}
	if s.Table != nil {
		fmt.Fprintf(w, "%-22s %d of %d (%.1f%%)\n", "table", s.Flows, s.Table.Max, 100*s.Table.Share)
	}
}
