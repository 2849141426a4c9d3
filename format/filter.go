package format

import "net/netip"

// Filter selects flows, as conntrack's filter options do: each condition
// set must hold, and the zero Filter selects every flow. Match does not
// allocate.
type Filter struct {
	// Family, if not 0, is the flow's family.
	Family Family
	// Proto, if HasProto, is the flow's protocol.
	Proto    Proto
	HasProto bool
	// State, if HasState, is the flow's protocol state.
	State    State
	HasState bool
	// Src and Dst, if valid, hold the original tuple's source and
	// destination (conntrack -s, -d). Addr, if valid, holds one of the
	// four addresses of the two tuples.
	Src, Dst, Addr netip.Prefix
	// SrcPort and DstPort, if not nil, are the original tuple's ports
	// (conntrack --sport, --dport); Port is either of them.
	SrcPort, DstPort, Port *uint16
	// Zone, if not nil, is the flow's zone, as conntrack -w takes it: the
	// zone of both directions (zone=), 0 for a flow without one.
	Zone *uint16
	// Mark, if MarkMask is not 0, is the flow's mark under the mask
	// (conntrack --mark VALUE/MASK).
	Mark, MarkMask uint32
	// Status are bits that must be set, and NotStatus bits that must not:
	// UNREPLIED is StatusSeenReply in NotStatus.
	Status, NotStatus Status
}

// Match reports whether f passes every condition of the filter.
func (x *Filter) Match(f *Flow) bool {
	switch {
	case x.Family != 0 && f.Family != x.Family,
		x.HasProto && f.Proto != x.Proto,
		x.HasState && (!f.Has(FieldState) || f.State != x.State),
		x.Src.IsValid() && !x.Src.Contains(f.Orig.Src),
		x.Dst.IsValid() && !x.Dst.Contains(f.Orig.Dst),
		x.Addr.IsValid() && !(x.Addr.Contains(f.Orig.Src) || x.Addr.Contains(f.Orig.Dst) ||
			x.Addr.Contains(f.Reply.Src) || x.Addr.Contains(f.Reply.Dst)),
		x.MarkMask != 0 && (!f.Has(FieldMark) || f.Mark&x.MarkMask != x.Mark&x.MarkMask),
		x.Status != 0 && f.Status&x.Status != x.Status,
		x.NotStatus != 0 && f.Status&x.NotStatus != 0:
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
