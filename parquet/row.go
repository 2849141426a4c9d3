package parquet

import (
	"github.com/ctconv/ctconv/format"
)

// flowRow declares the columns of a flow, in their order, as the
// library's schema of it: putFlow writes a row of them, getFlow reads it.
// A pointer or slice is a column that may be NULL. The names are fixed
// (testdata/flows.schema.txt pins them): later versions only add columns.
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
