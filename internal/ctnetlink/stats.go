package ctnetlink

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/ctconv/ctconv/format"
)

// Message types of the table's counters (linux/netfilter/nfnetlink_conntrack.h).
const (
	msgCTGetStatsCPU  = 4 // IPCTNL_MSG_CT_GET_STATS_CPU
	msgCTGetStats     = 5 // IPCTNL_MSG_CT_GET_STATS
	msgExpGetStatsCPU = 3 // IPCTNL_MSG_EXP_GET_STATS_CPU
)

// statsRequests are the requests of Conn.Stats, in the order of its result.
// Each reply carries the counters first, first+1, ... as the attributes
// numbered 1, 2, ...: the kernel numbers CTA_STATS_*, CTA_STATS_EXP_* and
// CTA_STATS_GLOBAL_* in the order of format.Stat.
//
// The replies of the expectations' counters come as the conntrack
// subsystem's, of type 0x0103 (the kernel's ctnetlink_exp_stat_fill_info
// uses NFNL_SUBSYS_CTNETLINK), which no other reply has: those of
// IPCTNL_MSG_CT_GET_CTRZERO, its request type, are flows.
var statsRequests = [...]struct {
	typ, reply  uint16 // the request's type, its replies'
	perCPU      bool   // a dump, a reply a CPU; else one reply for the table
	first, last format.Stat
}{
	{subsysCT<<8 | msgCTGetStatsCPU, subsysCT<<8 | msgCTGetStatsCPU, true, format.StatSearched, format.StatChainTooLong},
	{subsysExp<<8 | msgExpGetStatsCPU, subsysCT<<8 | msgExpGetStatsCPU, true, format.StatExpectNew, format.StatExpectDelete},
	{subsysCT<<8 | msgCTGetStats, subsysCT<<8 | msgCTGetStats, false, format.StatEntries, format.StatMaxEntries},
}

// ReadStats returns the table's counters in the network namespace of the
// calling thread, as Conn.Stats does.
func ReadStats() ([]format.Stats, int, error) {
	c, err := Dial()
	if err != nil {
		return nil, 0, err
	}
	defer c.Close()
	return c.Stats()
}

// Stats asks the kernel for the table's counters, as conntrack -S,
// conntrack -S expect and conntrack -C do, and returns them in that order:
// each CPU's conntrack counters, each CPU's expectation counters (CPU is
// the reply's resource id, as conntrack prints it), then the table's
// count and maximum (entries, max_entries) with CPU -1. Each record holds
// exactly the counters the kernel sent, so its column set is the kernel's:
// that of conntrack -S on the same kernel. newer counts the counters of a
// later kernel than this code knows, which the records leave out.
func (c *Conn) Stats() (all []format.Stats, newer int, err error) {
	err = c.statsMessages(func(msg []byte) error {
		all = append(all, format.Stats{})
		n, err := DecodeStats(msg, &all[len(all)-1])
		newer += n
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return all, newer, nil
}

// statsMessages makes the requests of Stats and calls each with every
// message of their replies.
func (c *Conn) statsMessages(each func(msg []byte) error) error {
	for _, r := range statsRequests {
		flags := uint16(unix.NLM_F_DUMP)
		if !r.perCPU {
			flags = unix.NLM_F_ACK
		}
		if err := c.send(c.newRequest(r.typ, flags, unix.AF_UNSPEC), "counters"); err != nil {
			return err
		}
		sc := &Scanner{c: c, seq: c.seq, op: "counters", ack: !r.perCPU}
		for msg, ok := sc.next(); ok; msg, ok = sc.next() {
			if err := each(msg); err != nil {
				return err
			}
		}
		if sc.err != nil {
			return sc.err
		}
	}
	return nil
}

// DecodeStats decodes one reply of the counters' requests (its 16-byte
// header and payload) into s: a CPU's conntrack or expectation counters,
// or the table's count and maximum. s holds the counters the message
// carries and no others; a counter this code does not know yet (a later
// kernel's attribute) is left out, and counted in newer, as conntrack
// 1.4.2 leaves out those newer than it.
func DecodeStats(msg []byte, s *format.Stats) (newer int, err error) {
	*s = format.Stats{CPU: -1}
	if len(msg) < 16+4 {
		return 0, &DecodeError{Msg: "message too short"}
	}
	typ := binary.NativeEndian.Uint16(msg[4:])
	i := 0
	for i < len(statsRequests) && statsRequests[i].reply != typ {
		i++
	}
	if i == len(statsRequests) {
		return 0, &DecodeError{Msg: fmt.Sprintf("message type %#04x is not a reply of counters", typ)}
	}
	r := statsRequests[i]
	if r.perCPU {
		s.CPU = int(binary.BigEndian.Uint16(msg[18:])) // nfgenmsg's res_id
	}
	a := attrs{b: msg[20:]}
	counters := false
	for a.next() {
		if a.typ == 0 {
			continue
		}
		if a.typ > uint16(r.last-r.first)+1 {
			newer++
			continue
		}
		st := r.first + format.Stat(a.typ-1)
		if s.Has(st) {
			return 0, &DecodeError{Attr: st.String(), Msg: "repeated"}
		}
		v, err := u32(a.val, "", st.String())
		if err != nil {
			return 0, err
		}
		s.Set(st, uint64(v))
		counters = true
	}
	if a.err != nil {
		return 0, a.err
	}
	if !counters {
		return 0, &DecodeError{Msg: "no counters"}
	}
	return newer, nil
}

// TableSize returns how many flows the kernel's table holds and how many
// it can hold (nf_conntrack_max), asked over netlink. Its error is an
// *Error, which says why netlink cannot be used here: no permission
// (CAP_NET_ADMIN), or a kernel without ctnetlink.
func TableSize() (entries, max int, err error) {
	all, _, err := ReadStats()
	if err != nil {
		return 0, 0, err
	}
	for _, s := range all {
		n, ok1 := s.Value(format.StatEntries)
		m, ok2 := s.Value(format.StatMaxEntries)
		if ok1 && ok2 {
			return int(n), int(m), nil
		}
	}
	return 0, 0, &DecodeError{Msg: "no count and maximum in the kernel's reply"}
}
