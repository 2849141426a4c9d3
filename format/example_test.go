package format_test

import (
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/ctconv/ctconv/format"
)

func ExampleDialect_Parse() {
	line := "ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=51000 dport=443 packets=5 bytes=420 src=203.0.113.5 dst=198.51.100.1 sport=443 dport=61000 packets=4 bytes=3001 [ASSURED] mark=0 zone=0 delta-time=12 use=2"
	var f format.Flow
	if err := (format.Dialect{Format: format.Proc}).Parse([]byte(line), &f); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Proto, f.Proto.StateName(f.State), f.Orig.Src, "->", f.Orig.Dst, "NAT'd to", f.Reply.Dst)
	fmt.Println("assured:", f.Status&format.StatusAssured != 0, "reply bytes:", f.ReplyCounters.Bytes)
	// Output:
	// tcp ESTABLISHED 192.168.1.10 -> 203.0.113.5 NAT'd to 198.51.100.1
	// assured: true reply bytes: 3001
}

func ExampleDialect_Append() {
	line := "ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 packets=1 bytes=60 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 packets=0 bytes=0 mark=0 zone=0 delta-time=0 use=2"
	var f format.Flow
	if err := (format.Dialect{Format: format.Proc}).Parse([]byte(line), &f); err != nil {
		fmt.Println(err)
		return
	}
	out, err := format.Dialect{Format: format.IPLegacy}.Append(nil, &f)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// udp      17 29 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 packets=1 bytes=60 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 packets=0 bytes=0 mark=0 use=2
}

func ExampleScanner() {
	table := `ipv4     2 icmp     1 29 src=127.0.0.1 dst=127.0.0.1 type=8 code=0 id=48879 packets=1 bytes=84 src=127.0.0.1 dst=127.0.0.1 type=0 code=0 id=48879 packets=1 bytes=84 mark=0 zone=0 delta-time=0 use=2
ipv4     2 tcp      6 70000 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=1 dport=65536 src=127.0.0.1 dst=127.0.0.1 sport=65536 dport=1 mark=0 zone=0 use=2
ipv6     10 udp      17 28 src=0000:0000:0000:0000:0000:0000:0000:0001 dst=0000:0000:0000:0000:0000:0000:0000:0001 sport=40564 dport=53 src=0000:0000:0000:0000:0000:0000:0000:0001 dst=0000:0000:0000:0000:0000:0000:0000:0001 sport=53 dport=40564 mark=0 zone=0 use=2
`
	sc, err := format.NewScanner(strings.NewReader(table), format.Dialect{Format: format.Auto},
		format.WithName("nf_conntrack"),
		format.WithSkip(func(e *format.ParseError) { fmt.Fprintln(os.Stdout, "skipped:", e) }))
	if err != nil {
		fmt.Println(err)
		return
	}
	var f format.Flow // reused: scanning allocates nothing per line
	for sc.Scan(&f) {
		fmt.Println(f.Family, f.Proto, f.Orig.Dst, f.Orig.DstPort)
	}
	fmt.Println("format:", sc.Dialect().Format, "skipped:", sc.Skipped(), "err:", sc.Err())
	// Output:
	// ipv4 icmp 127.0.0.1 0
	// skipped: nf_conntrack:2:83: original dport: 65536 is out of range (want 0 to 65535)
	// ipv6 udp ::1 53
	// format: proc skipped: 1 err: <nil>
}

func ExampleParseError_Underline() {
	var f format.Flow
	err := format.Dialect{Format: format.IPLegacy}.Parse([]byte("tcp      6 117 SYN_SENT src= dst= sport=50291 dport=25"), &f)
	if pe, ok := err.(*format.ParseError); ok {
		fmt.Println(pe)
		fmt.Println(pe.Underline())
	}
	// Output:
	// 25: original src: empty value after src=
	// tcp      6 117 SYN_SENT src= dst= sport=50291 dport=25
	//                         ^^^^
}

func ExampleProto_Flow() {
	// A flow built by hand: Flow sets the family, the reply tuple and the
	// fields TCP needs; the state and timeout are the caller's.
	f := format.TCP.Flow(format.Tuple{
		Src: netip.MustParseAddr("192.168.1.10"), Dst: netip.MustParseAddr("203.0.113.5"),
		SrcPort: 51000, DstPort: 443,
	})
	f.State, f.Timeout = format.TCPEstablished, 431999
	f.Reply.Dst = netip.MustParseAddr("198.51.100.1") // masqueraded
	for _, fm := range []format.Format{format.Proc, format.Conntrack} {
		line, err := format.Dialect{Format: fm}.Append(nil, &f)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Print(string(line))
	}
	// A flow without its ports is refused, not printed without them.
	f.Fields &^= format.FieldL4
	if _, err := (format.Dialect{Format: format.Conntrack}).Append(nil, &f); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=51000 dport=443 src=203.0.113.5 dst=198.51.100.1 sport=443 dport=51000 use=2
	// tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=51000 dport=443 src=203.0.113.5 dst=198.51.100.1 sport=443 dport=51000
	// cannot print as conntrack: the flow has no ports (FieldL4: its source did not print them), which conntrack always prints for tcp
}
