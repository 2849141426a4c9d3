package parquet

import (
	"strconv"

	"github.com/ctconv/ctconv/format"
)

// expectRow is the row of an expectation, as flowRow is a flow's: the
// columns are named after the members of its JSON object, a tuple's
// with the tuple's name before them (tuple_src, mask_dport, master_icmp_id).
type expectRow struct {
	capture

	Family    string  `parquet:"family,dict"`
	Proto     string  `parquet:"proto,dict"`
	ProtoNum  uint8   `parquet:"proto_num"`
	Event     *string `parquet:"event,dict"`
	EventTime *int64  `parquet:"event_time,timestamp(microsecond:utc)"`
	Timeout   *int64  `parquet:"timeout"`

	TupleSrc      *string `parquet:"tuple_src,dict"`
	TupleDst      *string `parquet:"tuple_dst,dict"`
	TupleSport    *uint16 `parquet:"tuple_sport"`
	TupleDport    *uint16 `parquet:"tuple_dport"`
	TupleICMPType *uint8  `parquet:"tuple_icmp_type"`
	TupleICMPCode *uint8  `parquet:"tuple_icmp_code"`
	TupleICMPID   *uint16 `parquet:"tuple_icmp_id"`

	MaskSrc      *string `parquet:"mask_src,dict"`
	MaskDst      *string `parquet:"mask_dst,dict"`
	MaskSport    *uint16 `parquet:"mask_sport"`
	MaskDport    *uint16 `parquet:"mask_dport"`
	MaskICMPType *uint8  `parquet:"mask_icmp_type"`
	MaskICMPCode *uint8  `parquet:"mask_icmp_code"`
	MaskICMPID   *uint16 `parquet:"mask_icmp_id"`

	MasterSrc      *string `parquet:"master_src,dict"`
	MasterDst      *string `parquet:"master_dst,dict"`
	MasterSport    *uint16 `parquet:"master_sport"`
	MasterDport    *uint16 `parquet:"master_dport"`
	MasterICMPType *uint8  `parquet:"master_icmp_type"`
	MasterICMPCode *uint8  `parquet:"master_icmp_code"`
	MasterICMPID   *uint16 `parquet:"master_icmp_id"`
	MasterL4       *string `parquet:"master_l4,dict"`

	Zone        *uint16  `parquet:"zone"`
	Flags       []string `parquet:"flags,optional,list"`
	Class       *uint32  `parquet:"class"`
	Helper      *string  `parquet:"helper,dict"`
	Policy      *string  `parquet:"policy,dict"`
	Userspace   *bool    `parquet:"userspace"`
	PortID      *uint32  `parquet:"portid"`
	Progname    *string  `parquet:"progname,dict"`
	Use         *uint32  `parquet:"use"`
	Expires     *int64   `parquet:"expires"`
	ActiveSince *int64   `parquet:"active_since"`
	Quirks      []string `parquet:"quirks,optional,list"`
}

// putExpect fills a row of expectRow's columns, in their order, with c
// and x; names holds its lists of names (flags, quirks).
func putExpect(g *group, c *capture, x *format.Expect, names *[3][]string) error {
	master := x.Has(format.ExpectMaster)
	if master && int(x.MasterL4) >= len(layer4Names) {
		return &unprintable{"master's layer-4 kind " + strconv.Itoa(int(x.MasterL4)) + " has no name"}
	}
	g.capture(c)
	g.str(x.Family.String())
	g.str(protoName(x.Proto))
	g.int(int64(x.Proto))
	g.optStr(x.Event.String(), x.Event != format.EventNone)
	optInt(g, x.EventTime, x.Has(format.ExpectEventTime))
	optInt(g, x.Timeout, x.Has(format.ExpectTimeout))
	var none format.Tuple
	for _, t := range [...]struct {
		t   *format.Tuple
		l4  format.Layer4
		has bool
	}{{&x.Tuple, x.Proto.Layer4(), true}, {&x.Mask, x.Proto.Layer4(), x.Has(format.ExpectMask)}, {&x.Master, x.MasterL4, master}} {
		if t.has {
			putTuple(g, t.t, t.l4)
		} else {
			putTuple(g, &none, format.L4None)
		}
	}
	var l4 string
	if master {
		l4 = layer4Names[x.MasterL4]
	}
	g.optStr(l4, master)
	optInt(g, x.Zone, x.Has(format.ExpectZone))
	var flags, quirks []string
	if x.Has(format.ExpectFlagsSet) || x.Flags != 0 {
		flags = bitNames(names[0][:0], uint64(x.Flags), expectFlagNames[:])
		names[0] = flags
	}
	g.list(flags)
	optInt(g, x.Class, x.Has(format.ExpectClass))
	g.optStr(x.Helper, x.Has(format.ExpectHelper))
	g.optStr(x.Policy, x.Has(format.ExpectPolicy))
	g.optTrue(x.Has(format.ExpectUserspace))
	optInt(g, x.PortID, x.Has(format.ExpectPortID))
	g.optStr(x.Progname, x.Has(format.ExpectProgname))
	optInt(g, x.Use, x.Has(format.ExpectUse))
	optInt(g, x.Expires, x.Has(format.ExpectExpires))
	optInt(g, x.ActiveSince, x.Has(format.ExpectActiveSince))
	if x.Quirks != 0 {
		quirks = bitNames(names[2][:0], uint64(x.Quirks), quirkNames[:])
		names[2] = quirks
	}
	g.list(quirks)
	return nil
}

// putTuple puts the columns of the tuple t, whose layer-4 part is l4.
func putTuple(g *group, t *format.Tuple, l4 format.Layer4) {
	g.addr(t.Src)
	g.addr(t.Dst)
	ports := l4 == format.L4Ports || l4 == format.L4Keys
	optInt(g, t.SrcPort, ports)
	optInt(g, t.DstPort, ports)
	icmp := l4 == format.L4ICMP
	optInt(g, t.Type, icmp)
	optInt(g, t.Code, icmp)
	optInt(g, t.ID, icmp)
}

// The names of the kinds of layer-4 part, and of the flags of
// expectations, as JSON Lines name them.
var (
	layer4Names     = [...]string{format.L4None: "none", format.L4Ports: "ports", format.L4Keys: "keys", format.L4ICMP: "icmp"}
	expectFlagNames = [8]string{"permanent", "inactive", "userspace", "bit3", "bit4", "bit5", "bit6", "bit7"}
)

// isText reports whether s prints as a value its parser reads back: not
// empty, valid UTF-8, without control characters (C0, DEL, C1). It asks
// format.Flow.CheckText, so that the rule is the readers' own.
func isText(s string) bool {
	f := format.Flow{Netns: s}
	field, _ := f.CheckText()
	return s != "" && field == ""
}
