package parquet

import (
	"io"
	"net/netip"
	"strconv"
	"strings"
	"unsafe"

	pq "github.com/parquet-go/parquet-go"

	"github.com/ctconv/ctconv/format"
)

// The leaf columns of a flow, by their path in flowRow's schema (for a
// list, its elements'). flowColumns writes each straight into its
// column: the library's path from a struct to its columns costs more
// than the rest of a conversion.
const (
	cHost = iota
	cCapturedAt
	cSourceFormat
	cFamily
	cProto
	cProtoNum
	cState
	cTimeout
	cOrigSrc
	cOrigDst
	cOrigSport
	cOrigDport
	cReplySrc
	cReplyDst
	cReplySport
	cReplyDport
	cOrigPackets
	cOrigBytes
	cReplyPackets
	cReplyBytes
	cStatus
	cMark
	cZone
	cLabels
	cID
	cEvent
	cEventTime
	cHelper
	cSecctx
	cOrigICMPType
	cOrigICMPCode
	cOrigICMPID
	cReplyICMPType
	cReplyICMPCode
	cReplyICMPID
	cOrigZone
	cReplyZone
	cGRETimeout
	cGREStreamTimeout
	cSecmark
	cDeltaTime
	cTimestampStart
	cTimestampStop
	cUse
	cVtagOriginal
	cVtagReply
	cUserspace
	cPortID
	cProgname
	cExpires
	cActiveSince
	cQuirks
	cExtrasSlot
	cExtrasText
	cNetns
	nFlowColumns
)

var flowColumnPaths = [nFlowColumns][]string{
	cHost: {"host"}, cCapturedAt: {"captured_at"}, cSourceFormat: {"source_format"},
	cFamily: {"family"}, cProto: {"proto"}, cProtoNum: {"proto_num"}, cState: {"state"}, cTimeout: {"timeout"},
	cOrigSrc: {"orig_src"}, cOrigDst: {"orig_dst"}, cOrigSport: {"orig_sport"}, cOrigDport: {"orig_dport"},
	cReplySrc: {"reply_src"}, cReplyDst: {"reply_dst"}, cReplySport: {"reply_sport"}, cReplyDport: {"reply_dport"},
	cOrigPackets: {"orig_packets"}, cOrigBytes: {"orig_bytes"}, cReplyPackets: {"reply_packets"}, cReplyBytes: {"reply_bytes"},
	cStatus: {"status", "list", "element"}, cMark: {"mark"}, cZone: {"zone"}, cLabels: {"labels", "list", "element"},
	cID: {"id"}, cEvent: {"event"}, cEventTime: {"event_time"}, cHelper: {"helper"}, cSecctx: {"secctx"},
	cOrigICMPType: {"orig_icmp_type"}, cOrigICMPCode: {"orig_icmp_code"}, cOrigICMPID: {"orig_icmp_id"},
	cReplyICMPType: {"reply_icmp_type"}, cReplyICMPCode: {"reply_icmp_code"}, cReplyICMPID: {"reply_icmp_id"},
	cOrigZone: {"orig_zone"}, cReplyZone: {"reply_zone"},
	cGRETimeout: {"gre_timeout"}, cGREStreamTimeout: {"gre_stream_timeout"}, cSecmark: {"secmark"},
	cDeltaTime: {"delta_time"}, cTimestampStart: {"timestamp_start"}, cTimestampStop: {"timestamp_stop"},
	cUse: {"use"}, cVtagOriginal: {"vtag_original"}, cVtagReply: {"vtag_reply"}, cUserspace: {"userspace"},
	cPortID: {"portid"}, cProgname: {"progname"}, cExpires: {"expires"}, cActiveSince: {"active_since"},
	cQuirks: {"quirks", "list", "element"}, cExtrasSlot: {"extras", "list", "element", "slot"},
	cExtrasText: {"extras", "list", "element", "text"}, cNetns: {"netns"},
}

// column holds the values of one leaf column for a batch of rows, with
// their levels.
type column struct {
	index int
	def   int      // the column's maximum definition level: 0 if required
	nullv pq.Value // its NULL
	vals  []pq.Value
}

func (c *column) null() { c.vals = append(c.vals, c.nullv) }

func (c *column) put(v pq.Value) {
	v.SetDefinitionLevel(c.def)
	v.SetColumnIndex(c.index)
	c.vals = append(c.vals, v)
}

func (c *column) str(s string) { c.put(byteArray(s)) }

func (c *column) i32(x int64) { c.put(pq.Int32Value(int32(x))) }

func (c *column) i64(x int64) { c.put(pq.Int64Value(x)) }

// byteArray is the value of s, without a copy: strings do not change.
func byteArray(s string) pq.Value {
	return pq.ByteArrayValue(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// optStr, optI32 and optI64 put x, or NULL if not has.
func (c *column) optStr(s string, has bool) {
	if has {
		c.str(s)
	} else {
		c.null()
	}
}

func optI32[T ~uint8 | ~uint16 | ~uint32](c *column, x T, has bool) {
	if has {
		c.i32(int64(x))
	} else {
		c.null()
	}
}

func optI64[T ~int64 | ~uint64](c *column, x T, has bool) {
	if has {
		c.i64(int64(x))
	} else {
		c.null()
	}
}

// list puts a list of strings: NULL if nil.
func (c *column) list(names []string) {
	switch {
	case names == nil:
		c.null()
	case len(names) == 0:
		c.vals = append(c.vals, pq.Value{}.Level(0, c.def-1, c.index))
	default:
		for i, s := range names {
			c.vals = append(c.vals, byteArray(s).Level(min(i, 1), c.def, c.index))
		}
	}
}

// columnBatch is the number of rows flowColumns fills before it hands
// them to the library.
const columnBatch = 512

// colBatch is a batch of rows of each column.
type colBatch [nFlowColumns]column

// flowColumns writes flows into the columns of a file of flowRow's
// schema, a batch at a time. Each row group has a goroutine of its own,
// that writes its batches into its columns and encodes and compresses
// its pages, while the caller fills the next batch and the goroutine of
// the group before finishes: the library's work, most of a
// conversion's, is shared by two processors.
type flowColumns struct {
	w    *pq.GenericWriter[flowRow]
	free chan *colBatch // batches to fill
	cur  *colBatch      // the batch being filled, or nil
	n    int            // its rows filled
	// group is the row group being filled, of groupRows rows so far;
	// last the one before it.
	group, last *rowGroup
	groupRows   int
	// names holds the row's lists of names (status, labels, quirks),
	// never nil: a nil list is NULL.
	names [3][]string
	err   error
}

// rowGroup is a row group in the hands of its goroutine.
type rowGroup struct {
	rg      *pq.ConcurrentRowGroupWriter
	batches chan *colBatch
	prev    *rowGroup     // the group committed before it
	done    chan struct{} // closed once the group is committed or failed
	err     error
}

// batches is the number of batches: two row groups' goroutines work on
// one each while the caller fills another.
const batches = 4

func newFlowColumns(w io.Writer) *flowColumns {
	t := &flowColumns{w: newGenericWriter[flowRow](w, Flows), free: make(chan *colBatch, batches)}
	for i := range t.names {
		t.names[i] = make([]string, 0, 32)
	}
	schema := t.w.Schema()
	var cols colBatch
	for i, path := range flowColumnPaths {
		leaf, ok := schema.Lookup(path...)
		if !ok {
			panic("parquet: no column " + strings.Join(path, "."))
		}
		cols[i] = column{index: leaf.ColumnIndex, def: leaf.MaxDefinitionLevel, nullv: pq.Value{}.Level(0, 0, leaf.ColumnIndex)}
	}
	for range batches {
		b := cols
		for i := range b {
			b[i].vals = make([]pq.Value, 0, columnBatch)
		}
		t.free <- &b
	}
	return t
}

// write puts the flow f, of capture c, in the batch.
func (t *flowColumns) write(f *format.Flow, c *capture, addrs *addrCache) error {
	if t.err != nil {
		return t.err
	}
	var state string
	if f.Has(format.FieldState) {
		if state = f.Proto.StateName(f.State); state == "" {
			return &unprintable{"state " + strconv.Itoa(int(f.State)) + " of " + protoName(f.Proto) + " has no name"}
		}
	}
	if t.cur == nil {
		t.cur = <-t.free
	}
	cols := t.cur
	cols[cHost].optStr(deref(c.Host), c.Host != nil)
	optI64(&cols[cCapturedAt], deref(c.CapturedAt), c.CapturedAt != nil)
	cols[cSourceFormat].optStr(deref(c.SourceFormat), c.SourceFormat != nil)
	cols[cFamily].str(f.Family.String())
	cols[cProto].str(protoName(f.Proto))
	cols[cProtoNum].i32(int64(f.Proto))
	cols[cState].optStr(state, state != "")
	optI64(&cols[cTimeout], f.Timeout, f.Has(format.FieldTimeout))
	l4 := format.L4None
	if f.Has(format.FieldL4) {
		l4 = f.Proto.Layer4()
	}
	putTuple(cols[cOrigSrc:], cols[cOrigICMPType:], &f.Orig, l4, addrs)
	putTuple(cols[cReplySrc:], cols[cReplyICMPType:], &f.Reply, l4, addrs)
	orig, reply := f.Has(format.FieldOrigCounters), f.Has(format.FieldReplyCounters)
	optI64(&cols[cOrigPackets], f.OrigCounters.Packets, orig)
	optI64(&cols[cOrigBytes], f.OrigCounters.Bytes, orig)
	optI64(&cols[cReplyPackets], f.ReplyCounters.Packets, reply)
	optI64(&cols[cReplyBytes], f.ReplyCounters.Bytes, reply)
	var status, labels, quirks []string
	if f.Has(format.FieldStatus) {
		status = bitNames(t.names[0][:0], uint64(f.Status), statusNames[:])
		t.names[0] = status
	}
	cols[cStatus].list(status)
	optI32(&cols[cMark], f.Mark, f.Has(format.FieldMark))
	optI32(&cols[cZone], f.Zone, f.Has(format.FieldZone))
	if f.Has(format.FieldLabels) {
		labels = t.names[1][:0]
		if f.Labels != "" {
			for name := range strings.SplitSeq(f.Labels, ",") {
				labels = append(labels, name)
			}
		}
		t.names[1] = labels
	}
	cols[cLabels].list(labels)
	optI32(&cols[cID], f.ID, f.Has(format.FieldID))
	cols[cEvent].optStr(f.Event.String(), f.Event != format.EventNone)
	optI64(&cols[cEventTime], f.EventTime, f.Has(format.FieldEventTime))
	cols[cHelper].optStr(f.Helper, f.Has(format.FieldHelper))
	cols[cSecctx].optStr(f.Secctx, f.Has(format.FieldSecctx))
	optI32(&cols[cOrigZone], f.OrigZone, f.Has(format.FieldOrigZone))
	optI32(&cols[cReplyZone], f.ReplyZone, f.Has(format.FieldReplyZone))
	gre := f.Has(format.FieldGRETimeouts)
	optI32(&cols[cGRETimeout], f.GRETimeout, gre)
	optI32(&cols[cGREStreamTimeout], f.GREStreamTimeout, gre)
	optI32(&cols[cSecmark], f.Secmark, f.Has(format.FieldSecmark))
	optI64(&cols[cDeltaTime], f.DeltaTime, f.Has(format.FieldDeltaTime))
	optI64(&cols[cTimestampStart], f.Start, f.Has(format.FieldStart))
	optI64(&cols[cTimestampStop], f.Stop, f.Has(format.FieldStop))
	optI32(&cols[cUse], f.Use, f.Has(format.FieldUse))
	vtags := f.Has(format.FieldVtags)
	optI32(&cols[cVtagOriginal], f.OrigVtag, vtags)
	optI32(&cols[cVtagReply], f.ReplyVtag, vtags)
	if f.Has(format.FieldUserspace) {
		cols[cUserspace].put(pq.BooleanValue(true))
	} else {
		cols[cUserspace].null()
	}
	optI32(&cols[cPortID], f.PortID, f.Has(format.FieldPortID))
	cols[cProgname].optStr(f.Progname, f.Has(format.FieldProgname))
	optI64(&cols[cExpires], f.Expires, f.Has(format.FieldExpires))
	optI64(&cols[cActiveSince], f.ActiveSince, f.Has(format.FieldActiveSince))
	if f.Quirks != 0 {
		quirks = bitNames(t.names[2][:0], uint64(f.Quirks), quirkNames[:])
		t.names[2] = quirks
	}
	cols[cQuirks].list(quirks)
	slot, text := &cols[cExtrasSlot], &cols[cExtrasText]
	if f.Extras.Len() == 0 {
		slot.null()
		text.null()
	} else {
		i := 0
		for s, tok := range f.Extras.All() {
			slot.vals = append(slot.vals, byteArray(s.String()).Level(min(i, 1), slot.def, slot.index))
			text.vals = append(text.vals, byteArray(tok).Level(min(i, 1), text.def, text.index))
			i++
		}
	}
	cols[cNetns].optStr(f.Netns, f.Netns != "")
	if t.n++; t.n == columnBatch {
		return t.send()
	}
	return nil
}

// putTuple puts the tuple t: addrs are its address and port columns,
// icmp its ICMP columns, in flowRow's order.
func putTuple(addrCols, icmp []column, t *format.Tuple, l4 format.Layer4, addrs *addrCache) {
	addrCols[0].optStr(addrString(addrs, t.Src), t.Src.IsValid())
	addrCols[1].optStr(addrString(addrs, t.Dst), t.Dst.IsValid())
	ports := l4 == format.L4Ports || l4 == format.L4Keys
	optI32(&addrCols[2], t.SrcPort, ports)
	optI32(&addrCols[3], t.DstPort, ports)
	isICMP := l4 == format.L4ICMP
	optI32(&icmp[0], t.Type, isICMP)
	optI32(&icmp[1], t.Code, isICMP)
	optI32(&icmp[2], t.ID, isICMP)
}

// addrString returns the text of a, "" if a is not valid.
func addrString(addrs *addrCache, a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return addrs.string(a)
}

// send hands the batch filled to the goroutine of its row group,
// which it starts with the group, once the group before the one before
// is committed: two groups at most are in the library's hands.
func (t *flowColumns) send() error {
	if t.cur == nil {
		return t.err
	}
	if t.group == nil {
		if t.last != nil && t.last.prev != nil {
			if <-t.last.prev.done; t.err == nil {
				t.err = t.last.prev.err
			}
		}
		if t.err != nil {
			return t.err
		}
		t.group = &rowGroup{rg: t.w.BeginRowGroup(), batches: make(chan *colBatch, batches), prev: t.last, done: make(chan struct{})}
		go t.group.run(t.free)
	}
	t.group.batches <- t.cur
	t.groupRows += t.n
	t.cur, t.n = nil, 0
	if t.groupRows == RowGroupRows {
		t.endGroup()
	}
	return t.err
}

// endGroup hands the row group being filled no more batches.
func (t *flowColumns) endGroup() {
	close(t.group.batches)
	t.last, t.group, t.groupRows = t.group, nil, 0
}

// run writes the group's batches into its columns, giving them back to
// free, then encodes its last pages and commits it after the group
// before.
func (g *rowGroup) run(free chan<- *colBatch) {
	defer close(g.done)
	writers := g.rg.ColumnWriters()
	for b := range g.batches {
		for i := range b {
			c := &b[i]
			if g.err == nil {
				_, g.err = writers[c.index].WriteRowValues(c.vals)
			}
			clear(c.vals) // the values point to strings
			c.vals = c.vals[:0]
		}
		free <- b
	}
	if g.err == nil {
		g.err = g.rg.Flush()
	}
	if g.prev != nil {
		if <-g.prev.done; g.err == nil {
			g.err = g.prev.err
		}
	}
	if g.err == nil {
		_, g.err = g.rg.Commit()
	}
}

func (t *flowColumns) close() error {
	if t.n > 0 {
		t.send()
	} else if t.cur != nil {
		t.free <- t.cur
		t.cur = nil
	}
	if t.group != nil {
		t.endGroup()
	}
	if t.last != nil {
		if <-t.last.done; t.err == nil {
			t.err = t.last.err
		}
	}
	if t.err == nil {
		t.err = t.w.Close()
	}
	return t.err
}
