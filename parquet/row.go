package parquet

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/ctconv/ctconv/format"
)

// flowRow is the row of a flow: its fields are the file's columns, in
// their order. A nil pointer or slice is NULL. The names are fixed
// (testdata/flow.schema.txt pins them): later versions only add columns.
type flowRow struct {
	capture

	Family   string  `parquet:"family,dict"`
	Proto    string  `parquet:"proto,dict"`
	ProtoNum uint8   `parquet:"proto_num"`
	State    *string `parquet:"state,dict"`
	Timeout  *int64  `parquet:"timeout"`

	OrigSrc    *string `parquet:"orig_src,dict"`
	OrigDst    *string `parquet:"orig_dst,dict"`
	OrigSport  *uint16 `parquet:"orig_sport"`
	OrigDport  *uint16 `parquet:"orig_dport"`
	ReplySrc   *string `parquet:"reply_src,dict"`
	ReplyDst   *string `parquet:"reply_dst,dict"`
	ReplySport *uint16 `parquet:"reply_sport"`
	ReplyDport *uint16 `parquet:"reply_dport"`

	OrigPackets  *uint64 `parquet:"orig_packets"`
	OrigBytes    *uint64 `parquet:"orig_bytes"`
	ReplyPackets *uint64 `parquet:"reply_packets"`
	ReplyBytes   *uint64 `parquet:"reply_bytes"`

	Status    []string `parquet:"status,optional,list"`
	Mark      *uint32  `parquet:"mark"`
	Zone      *uint16  `parquet:"zone"`
	Labels    []string `parquet:"labels,optional,list"`
	ID        *uint32  `parquet:"id"`
	Event     *string  `parquet:"event,dict"`
	EventTime *int64   `parquet:"event_time,timestamp(microsecond:utc)"`
	Helper    *string  `parquet:"helper,dict"`
	Secctx    *string  `parquet:"secctx,dict"`

	// The rest of the model, named after their JSON members.
	OrigICMPType     *uint8   `parquet:"orig_icmp_type"`
	OrigICMPCode     *uint8   `parquet:"orig_icmp_code"`
	OrigICMPID       *uint16  `parquet:"orig_icmp_id"`
	ReplyICMPType    *uint8   `parquet:"reply_icmp_type"`
	ReplyICMPCode    *uint8   `parquet:"reply_icmp_code"`
	ReplyICMPID      *uint16  `parquet:"reply_icmp_id"`
	OrigZone         *uint16  `parquet:"orig_zone"`
	ReplyZone        *uint16  `parquet:"reply_zone"`
	GRETimeout       *uint32  `parquet:"gre_timeout"`
	GREStreamTimeout *uint32  `parquet:"gre_stream_timeout"`
	Secmark          *uint32  `parquet:"secmark"`
	DeltaTime        *uint64  `parquet:"delta_time"`
	TimestampStart   *uint64  `parquet:"timestamp_start"`
	TimestampStop    *uint64  `parquet:"timestamp_stop"`
	Use              *uint32  `parquet:"use"`
	VtagOriginal     *uint32  `parquet:"vtag_original"`
	VtagReply        *uint32  `parquet:"vtag_reply"`
	Userspace        *bool    `parquet:"userspace"`
	PortID           *uint32  `parquet:"portid"`
	Progname         *string  `parquet:"progname,dict"`
	Expires          *int64   `parquet:"expires"`
	ActiveSince      *int64   `parquet:"active_since"`
	Quirks           []string `parquet:"quirks,optional,list"`
	Extras           []extra  `parquet:"extras,optional,list"`
	Netns            *string  `parquet:"netns,dict"`
}

// capture is the columns of the capture that every row starts with.
type capture struct {
	Host         *string `parquet:"host,dict"`
	CapturedAt   *int64  `parquet:"captured_at,timestamp(microsecond:utc)"`
	SourceFormat *string `parquet:"source_format,dict"`
}

// extra is a token of a flow that its parser did not know, with the slot
// it followed (format.Extras).
type extra struct {
	Slot string `parquet:"slot"`
	Text string `parquet:"text"`
}

// flow sets f to the flow of row.
func (row *flowRow) flow(f *format.Flow) error {
	f.Reset()
	if err := f.Family.UnmarshalText([]byte(row.Family)); err != nil {
		return columnErr("family", err)
	}
	f.Proto = format.Proto(row.ProtoNum)
	if row.State != nil {
		s, ok := state(f.Proto, *row.State)
		if !ok {
			return columnErr("state", errorString("no state of "+protoName(f.Proto)+" is named "+strconv.Quote(*row.State)))
		}
		f.State, f.Fields = s, f.Fields|format.FieldState
	}
	get(&f.Timeout, row.Timeout, &f.Fields, format.FieldTimeout)
	orig := tupleCols{&row.OrigSrc, &row.OrigDst, &row.OrigSport, &row.OrigDport, &row.OrigICMPType, &row.OrigICMPCode, &row.OrigICMPID}
	reply := tupleCols{&row.ReplySrc, &row.ReplyDst, &row.ReplySport, &row.ReplyDport, &row.ReplyICMPType, &row.ReplyICMPCode, &row.ReplyICMPID}
	for _, t := range [...]struct {
		cols tupleCols
		t    *format.Tuple
		name string
	}{{orig, &f.Orig, "orig"}, {reply, &f.Reply, "reply"}} {
		l4, err := t.cols.get(t.t, t.name)
		if err != nil {
			return err
		}
		if l4 {
			f.Fields |= format.FieldL4
		}
	}
	get(&f.OrigZone, row.OrigZone, &f.Fields, format.FieldOrigZone)
	get(&f.ReplyZone, row.ReplyZone, &f.Fields, format.FieldReplyZone)
	if row.OrigPackets != nil || row.OrigBytes != nil {
		f.OrigCounters, f.Fields = format.Counters{Packets: deref(row.OrigPackets), Bytes: deref(row.OrigBytes)}, f.Fields|format.FieldOrigCounters
	}
	if row.ReplyPackets != nil || row.ReplyBytes != nil {
		f.ReplyCounters, f.Fields = format.Counters{Packets: deref(row.ReplyPackets), Bytes: deref(row.ReplyBytes)}, f.Fields|format.FieldReplyCounters
	}
	if row.Status != nil {
		bits, err := namedBits(row.Status, statusNames[:], "status")
		if err != nil {
			return err
		}
		f.Status, f.Fields = format.Status(bits), f.Fields|format.FieldStatus
	}
	get(&f.Mark, row.Mark, &f.Fields, format.FieldMark)
	get(&f.Zone, row.Zone, &f.Fields, format.FieldZone)
	if row.Labels != nil {
		f.Labels, f.Fields = strings.Join(row.Labels, ","), f.Fields|format.FieldLabels
	}
	get(&f.ID, row.ID, &f.Fields, format.FieldID)
	if row.Event != nil {
		if err := f.Event.UnmarshalText([]byte(*row.Event)); err != nil || f.Event == format.EventNone {
			return columnErr("event", errorString("unknown event "+strconv.Quote(*row.Event)))
		}
	}
	get(&f.EventTime, row.EventTime, &f.Fields, format.FieldEventTime)
	get(&f.Helper, row.Helper, &f.Fields, format.FieldHelper)
	get(&f.Secctx, row.Secctx, &f.Fields, format.FieldSecctx)
	if row.GRETimeout != nil || row.GREStreamTimeout != nil {
		f.GRETimeout, f.GREStreamTimeout, f.Fields = deref(row.GRETimeout), deref(row.GREStreamTimeout), f.Fields|format.FieldGRETimeouts
	}
	get(&f.Secmark, row.Secmark, &f.Fields, format.FieldSecmark)
	get(&f.DeltaTime, row.DeltaTime, &f.Fields, format.FieldDeltaTime)
	get(&f.Start, row.TimestampStart, &f.Fields, format.FieldStart)
	get(&f.Stop, row.TimestampStop, &f.Fields, format.FieldStop)
	get(&f.Use, row.Use, &f.Fields, format.FieldUse)
	if row.VtagOriginal != nil || row.VtagReply != nil {
		f.OrigVtag, f.ReplyVtag, f.Fields = deref(row.VtagOriginal), deref(row.VtagReply), f.Fields|format.FieldVtags
	}
	if set, err := userspace(row.Userspace); err != nil {
		return err
	} else if set {
		f.Fields |= format.FieldUserspace
	}
	get(&f.PortID, row.PortID, &f.Fields, format.FieldPortID)
	get(&f.Progname, row.Progname, &f.Fields, format.FieldProgname)
	get(&f.Expires, row.Expires, &f.Fields, format.FieldExpires)
	get(&f.ActiveSince, row.ActiveSince, &f.Fields, format.FieldActiveSince)
	if err := readQuirks(&f.Quirks, row.Quirks); err != nil {
		return err
	}
	last := format.Slot(0)
	for _, x := range row.Extras {
		var s format.Slot
		if err := s.UnmarshalText([]byte(x.Slot)); err != nil || s < last || x.Text == "" {
			return columnErr("extras", errorString("an extra needs a known slot and a text, in slot order"))
		}
		f.Extras, last = f.Extras.Add(s, x.Text), s
	}
	if row.Netns != nil {
		if *row.Netns == "" {
			return columnErr("netns", errorString(`"" (NULL is no namespace)`))
		}
		f.Netns = *row.Netns
	}
	if field, reason := f.CheckText(); field != "" {
		return columnErr(field, errorString(reason))
	}
	return nil
}

// tupleCols are the columns of a tuple.
type tupleCols struct {
	src, dst           **string
	sport, dport       **uint16
	icmpType, icmpCode **uint8
	icmpID             **uint16
}

// get sets t from the columns, naming the tuple name in errors, and
// reports whether they hold a layer-4 part.
func (c tupleCols) get(t *format.Tuple, name string) (bool, error) {
	for _, a := range [...]struct {
		s    *string
		addr *netip.Addr
		col  string
	}{{*c.src, &t.Src, name + "_src"}, {*c.dst, &t.Dst, name + "_dst"}} {
		if a.s == nil {
			continue
		}
		addr, err := netip.ParseAddr(*a.s)
		if err != nil {
			return false, columnErr(a.col, err)
		}
		*a.addr = addr
	}
	ports := *c.sport != nil || *c.dport != nil
	icmp := *c.icmpType != nil || *c.icmpCode != nil || *c.icmpID != nil
	switch {
	case ports && icmp:
		return false, columnErr(name+"_sport", errorString("both ports and ICMP fields"))
	case ports:
		t.SrcPort, t.DstPort = deref(*c.sport), deref(*c.dport)
	case icmp:
		t.Type, t.Code, t.ID = deref(*c.icmpType), deref(*c.icmpCode), deref(*c.icmpID)
	}
	return ports || icmp, nil
}

func get[T any, S ~uint16 | ~uint32](x *T, col *T, fields *S, bit S) {
	if col != nil {
		*x, *fields = *col, *fields|bit
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// protoName returns the name JSON Lines give p: "unknown" for a protocol
// without one.
func protoName(p format.Proto) string {
	if p.Named() {
		return p.String()
	}
	return "unknown"
}

// state returns the state of p named name.
func state(p format.Proto, name string) (format.State, bool) {
	for s := range format.State(16) {
		if n := p.StateName(s); n != "" && n == name {
			return s, true
		}
	}
	return 0, false
}

// The names of the status bits and the quirks, by bit, as String of one
// bit gives them.
var (
	statusNames = bitTable[format.Status](32)
	quirkNames  = bitTable[format.Quirks](16)
)

func bitTable[B interface {
	~uint16 | ~uint32
	String() string
}](n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = B(1 << i).String()
	}
	return names
}

// bitNames appends the names of the bits set in bits.
func bitNames(names []string, bits uint64, table []string) []string {
	for i, name := range table {
		if bits&(1<<i) != 0 {
			names = append(names, name)
		}
	}
	if names == nil {
		names = []string{}
	}
	return names
}

// namedBits returns the bits that names name, of column col.
func namedBits(names []string, table []string, col string) (uint64, error) {
	var bits uint64
next:
	for _, name := range names {
		for i, n := range table {
			if n == name {
				bits |= 1 << i
				continue next
			}
		}
		return 0, columnErr(col, errorString("unknown name "+strconv.Quote(name)))
	}
	return bits, nil
}

// userspace reads the column userspace, which is true or NULL: whether the
// record's event was caused by a program.
func userspace(v *bool) (bool, error) {
	if v != nil && !*v {
		return false, columnErr("userspace", errorString("false (true or NULL)"))
	}
	return v != nil, nil
}

// readQuirks reads the column quirks, the names of a record's quirks, into
// q; NULL leaves q as it is.
func readQuirks(q *format.Quirks, names []string) error {
	if names == nil {
		return nil
	}
	bits, err := namedBits(names, quirkNames[:], "quirks")
	*q = format.Quirks(bits)
	return err
}
