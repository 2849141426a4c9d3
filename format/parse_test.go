package format_test

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
)

var cmpOpts = []cmp.Option{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b format.Extras) bool { return cmp.Equal(extrasList(a), extrasList(b)) }),
}

type extra struct {
	Slot format.Slot
	Tok  string
}

func extrasList(e format.Extras) []extra {
	var l []extra
	for s, tok := range e.All() {
		l = append(l, extra{s, tok})
	}
	return l
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

const seen = format.StatusConfirmed | format.StatusSeenReply

func TestParse(t *testing.T) {
	for _, c := range []struct {
		name string
		f    format.Format
		line string
		want format.Flow
	}{{
		name: "tcp",
		f:    format.Proc,
		line: "ipv4     2 tcp      6 119 TIME_WAIT src=127.0.0.1 dst=127.0.0.2 sport=51256 dport=8080 packets=6 bytes=398 src=127.0.0.2 dst=127.0.0.1 sport=8080 dport=51256 packets=5 bytes=3859 [ASSURED] mark=7 zone=0 delta-time=3 use=2",
		want: format.Flow{
			Fields: format.FieldTimeout | format.FieldState | format.FieldL4 | format.FieldOrigCounters | format.FieldReplyCounters |
				format.FieldStatus | format.FieldMark | format.FieldZone | format.FieldDeltaTime | format.FieldUse,
			Family: format.IPv4, Proto: format.TCP, Timeout: 119, State: format.TCPTimeWait,
			Orig:         format.Tuple{Src: ip("127.0.0.1"), Dst: ip("127.0.0.2"), SrcPort: 51256, DstPort: 8080},
			Reply:        format.Tuple{Src: ip("127.0.0.2"), Dst: ip("127.0.0.1"), SrcPort: 8080, DstPort: 51256},
			OrigCounters: format.Counters{Packets: 6, Bytes: 398}, ReplyCounters: format.Counters{Packets: 5, Bytes: 3859},
			Status: seen | format.StatusAssured, Mark: 7, DeltaTime: 3, Use: 2,
		},
	}, {
		name: "icmpv6 unreplied",
		f:    format.Proc,
		line: "ipv6     10 icmpv6   58 29 src=0000:0000:0000:0000:0000:0000:0000:0001 dst=0000:0000:0000:0000:0000:ffff:c000:0201 type=128 code=0 id=4660 [UNREPLIED] src=0000:0000:0000:0000:0000:ffff:c000:0201 dst=0000:0000:0000:0000:0000:0000:0000:0001 type=129 code=0 id=4660 mark=0 zone=0 use=2",
		want: format.Flow{
			Fields: format.FieldTimeout | format.FieldL4 | format.FieldStatus | format.FieldMark | format.FieldZone | format.FieldUse,
			Family: format.IPv6, Proto: format.ICMPv6, Timeout: 29,
			Orig:   format.Tuple{Src: ip("::1"), Dst: ip("::ffff:192.0.2.1"), Type: 128, ID: 4660},
			Reply:  format.Tuple{Src: ip("::ffff:192.0.2.1"), Dst: ip("::1"), Type: 129, ID: 4660},
			Status: format.StatusConfirmed, Use: 2,
		},
	}, {
		name: "gre",
		f:    format.Proc,
		line: "ipv4     2 gre      47 94 timeout=30, stream_timeout=180 src=10.0.0.1 dst=10.0.0.2 srckey=0x1234 dstkey=0xabcd src=10.0.0.2 dst=10.0.0.1 srckey=0xabcd dstkey=0x1234 [ASSURED] use=2",
		want: format.Flow{
			Fields: format.FieldTimeout | format.FieldGRETimeouts | format.FieldL4 | format.FieldStatus | format.FieldUse,
			Family: format.IPv4, Proto: format.GRE, Timeout: 94, GRETimeout: 30, GREStreamTimeout: 180,
			Orig:   format.Tuple{Src: ip("10.0.0.1"), Dst: ip("10.0.0.2"), SrcPort: 0x1234, DstPort: 0xabcd},
			Reply:  format.Tuple{Src: ip("10.0.0.2"), Dst: ip("10.0.0.1"), SrcPort: 0xabcd, DstPort: 0x1234},
			Status: seen | format.StatusAssured, Use: 2,
		},
	}, {
		name: "dccp without tracker",
		f:    format.Proc,
		line: "ipv4     2 unknown  33 99 src=10.0.0.1 dst=10.0.0.2 zone-orig=4 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 mark=0 use=2",
		want: format.Flow{
			Fields: format.FieldTimeout | format.FieldOrigZone | format.FieldStatus | format.FieldMark | format.FieldUse,
			Quirks: format.QuirkUnknownName, Family: format.IPv4, Proto: format.DCCP, Timeout: 99,
			Orig:   format.Tuple{Src: ip("10.0.0.1"), Dst: ip("10.0.0.2")},
			Reply:  format.Tuple{Src: ip("10.0.0.2"), Dst: ip("10.0.0.1")},
			Status: format.StatusConfirmed, OrigZone: 4, Use: 2,
		},
	}, {
		name: "hardware offload",
		f:    format.Proc,
		line: "ipv4     2 tcp      6 src=1.1.1.17 dst=1.1.1.16 sport=56394 dport=5001 src=1.1.1.16 dst=1.1.1.17 sport=5001 dport=56394 [HW_OFFLOAD] mark=0 zone=0 use=3",
		want: format.Flow{
			Fields: format.FieldL4 | format.FieldStatus | format.FieldMark | format.FieldZone | format.FieldUse,
			Family: format.IPv4, Proto: format.TCP,
			Orig:   format.Tuple{Src: ip("1.1.1.17"), Dst: ip("1.1.1.16"), SrcPort: 56394, DstPort: 5001},
			Reply:  format.Tuple{Src: ip("1.1.1.16"), Dst: ip("1.1.1.17"), SrcPort: 5001, DstPort: 56394},
			Status: seen | format.StatusOffload | format.StatusHWOffload, Use: 3,
		},
	}, {
		name: "software offload",
		f:    format.Proc,
		line: "ipv4     2 udp      17 src=10.0.0.1 dst=10.0.0.2 sport=5000 dport=53 packets=10 bytes=800 src=10.0.0.2 dst=10.0.0.1 sport=53 dport=5000 packets=9 bytes=1200 [OFFLOAD] mark=0 zone=0 delta-time=40 use=2",
		want: format.Flow{
			Fields: format.FieldL4 | format.FieldOrigCounters | format.FieldReplyCounters | format.FieldStatus |
				format.FieldMark | format.FieldZone | format.FieldDeltaTime | format.FieldUse,
			Family: format.IPv4, Proto: format.UDP,
			Orig:         format.Tuple{Src: ip("10.0.0.1"), Dst: ip("10.0.0.2"), SrcPort: 5000, DstPort: 53},
			Reply:        format.Tuple{Src: ip("10.0.0.2"), Dst: ip("10.0.0.1"), SrcPort: 53, DstPort: 5000},
			OrigCounters: format.Counters{Packets: 10, Bytes: 800}, ReplyCounters: format.Counters{Packets: 9, Bytes: 1200},
			Status: seen | format.StatusOffload, DeltaTime: 40, Use: 2,
		},
	}, {
		name: "vendor fields",
		f:    format.Proc,
		line: "ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 l7proto=dns src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [NFP (both)] mark=0 hwid=3 zone=0 use=2",
		want: format.Flow{
			Fields: format.FieldTimeout | format.FieldL4 | format.FieldStatus | format.FieldMark | format.FieldZone | format.FieldUse,
			Family: format.IPv4, Proto: format.UDP, Timeout: 29,
			Orig:   format.Tuple{Src: ip("10.0.0.1"), Dst: ip("10.0.0.2"), SrcPort: 1, DstPort: 2},
			Reply:  format.Tuple{Src: ip("10.0.0.2"), Dst: ip("10.0.0.1"), SrcPort: 2, DstPort: 1},
			Status: seen, Use: 2,
			Extras: format.Extras{}.Add(format.SlotOrig, "l7proto=dns").Add(format.SlotReply, "[NFP (both)]").Add(format.SlotMark, "hwid=3"),
		},
	}, {
		name: "late 2.4",
		f:    format.IPLegacy,
		line: "tcp      6 431999 ESTABLISHED src=10.0.0.2 dst=10.0.0.1 sport=1026 dport=22 packets=12 bytes=1420 src=10.0.0.1 dst=10.0.0.2 sport=22 dport=1026 packets=10 bytes=2310 [ASSURED] use=1 mark=-2 ",
		want: format.Flow{
			Fields: format.FieldTimeout | format.FieldState | format.FieldL4 | format.FieldOrigCounters | format.FieldReplyCounters |
				format.FieldStatus | format.FieldMark | format.FieldUse,
			Quirks: format.QuirkTrailingSpace | format.QuirkUseBeforeMark | format.QuirkSignedMark,
			Family: format.IPv4, Proto: format.TCP, Timeout: 431999, State: format.TCPEstablished,
			Orig:         format.Tuple{Src: ip("10.0.0.2"), Dst: ip("10.0.0.1"), SrcPort: 1026, DstPort: 22},
			Reply:        format.Tuple{Src: ip("10.0.0.1"), Dst: ip("10.0.0.2"), SrcPort: 22, DstPort: 1026},
			OrigCounters: format.Counters{Packets: 12, Bytes: 1420}, ReplyCounters: format.Counters{Packets: 10, Bytes: 2310},
			Status: seen | format.StatusAssured, Mark: 0xfffffffe, Use: 1,
		},
	}, {
		name: "2.4.0 unconfirmed listen",
		f:    format.IPLegacy,
		line: "tcp      6 9 LISTEN src=10.0.0.2 dst=10.0.0.1 sport=1025 dport=80 [UNREPLIED] src=10.0.0.1 dst=10.0.0.2 sport=80 dport=1025 [UNCONFIRMED] use=1 ",
		want: format.Flow{
			Fields: format.FieldTimeout | format.FieldState | format.FieldL4 | format.FieldStatus | format.FieldUse,
			Quirks: format.QuirkTrailingSpace | format.QuirkListen,
			Family: format.IPv4, Proto: format.TCP, Timeout: 9, State: format.TCPSynSent2,
			Orig:  format.Tuple{Src: ip("10.0.0.2"), Dst: ip("10.0.0.1"), SrcPort: 1025, DstPort: 80},
			Reply: format.Tuple{Src: ip("10.0.0.1"), Dst: ip("10.0.0.2"), SrcPort: 80, DstPort: 1025},
			Use:   1,
		},
	}} {
		t.Run(c.name, func(t *testing.T) {
			var got format.Flow
			if err := new(format.Dialect{Format: c.f}).Parse([]byte(c.line), &got); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.want, got, cmpOpts...); d != "" {
				t.Errorf("parse (-want +got):\n%s", d)
			}
			out, err := format.Dialect{Format: c.f}.Append(nil, &c.want)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.line+"\n" {
				t.Errorf("print:\n got: %q\nwant: %q", out, c.line)
			}
		})
	}
}

// TestParseReuse checks that parsing into a used Flow gives the same result
// as parsing into a new one: nothing of the previous line survives.
func TestParseReuse(t *testing.T) {
	lines := []string{
		"ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 hwid=1 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=5 secctx=system_u:object_r:unlabeled_t:s0 zone=3 delta-time=9 use=2",
		"ipv6     10 unknown  50 9 src=0000:0000:0000:0000:0000:0000:0000:0001 dst=0000:0000:0000:0000:0000:0000:0000:0002 src=0000:0000:0000:0000:0000:0000:0000:0002 dst=0000:0000:0000:0000:0000:0000:0000:0001 use=2",
	}
	var reused format.Flow
	for range 2 {
		for _, l := range lines {
			var fresh format.Flow
			if err := new(format.Dialect{Format: format.Proc}).Parse([]byte(l), &fresh); err != nil {
				t.Fatal(err)
			}
			if err := new(format.Dialect{Format: format.Proc}).Parse([]byte(l), &reused); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(fresh, reused, cmpOpts...); d != "" {
				t.Errorf("reused flow differs (-fresh +reused):\n%s", d)
			}
		}
	}
}
