package parquet

import (
	"strconv"
	"strings"

	"github.com/ctconv/ctconv/format"
)

// putFlow fills a row of flowRow's columns, in their order, with c and
// f; names holds the lists of names the row puts (status, labels,
// quirks).
func putFlow(g *group, c *capture, f *format.Flow, names *[3][]string) error {
	var state string
	if f.Has(format.FieldState) {
		if state = f.Proto.StateName(f.State); state == "" {
			return &unprintable{"state " + strconv.Itoa(int(f.State)) + " of " + protoName(f.Proto) + " has no name"}
		}
	}
	g.capture(c)
	g.str(f.Family.String())
	g.str(protoName(f.Proto))
	g.int(int64(f.Proto))
	g.optStr(state, state != "")
	optInt(g, f.Timeout, f.Has(format.FieldTimeout))
	l4 := format.L4None
	if f.Has(format.FieldL4) {
		l4 = f.Proto.Layer4()
	}
	ports := l4 == format.L4Ports || l4 == format.L4Keys
	for _, t := range [...]*format.Tuple{&f.Orig, &f.Reply} {
		g.addr(t.Src)
		g.addr(t.Dst)
		optInt(g, t.SrcPort, ports)
		optInt(g, t.DstPort, ports)
	}
	orig, reply := f.Has(format.FieldOrigCounters), f.Has(format.FieldReplyCounters)
	optInt(g, f.OrigCounters.Packets, orig)
	optInt(g, f.OrigCounters.Bytes, orig)
	optInt(g, f.ReplyCounters.Packets, reply)
	optInt(g, f.ReplyCounters.Bytes, reply)
	var status, labels, quirks []string
	if f.Has(format.FieldStatus) {
		status = bitNames(names[0][:0], uint64(f.Status), statusNames[:])
		names[0] = status
	}
	g.list(status)
	optInt(g, f.Mark, f.Has(format.FieldMark))
	optInt(g, f.Zone, f.Has(format.FieldZone))
	if f.Has(format.FieldLabels) {
		labels = names[1][:0]
		if f.Labels != "" {
			for name := range strings.SplitSeq(f.Labels, ",") {
				labels = append(labels, name)
			}
		}
		if labels == nil {
			labels = []string{}
		}
		names[1] = labels
	}
	g.list(labels)
	optInt(g, f.ID, f.Has(format.FieldID))
	g.optStr(f.Event.String(), f.Event != format.EventNone)
	optInt(g, f.EventTime, f.Has(format.FieldEventTime))
	g.optStr(f.Helper, f.Has(format.FieldHelper))
	g.optStr(f.Secctx, f.Has(format.FieldSecctx))
	icmp := l4 == format.L4ICMP
	for _, t := range [...]*format.Tuple{&f.Orig, &f.Reply} {
		optInt(g, t.Type, icmp)
		optInt(g, t.Code, icmp)
		optInt(g, t.ID, icmp)
	}
	optInt(g, f.OrigZone, f.Has(format.FieldOrigZone))
	optInt(g, f.ReplyZone, f.Has(format.FieldReplyZone))
	gre := f.Has(format.FieldGRETimeouts)
	optInt(g, f.GRETimeout, gre)
	optInt(g, f.GREStreamTimeout, gre)
	optInt(g, f.Secmark, f.Has(format.FieldSecmark))
	optInt(g, f.DeltaTime, f.Has(format.FieldDeltaTime))
	optInt(g, f.Start, f.Has(format.FieldStart))
	optInt(g, f.Stop, f.Has(format.FieldStop))
	optInt(g, f.Use, f.Has(format.FieldUse))
	vtags := f.Has(format.FieldVtags)
	optInt(g, f.OrigVtag, vtags)
	optInt(g, f.ReplyVtag, vtags)
	g.optTrue(f.Has(format.FieldUserspace))
	optInt(g, f.PortID, f.Has(format.FieldPortID))
	g.optStr(f.Progname, f.Has(format.FieldProgname))
	optInt(g, f.Expires, f.Has(format.FieldExpires))
	optInt(g, f.ActiveSince, f.Has(format.FieldActiveSince))
	if f.Quirks != 0 {
		quirks = bitNames(names[2][:0], uint64(f.Quirks), quirkNames[:])
		names[2] = quirks
	}
	g.list(quirks)
	// extras: a list of (slot, text), in two columns.
	slot, text := g.next(), g.next()
	if f.Extras.Len() == 0 {
		slot.level(0, 0)
		text.level(0, 0)
	} else {
		i := uint8(0)
		for s, tok := range f.Extras.All() {
			slot.level(i, slot.maxDef)
			text.level(i, text.maxDef)
			g.size += slot.str(s.String()) + text.str(tok) + 12
			i = 1
		}
	}
	g.optStr(f.Netns, f.Netns != "")
	return nil
}
