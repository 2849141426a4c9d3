package format_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// handBuilt is a flow as a program builds it by hand: family, protocol,
// tuples and timeout, the layer-4 part set but not marked as present.
func handBuilt(p format.Proto) format.Flow {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	f := format.Flow{Family: format.IPv4, Proto: p, Fields: format.FieldTimeout, Timeout: 60,
		Orig: format.Tuple{Src: a, Dst: b, SrcPort: 40000, DstPort: 80}}
	if p.Layer4() == format.L4ICMP {
		f.Orig = format.Tuple{Src: a, Dst: b, Type: 8, ID: 7}
	}
	f.Reply = f.Mirror()
	return f
}

// TestPrintRequires: a printer refuses, with a *PrintError, a flow that
// lacks what its producer always prints: conntrack -L and its XML the
// ports of TCP and UDP (their trackers are always built in) and a TCP
// flow's state; /proc every layer-4 part and state. What a producer may
// lack, it prints without: a DCCP flow on a kernel without the DCCP
// tracker, an event without a state, an offloaded flow read from /proc,
// which shows no state for it, an ICMP flow of conntrack's XML, which
// has no ICMP part (docs/CONVERSIONS.md: xml → conntrack).
func TestPrintRequires(t *testing.T) {
	with := func(p format.Proto, fs format.Fields, edit ...func(*format.Flow)) format.Flow {
		f := handBuilt(p)
		f.Fields |= fs
		if fs&format.FieldState != 0 && p == format.TCP {
			f.State = format.TCPEstablished
		}
		for _, e := range edit {
			e(&f)
		}
		return f
	}
	event := func(f *format.Flow) { f.Event = format.EventUpdate }
	offloaded := func(f *format.Flow) { f.Fields |= format.FieldStatus; f.Status |= format.StatusOffload }
	for _, c := range []struct {
		name string
		f    format.Flow
		fm   []format.Format
		ok   bool
	}{
		{"tcp without ports nor state", with(format.TCP, 0), []format.Format{format.Conntrack, format.XML, format.Proc, format.Save}, false},
		{"tcp without ports", with(format.TCP, format.FieldState), []format.Format{format.Conntrack, format.XML, format.Proc, format.Save}, false},
		{"tcp without state", with(format.TCP, format.FieldL4), []format.Format{format.Conntrack, format.XML, format.Proc}, false},
		{"tcp event without ports", with(format.TCP, 0, event), []format.Format{format.Conntrack, format.XML}, false},
		{"udp without ports", with(format.UDP, 0), []format.Format{format.Conntrack, format.XML, format.Proc}, false},
		{"icmp without its part", with(format.ICMP, 0), []format.Format{format.Proc, format.IPLegacy, format.Save}, false},
		{"tcp", with(format.TCP, format.FieldL4|format.FieldState), []format.Format{format.Conntrack, format.XML, format.Proc}, true},
		{"tcp event without state", with(format.TCP, format.FieldL4, event), []format.Format{format.Conntrack, format.XML}, true},
		{"offloaded tcp without state", with(format.TCP, format.FieldL4, offloaded), []format.Format{format.Conntrack, format.XML, format.Proc}, true},
		{"icmp of conntrack's xml, which has no icmp part", with(format.ICMP, 0), []format.Format{format.XML, format.Conntrack}, true},
		{"dccp without its tracker", with(format.DCCP, 0), []format.Format{format.Conntrack, format.XML}, true},
		{"sctp without its tracker", with(format.SCTP, 0), []format.Format{format.Conntrack, format.XML}, true},
		{"gre without its tracker", with(format.GRE, 0), []format.Format{format.Conntrack, format.XML}, true},
	} {
		for _, fm := range c.fm {
			line, err := format.Dialect{Format: fm}.Append(nil, &c.f)
			switch {
			case c.ok && err != nil:
				t.Errorf("%s as %s: %v", c.name, fm, err)
			case !c.ok && !errors.Is(err, format.ErrUnprintable):
				t.Errorf("%s as %s: %q, %v; want a *PrintError", c.name, fm, line, err)
			}
		}
	}
}

// TestProtoFlow: Proto.Flow makes a flow that every format of flows
// prints, and that reads back, for every protocol, with the reply the
// kernel makes without NAT.
func TestProtoFlow(t *testing.T) {
	orig4 := format.Tuple{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), SrcPort: 40000, DstPort: 53}
	orig6 := format.Tuple{Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"), SrcPort: 40000, DstPort: 53}
	for _, p := range []format.Proto{format.TCP, format.UDP, format.UDPLite, format.SCTP, format.DCCP, format.GRE, format.ICMP, format.ICMPv6, 253} {
		for _, orig := range []format.Tuple{orig4, orig6} {
			switch p.Layer4() {
			case format.L4ICMP:
				orig.SrcPort, orig.DstPort, orig.Type, orig.ID = 0, 0, 8, 7
				if p == format.ICMPv6 {
					orig.Type = 128
				}
			case format.L4None:
				orig.SrcPort, orig.DstPort = 0, 0
			}
			f := p.Flow(orig)
			fam := format.IPv4
			if orig.Src.Is6() {
				fam = format.IPv6
			}
			if f.Family != fam || f.Proto != p || f.Orig != orig || f.Reply != f.Mirror() ||
				f.Has(format.FieldL4) != (p.Layer4() != format.L4None) || f.Has(format.FieldState) != p.HasStates() {
				t.Errorf("%v %v: %+v", p, fam, f)
			}
			for _, fm := range []format.Format{format.Proc, format.Conntrack, format.XML, format.Save} {
				line, err := format.Dialect{Format: fm}.Append(nil, &f)
				if err != nil {
					t.Errorf("%v %v as %s: %v", p, fam, fm, err)
					continue
				}
				var g format.Flow
				want := f.Orig
				if fm == format.XML && p.Layer4() == format.L4ICMP {
					want = format.Tuple{Src: want.Src, Dst: want.Dst} // XML has no ICMP part
				}
				if err := new(format.Dialect{Format: fm}).Parse(line, &g); err != nil || g.Orig != want || g.Proto != p || g.Family != fam {
					t.Errorf("%v %v as %s: %q reads back as %+v, %v", p, fam, fm, line, g, err)
				}
			}
		}
	}
}

// TestMirror: Mirror mirrors the layer-4 part the original tuple holds,
// whether or not the flow says it has one.
func TestMirror(t *testing.T) {
	for _, c := range []struct {
		p    format.Proto
		orig format.Tuple
		want format.Tuple
	}{
		{format.TCP, format.Tuple{SrcPort: 1, DstPort: 2}, format.Tuple{SrcPort: 2, DstPort: 1}},
		{format.GRE, format.Tuple{SrcPort: 1, DstPort: 2}, format.Tuple{SrcPort: 2, DstPort: 1}},
		{format.ICMP, format.Tuple{Type: 8, Code: 0, ID: 9}, format.Tuple{Type: 0, Code: 0, ID: 9}},
		{format.ICMPv6, format.Tuple{Type: 128, Code: 0, ID: 9}, format.Tuple{Type: 129, Code: 0, ID: 9}},
		{format.ICMP, format.Tuple{Type: 3, Code: 1, ID: 0}, format.Tuple{Type: 3, Code: 1, ID: 0}},
		{253, format.Tuple{}, format.Tuple{}},
	} {
		a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
		c.orig.Src, c.orig.Dst = a, b
		c.want.Src, c.want.Dst = b, a
		for _, fs := range []format.Fields{0, format.FieldL4} {
			f := format.Flow{Family: format.IPv4, Proto: c.p, Fields: fs, Orig: c.orig}
			if got := f.Mirror(); got != c.want {
				t.Errorf("%v, fields %v: Mirror %+v, want %+v", c.p, fs, got, c.want)
			}
		}
	}
}
