package format

import "net/netip"

// Filter selects flows, as conntrack's filter options do: every condition
// it sets must hold. A field at its zero value (nil, the zero Prefix, no
// bits) sets no condition, so the zero Filter selects every flow:
//
//	x := format.Filter{Proto: new(format.TCP), DstPort: new(uint16(22))}
//
// Match does not allocate.
type Filter struct {
	// Family and Proto are the flow's family and protocol, State its
	// protocol state (conntrack -f, -p, --state).
	Family *Family
	Proto  *Proto
	State  *State
	// Src and Dst hold the original tuple's source and destination
	// (conntrack -s, -d); Addr one of the four addresses of the two tuples.
	Src, Dst, Addr netip.Prefix
	// SrcPort and DstPort are the original tuple's ports (conntrack
	// --sport, --dport); Port is either of them.
	SrcPort, DstPort, Port *uint16
	// Zone is the flow's zone, as conntrack -w takes it: the zone of both
	// directions (zone=), 0 for a flow without one.
	Zone *uint16
	// Mark is the flow's mark under MarkMask, as conntrack --mark
	// VALUE/MASK takes it; a MarkMask of 0 compares every bit.
	Mark     *uint32
	MarkMask uint32
	// Status are bits that must be set, and NotStatus bits that must not:
	// UNREPLIED is StatusSeenReply in NotStatus.
	Status, NotStatus Status
	// Netns is the network namespace of the flows, as Flow.Netns names
	// it; "" sets no condition. A flow that names none passes: a capture
	// of one table does not say whose it is.
	Netns string
}

// Match reports whether f passes every condition of the filter.
func (x *Filter) Match(f *Flow) bool {
	switch {
	case x.Family != nil && f.Family != *x.Family,
		x.Proto != nil && f.Proto != *x.Proto,
		x.State != nil && (!f.Has(FieldState) || f.State != *x.State),
		x.Src.IsValid() && !x.Src.Contains(f.Orig.Src),
		x.Dst.IsValid() && !x.Dst.Contains(f.Orig.Dst),
		x.Addr.IsValid() && !(x.Addr.Contains(f.Orig.Src) || x.Addr.Contains(f.Orig.Dst) ||
			x.Addr.Contains(f.Reply.Src) || x.Addr.Contains(f.Reply.Dst)),
		x.Mark != nil && (!f.Has(FieldMark) || f.Mark&x.markMask() != *x.Mark&x.markMask()),
		x.Status != 0 && f.Status&x.Status != x.Status,
		x.NotStatus != 0 && f.Status&x.NotStatus != 0,
		x.Netns != "" && f.Netns != "" && f.Netns != x.Netns:
		return false
	}
	if x.SrcPort != nil || x.DstPort != nil || x.Port != nil {
		if !f.Has(FieldL4) || f.Proto.Layer4() != L4Ports {
			return false
		}
		sp, dp := f.Orig.SrcPort, f.Orig.DstPort
		if x.SrcPort != nil && sp != *x.SrcPort || x.DstPort != nil && dp != *x.DstPort ||
			x.Port != nil && sp != *x.Port && dp != *x.Port {
			return false
		}
	}
	if x.Zone != nil {
		zone := uint16(0)
		if f.Has(FieldZone) {
			zone = f.Zone
		}
		if zone != *x.Zone {
			return false
		}
	}
	return true
}

// markMask returns the mask under which Mark compares.
func (x *Filter) markMask() uint32 {
	if x.MarkMask == 0 {
		return ^uint32(0)
	}
	return x.MarkMask
}
