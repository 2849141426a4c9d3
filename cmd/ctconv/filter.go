package main

import (
	"errors"
	"flag"
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ctconv/ctconv/format"
)

// filterFlags are the flags that select flows, named as conntrack's.
type filterFlags struct {
	family, proto, state, src, dst, addr, sport, dport, port, zone, mark, status *string
}

// filterHelp is the part of a command's help about its filters.
const filterHelp = `
Filters select the flows to work on, with the names of conntrack's options;
all that are given must hold: --family, --proto, --state, --src and --dst
(the original tuple's; an address or a CIDR prefix), --addr (any address of
either tuple), --sport, --dport, --port (either of the original ports),
--zone, --mark VALUE[/MASK], --status (ASSURED, UNREPLIED, SEEN_REPLY,
OFFLOAD, HW_OFFLOAD, ..., comma-separated: all must be set; a bit named
with a leading "!" must not be).
`

func addFilterFlags(fs *flag.FlagSet) *filterFlags {
	return &filterFlags{
		family: fs.String("family", "", "select flows of `family` ipv4 or ipv6"),
		proto:  fs.String("proto", "", "select flows of `protocol` (a name or a number)"),
		state:  fs.String("state", "", "select flows in protocol `state`, such as ESTABLISHED"),
		src:    fs.String("src", "", "select flows whose original source is in `prefix` (an address or CIDR)"),
		dst:    fs.String("dst", "", "select flows whose original destination is in `prefix`"),
		addr:   fs.String("addr", "", "select flows with an address in `prefix`, in either tuple"),
		sport:  fs.String("sport", "", "select flows of original source `port`"),
		dport:  fs.String("dport", "", "select flows of original destination `port`"),
		port:   fs.String("port", "", "select flows with `port` as either original port"),
		zone:   fs.String("zone", "", "select flows of `zone`"),
		mark:   fs.String("mark", "", "select flows whose mark is `value[/mask]`"),
		status: fs.String("status", "", "select flows with the status `bits`: ASSURED,UNREPLIED,..."),
	}
}

// build returns the filter the flags make, or nil when none is given.
func (ff *filterFlags) build() (*format.Filter, error) {
	var x format.Filter
	set := false
	for _, c := range []struct {
		name  string
		value string
		parse func(string) error
	}{
		{"--family", *ff.family, func(v string) error {
			var f format.Family
			if f.UnmarshalText([]byte(v)) != nil || !strings.EqualFold(f.String(), v) { // a name, not a number
				return errors.New("want ipv4 or ipv6")
			}
			x.Family = &f
			return nil
		}},
		{"--proto", *ff.proto, func(v string) error {
			var p format.Proto
			if p.UnmarshalText([]byte(v)) != nil {
				return errors.New("not a protocol name or number")
			}
			x.Proto = &p
			return nil
		}},
		{"--src", *ff.src, prefixInto(&x.Src)},
		{"--dst", *ff.dst, prefixInto(&x.Dst)},
		{"--addr", *ff.addr, prefixInto(&x.Addr)},
		{"--sport", *ff.sport, portInto(&x.SrcPort)},
		{"--dport", *ff.dport, portInto(&x.DstPort)},
		{"--port", *ff.port, portInto(&x.Port)},
		{"--zone", *ff.zone, portInto(&x.Zone)},
		{"--mark", *ff.mark, func(v string) error {
			value, mask, hasMask := strings.Cut(v, "/")
			m, err := strconv.ParseUint(value, 0, 32)
			if err != nil {
				return errors.New("not a 32-bit number")
			}
			x.Mark, x.MarkMask = new(uint32(m)), ^uint32(0)
			if hasMask {
				if m, err = strconv.ParseUint(mask, 0, 32); err != nil || m == 0 {
					return errors.New("the mask is not a 32-bit number other than 0")
				}
				x.MarkMask = uint32(m)
			}
			return nil
		}},
		{"--status", *ff.status, func(v string) error {
			for _, name := range strings.Split(v, ",") {
				not := strings.HasPrefix(name, "!")
				name = strings.TrimPrefix(name, "!")
				bit, ok := statusFlag(name)
				if !ok {
					return fmt.Errorf("unknown status %q", name)
				}
				if strings.EqualFold(name, "UNREPLIED") {
					not = !not
				}
				if not {
					x.NotStatus |= bit
				} else {
					x.Status |= bit
				}
			}
			return nil
		}},
	} {
		if c.value == "" {
			continue
		}
		if err := c.parse(c.value); err != nil {
			return nil, fmt.Errorf("%s %s: %v", c.name, c.value, err)
		}
		set = true
	}
	if *ff.state != "" { // after --proto, whose states it names
		if err := stateInto(&x, *ff.state); err != nil {
			return nil, fmt.Errorf("--state %s: %v", *ff.state, err)
		}
		set = true
	}
	if !set {
		return nil, nil
	}
	return &x, nil
}

// statusFlag returns the status bit of a name as conntrack spells it
// (ASSURED, SEEN_REPLY) or as the netlink specification does (assured,
// seen-reply); UNREPLIED is SEEN_REPLY, to be tested for its absence.
func statusFlag(name string) (format.Status, bool) {
	n := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	if n == "unreplied" {
		return format.StatusSeenReply, true
	}
	var s format.Status
	if s.UnmarshalText([]byte(n)) != nil || bits.OnesCount32(uint32(s)) != 1 || s.String() != n || strings.HasPrefix(n, "bit") { // one named bit
		return 0, false
	}
	return s, true
}

// stateInto sets the state of x: one of its protocol's, or, without
// --proto, of the one protocol of TCP, SCTP and DCCP that has the name.
func stateInto(x *format.Filter, name string) error {
	name = strings.ToUpper(name)
	if x.Proto != nil {
		s, err := x.Proto.ParseState(name)
		if err != nil {
			return fmt.Errorf("not a state of %v", protoName(*x.Proto))
		}
		x.State = &s
		return nil
	}
	for _, p := range []format.Proto{format.TCP, format.SCTP, format.DCCP} {
		if s, err := p.ParseState(name); err == nil {
			x.Proto, x.State = &p, &s
			return nil
		}
	}
	return errors.New("not a state of TCP, SCTP or DCCP")
}

// protoName returns the name conntrack prints for p: "unknown" where it
// has none.
func protoName(p format.Proto) string {
	if p.Named() {
		return p.String()
	}
	return "unknown"
}

func prefixInto(p *netip.Prefix) func(string) error {
	return func(v string) error {
		if a, err := netip.ParseAddr(v); err == nil {
			*p = netip.PrefixFrom(a, a.BitLen())
			return nil
		}
		pre, err := netip.ParsePrefix(v)
		if err != nil {
			return errors.New("not an address or a CIDR prefix")
		}
		*p = pre.Masked()
		return nil
	}
}

func portInto(p **uint16) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil {
			return errors.New("not a number from 0 to 65535")
		}
		u := uint16(n)
		*p = &u
		return nil
	}
}

// allOptions are the options --with takes; each bit that has a name
// prints as it.
const allOptions = ^format.Options(0)

// parseWith parses --with: conntrack's -o options, such as "extended,id",
// as conntrack spells them, and conntrack-1.4.9; "userspace", a no-op
// since conntrack 1.4.7, is taken too.
func parseWith(s string) (format.Options, error) {
	var o format.Options
	for name := range strings.SplitSeq(s, ",") {
		var one format.Options
		if name != strings.ToLower(name) || one.UnmarshalText([]byte(name)) != nil {
			return 0, fmt.Errorf("unknown conntrack option %q (want %s)", name, strings.ReplaceAll(allOptions.String(), ",", ", "))
		}
		o |= one
	}
	return o, nil
}
