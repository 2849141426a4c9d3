package ctnetlink

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
)

// attr encodes a netlink attribute; a nested one takes its children as
// the value.
func attr(typ uint16, v ...[]byte) []byte {
	var val []byte
	for _, b := range v {
		val = append(val, b...)
	}
	b := binary.NativeEndian.AppendUint16(nil, uint16(4+len(val)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, val...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// message encodes a ctnetlink message of type typ with flags, from the
// process portid, of family fam.
func message(typ, flags uint16, portid uint32, fam format.Family, attrs ...[]byte) []byte {
	b := make([]byte, 20)
	binary.NativeEndian.PutUint16(b[4:], subsysCT<<8|typ)
	binary.NativeEndian.PutUint16(b[6:], flags)
	binary.NativeEndian.PutUint32(b[12:], portid)
	b[16] = byte(fam)
	for _, a := range attrs {
		b = append(b, a...)
	}
	binary.NativeEndian.PutUint32(b, uint32(len(b)))
	return b
}

// tuple encodes a TCP/UDP-style tuple of IPv4 addresses.
func tupleAttr(typ uint16, src, dst string, proto uint8, sport, dport uint16, extra ...[]byte) []byte {
	s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
	ipSrc, ipDst := uint16(ctaIPv4Src), uint16(ctaIPv4Dst)
	if s.Is6() {
		ipSrc, ipDst = ctaIPv6Src, ctaIPv6Dst
	}
	return attr(typ|0x8000, append([][]byte{
		attr(ctaTupleIP|0x8000, attr(ipSrc, s.AsSlice()), attr(ipDst, d.AsSlice())),
		attr(ctaTupleProto|0x8000, attr(ctaProtoNum, []byte{proto}), attr(ctaProtoSrcPort, be16(sport)), attr(ctaProtoDstPort, be16(dport))),
	}, extra...)...)
}

var (
	status = attr(ctaStatus, be32(uint32(format.StatusConfirmed)))
	orig   = tupleAttr(ctaTupleOrig, "10.0.0.1", "10.0.0.2", 6, 40000, 80)
	reply  = tupleAttr(ctaTupleReply, "10.0.0.2", "10.0.0.1", 6, 80, 40000)
)

// base is what every case's flow has: the tuples of orig and reply.
func base() format.Flow {
	return format.Flow{
		Family: format.IPv4, Proto: format.TCP, Fields: format.FieldL4 | format.FieldStatus, Status: format.StatusConfirmed,
		Orig:  format.Tuple{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), SrcPort: 40000, DstPort: 80},
		Reply: format.Tuple{Src: netip.MustParseAddr("10.0.0.2"), Dst: netip.MustParseAddr("10.0.0.1"), SrcPort: 80, DstPort: 40000},
	}
}

// TestDecodeAttributes decodes each attribute the kernel sends, alone
// beside the tuples, into its field.
func TestDecodeAttributes(t *testing.T) {
	now := time.Unix(1_800_000_100, 0)
	const start = 1_800_000_000_123_456_789
	labelBits := make([]byte, 16)
	labelBits[0] = 1<<0 | 1<<3 | 1<<7 // bits 0, 3 (no name) and 7
	labelBits[8] = 1 << 2             // bit 66, which has no name
	for _, c := range []struct {
		name  string
		attrs [][]byte
		event bool
		want  func(f *format.Flow)
	}{
		{"id", [][]byte{attr(ctaID, be32(4082524353))}, false, func(f *format.Flow) {
			f.ID, f.Fields = 4082524353, f.Fields|format.FieldID
		}},
		{"timeout", [][]byte{attr(ctaTimeout, be32(431999))}, false, func(f *format.Flow) {
			f.Timeout, f.Fields = 431999, f.Fields|format.FieldTimeout
		}},
		{"use", [][]byte{attr(ctaUse, be32(1))}, false, func(f *format.Flow) {
			f.Use, f.Fields = 1, f.Fields|format.FieldUse
		}},
		{"mark", [][]byte{attr(ctaMark, be32(4294967295))}, false, func(f *format.Flow) {
			f.Mark, f.Fields = 4294967295, f.Fields|format.FieldMark
		}},
		{"mark 0 is present", [][]byte{attr(ctaMark, be32(0))}, false, func(f *format.Flow) {
			f.Fields |= format.FieldMark
		}},
		{"status", [][]byte{attr(ctaStatus, be32(uint32(format.StatusSeenReply|format.StatusAssured|format.StatusConfirmed|format.StatusOffload)))}, false, func(f *format.Flow) {
			f.Status = format.StatusSeenReply | format.StatusAssured | format.StatusConfirmed | format.StatusOffload
		}},
		{"counters", [][]byte{
			attr(ctaCountersOrig|0x8000, attr(ctaCountersPackets, be64(6)), attr(ctaCountersBytes, be64(1<<40))),
			attr(ctaCountersReply|0x8000, attr(ctaCountersPackets, be64(0)), attr(ctaCountersBytes, be64(0))),
		}, false, func(f *format.Flow) {
			f.OrigCounters = format.Counters{Packets: 6, Bytes: 1 << 40}
			f.Fields |= format.FieldOrigCounters | format.FieldReplyCounters
		}},
		{"32-bit counters", [][]byte{attr(ctaCountersOrig|0x8000, attr(ctaCounters32Packets, be32(7)), attr(ctaCounters32Bytes, be32(700))),
			attr(ctaCountersReply|0x8000, attr(ctaCounters32Packets, be32(0)), attr(ctaCounters32Bytes, be32(0)))}, false, func(f *format.Flow) {
			f.OrigCounters = format.Counters{Packets: 7, Bytes: 700}
			f.Fields |= format.FieldOrigCounters | format.FieldReplyCounters
		}},
		{"timestamp start: delta-time to now", [][]byte{attr(ctaTimestamp|0x8000, attr(ctaTimestampStart, be64(start)))}, false, func(f *format.Flow) {
			f.Start, f.DeltaTime = start, 100
			f.Fields |= format.FieldStart | format.FieldDeltaTime
		}},
		{"timestamp start and stop: delta-time is the life, in whole seconds", [][]byte{attr(ctaTimestamp|0x8000, attr(ctaTimestampStart, be64(start)), attr(ctaTimestampStop, be64(start+2_900_000_000)))}, false, func(f *format.Flow) {
			f.Start, f.Stop, f.DeltaTime = start, start+2_900_000_000, 3 // .123 to 3.023: as conntrack counts, not 2.9
			f.Fields |= format.FieldStart | format.FieldStop | format.FieldDeltaTime
		}},
		{"labels: named bits only", [][]byte{attr(ctaLabels, labelBits)}, false, func(f *format.Flow) {
			f.Labels, f.Fields = "zero-label,web traffic", f.Fields|format.FieldLabels
		}},
		{"labels: bits without names", [][]byte{attr(ctaLabels, []byte{2, 0, 0, 0, 0, 0, 0, 0})}, false, func(f *format.Flow) {
			f.Fields |= format.FieldLabels
		}},
		{"labels: no bit set", [][]byte{attr(ctaLabels, make([]byte, 16))}, false, func(f *format.Flow) {}},
		{"zone", [][]byte{attr(ctaZone, be16(5))}, false, func(f *format.Flow) {
			f.Zone, f.Fields = 5, f.Fields|format.FieldZone
		}},
		{"secctx", [][]byte{attr(ctaSecctx|0x8000, attr(ctaSecctxName, []byte("system_u:object_r:unlabeled_t:s0\x00")))}, false, func(f *format.Flow) {
			f.Secctx, f.Fields = "system_u:object_r:unlabeled_t:s0", f.Fields|format.FieldSecctx
		}},
		{"secmark", [][]byte{attr(ctaSecmark, be32(9))}, false, func(f *format.Flow) {
			f.Secmark, f.Fields = 9, f.Fields|format.FieldSecmark
		}},
		{"helper", [][]byte{attr(ctaHelp|0x8000, attr(ctaHelpName, []byte("ftp\x00")))}, false, func(f *format.Flow) {
			f.Helper, f.Fields = "ftp", f.Fields|format.FieldHelper
		}},
		{"tcp state", [][]byte{attr(ctaProtoinfo|0x8000, attr(ctaProtoinfoTCP|0x8000,
			attr(ctaProtoinfoState, []byte{byte(format.TCPTimeWait)}), attr(2, []byte{7}), attr(3, []byte{7}),
			attr(4, be16(0x2323)), attr(5, be16(0x2323))))}, false, func(f *format.Flow) {
			f.State, f.Fields = format.TCPTimeWait, f.Fields|format.FieldState
		}},
		// Linux 6.14 and later, with nf_conntrack_timestamp on: the time of
		// the event, in ns; conntrack 1.4.9 prints it to the microsecond.
		{"event time", [][]byte{attr(ctaTimestampEvent, be64(start))}, true, func(f *format.Flow) {
			f.Event, f.EventTime, f.PortID, f.Progname = format.EventUpdate, start/1000, 30591, "conntrack"
			f.Fields |= format.FieldEventTime | format.FieldUserspace | format.FieldPortID | format.FieldProgname
		}},
		// A kernel on a CPU that needs 64-bit values aligned puts a
		// zero-length attribute before one that is not (nla_put_64bit's
		// padding), of the type CTA_TIMESTAMP_PAD, 3, which at the top
		// level is CTA_STATUS's.
		{"padding before the event time", [][]byte{attr(ctaStatus), attr(ctaTimestampEvent, be64(start))}, true, func(f *format.Flow) {
			f.Event, f.EventTime, f.PortID, f.Progname = format.EventUpdate, start/1000, 30591, "conntrack"
			f.Fields |= format.FieldEventTime | format.FieldUserspace | format.FieldPortID | format.FieldProgname
		}},
		{"event from a process", nil, true, func(f *format.Flow) {
			f.Event, f.PortID, f.Progname = format.EventUpdate, 30591, "conntrack"
			f.Fields |= format.FieldUserspace | format.FieldPortID | format.FieldProgname
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := Decoder{Labels: Labels{"zero-label", "", "", "", "", "", "", "web traffic"}, Now: now,
				Progname: func(uint32) string { return "conntrack" }}
			msg := message(msgNew, 0, 30591, format.IPv4, append([][]byte{orig, reply, status}, c.attrs...)...)
			var got format.Flow
			if err := d.Decode(msg, c.event, &got); err != nil {
				t.Fatal(err)
			}
			want := base()
			c.want(&want)
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.AllowUnexported(format.Extras{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeTuples decodes the layer-4 forms of the tuples: ICMP, GRE keys,
// zones of one direction, IPv6, and a protocol without ports.
func TestDecodeTuples(t *testing.T) {
	v6 := tupleAttr(ctaTupleOrig, "2001:db8::1", "::1", 17, 5353, 53, attr(ctaTupleZone, be16(8)))
	v6r := tupleAttr(ctaTupleReply, "::1", "2001:db8::1", 17, 53, 5353)
	var f format.Flow
	if err := (&Decoder{}).Decode(message(msgNew, 0, 0, format.IPv6, v6, v6r, status), false, &f); err != nil {
		t.Fatal(err)
	}
	if f.Family != format.IPv6 || f.Proto != format.UDP || f.Orig.Src != netip.MustParseAddr("2001:db8::1") ||
		f.Reply.DstPort != 5353 || f.OrigZone != 8 || !f.Has(format.FieldOrigZone) || f.Fields&(format.FieldReplyZone|format.FieldZone) != 0 {
		t.Errorf("IPv6 with a zone of the original direction: %+v", f)
	}

	icmp := func(typ uint16, src, dst string, it, code uint8, id uint16) []byte {
		s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
		return attr(typ|0x8000,
			attr(ctaTupleIP|0x8000, attr(ctaIPv4Src, s.AsSlice()), attr(ctaIPv4Dst, d.AsSlice())),
			attr(ctaTupleProto|0x8000, attr(ctaProtoNum, []byte{1}), attr(ctaProtoICMPID, be16(id)),
				attr(ctaProtoICMPType, []byte{it}), attr(ctaProtoICMPCode, []byte{code})))
	}
	msg := message(msgNew, 0, 0, format.IPv4, icmp(ctaTupleOrig, "10.0.0.1", "10.0.0.2", 8, 0, 4660), icmp(ctaTupleReply, "10.0.0.2", "10.0.0.1", 0, 0, 4660), status)
	if err := (&Decoder{}).Decode(msg, false, &f); err != nil {
		t.Fatal(err)
	}
	if f.Orig.Type != 8 || f.Reply.Type != 0 || f.Orig.ID != 4660 || !f.Has(format.FieldL4) {
		t.Errorf("ICMP: %+v", f)
	}

	// DCCP on a kernel that tracks it generically: no ports.
	bare := func(typ uint16, src, dst string) []byte {
		s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
		return attr(typ|0x8000,
			attr(ctaTupleIP|0x8000, attr(ctaIPv4Src, s.AsSlice()), attr(ctaIPv4Dst, d.AsSlice())),
			attr(ctaTupleProto|0x8000, attr(ctaProtoNum, []byte{33})))
	}
	if err := (&Decoder{}).Decode(message(msgNew, 0, 0, format.IPv4, bare(ctaTupleOrig, "10.0.0.1", "10.0.0.2"), bare(ctaTupleReply, "10.0.0.2", "10.0.0.1"), status), false, &f); err != nil {
		t.Fatal(err)
	}
	if f.Proto != format.DCCP || f.Has(format.FieldL4) || f.Quirks&format.QuirkUnknownName == 0 {
		t.Errorf("DCCP without ports: %+v", f)
	}
}

// TestDecodeEvents decodes the event types from the message types and
// flags, as the kernel sends them.
func TestDecodeEvents(t *testing.T) {
	for _, c := range []struct {
		typ, flags uint16
		want       format.Event
	}{
		{msgNew, nlmFCreate | nlmFExcl, format.EventNew},
		{msgNew, 0, format.EventUpdate},
		{msgDelete, 0, format.EventDestroy},
	} {
		var f format.Flow
		if err := (&Decoder{}).Decode(message(c.typ, c.flags, 0, format.IPv4, orig, reply, status), true, &f); err != nil {
			t.Fatal(err)
		}
		if f.Event != c.want || f.Has(format.FieldUserspace) {
			t.Errorf("type %d flags %#x: event %v, fields %v", c.typ, c.flags, f.Event, f.Fields)
		}
	}
}

// TestDecodeErrors checks that damaged messages give a typed error.
func TestDecodeErrors(t *testing.T) {
	good := message(msgNew, 0, 0, format.IPv4, orig, reply, status)
	for _, c := range []struct {
		name string
		msg  []byte
	}{
		{"short", good[:18]},
		{"no reply tuple", message(msgNew, 0, 0, format.IPv4, orig, status)},
		{"no status", message(msgNew, 0, 0, format.IPv4, orig, reply)},
		{"counters of one direction", message(msgNew, 0, 0, format.IPv4, orig, reply, status, attr(ctaCountersOrig|0x8000, attr(ctaCountersPackets, be64(1)), attr(ctaCountersBytes, be64(60))))},
		{"family", message(msgNew, 0, 0, 7, orig, reply)},
		{"attribute past the end", append(message(msgNew, 0, 0, format.IPv4, orig, reply), 0xff, 0, 1, 0)},
		{"IPv6 tuple in an IPv4 message", message(msgNew, 0, 0, format.IPv4, tupleAttr(ctaTupleOrig, "::1", "::2", 6, 1, 2), tupleAttr(ctaTupleReply, "::2", "::1", 6, 2, 1))},
		{"mark of two bytes", message(msgNew, 0, 0, format.IPv4, orig, reply, attr(ctaMark, be16(1)))},
		{"event time of four bytes", message(msgNew, 0, 0, format.IPv4, orig, reply, status, attr(ctaTimestampEvent, be32(1)))},
		{"ICMP fields of a TCP flow", message(msgNew, 0, 0, format.IPv4, orig, reply, attr(ctaTupleOrig|0x8000, attr(ctaTupleProto|0x8000, attr(ctaProtoICMPType, []byte{8}))))},
		{"protocols differ", message(msgNew, 0, 0, format.IPv4, orig, tupleAttr(ctaTupleReply, "10.0.0.2", "10.0.0.1", 17, 80, 40000))},
	} {
		var f format.Flow
		err := (&Decoder{}).Decode(c.msg, false, &f)
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: %v, want a *DecodeError", c.name, err)
		}
	}
	var f format.Flow
	exp := message(msgNew, 0, 0, format.IPv4, orig, reply)
	binary.NativeEndian.PutUint16(exp[4:], subsysExp<<8)
	if err := (&Decoder{}).Decode(exp, true, &f); err != ErrNotFlow {
		t.Errorf("an expectation's message: %v, want ErrNotFlow", err)
	}
}

func TestParseLabels(t *testing.T) {
	l, err := ParseLabels([]byte("# names\n0\tzero-label\n\n3 bit3-label\n7\tweb traffic \n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(Labels{"zero-label", "", "", "bit3-label", "", "", "", "web traffic"}, l); d != "" {
		t.Error(d)
	}
	for _, bad := range []string{"x name\n", "5\n", "1024 big\n"} {
		if _, err := ParseLabels([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	msg := message(msgNew, 0, 0, format.IPv4, orig, reply, status,
		attr(ctaCountersOrig|0x8000, attr(ctaCountersPackets, be64(6)), attr(ctaCountersBytes, be64(400))),
		attr(ctaCountersReply|0x8000, attr(ctaCountersPackets, be64(6)), attr(ctaCountersBytes, be64(4000))),
		attr(ctaProtoinfo|0x8000, attr(ctaProtoinfoTCP|0x8000, attr(ctaProtoinfoState, []byte{3}))),
		attr(ctaTimeout, be32(431999)), attr(ctaMark, be32(0)), attr(ctaUse, be32(1)), attr(ctaID, be32(99)),
		attr(ctaTimestamp|0x8000, attr(ctaTimestampStart, be64(1_800_000_000_000_000_000))))
	d := Decoder{Now: time.Unix(1_800_000_100, 0)}
	var f format.Flow
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(msg, false, &f); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecodeZeroAlloc pins what BenchmarkDecode shows: decoding into the
// same Flow allocates nothing, strings included, when they are unchanged.
func TestDecodeZeroAlloc(t *testing.T) {
	labelBits := make([]byte, 16)
	labelBits[0] = 1 << 7
	msg := message(msgNew, 0, 7, format.IPv6, tupleAttr(ctaTupleOrig, "2001:db8::1", "::1", 6, 1, 2), tupleAttr(ctaTupleReply, "::1", "2001:db8::1", 6, 2, 1), status,
		attr(ctaHelp|0x8000, attr(ctaHelpName, []byte("ftp\x00"))), attr(ctaLabels, labelBits),
		attr(ctaSecctx|0x8000, attr(ctaSecctxName, []byte("system_u:object_r:unlabeled_t:s0\x00"))),
		attr(ctaProtoinfo|0x8000, attr(ctaProtoinfoTCP|0x8000, attr(ctaProtoinfoState, []byte{3}))))
	d := Decoder{Labels: Labels{7: "web traffic"}, Now: time.Unix(1_800_000_100, 0)}
	var f format.Flow
	if err := d.Decode(msg, true, &f); err != nil {
		t.Fatal(err)
	}
	if f.Helper != "ftp" || f.Labels != "web traffic" || f.Secctx == "" {
		t.Fatalf("decoded %+v", f)
	}
	if n := testing.AllocsPerRun(100, func() { d.Decode(msg, true, &f) }); n != 0 {
		t.Errorf("%v allocations a message, want 0", n)
	}
}
