package format_test

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/ctconv/ctconv/format"
)

func ExampleDialect_Parse() {
	line := "ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=51000 dport=443 packets=5 bytes=420 src=203.0.113.5 dst=198.51.100.1 sport=443 dport=61000 packets=4 bytes=3001 [ASSURED] mark=0 zone=0 delta-time=12 use=2"
	var f format.Flow
	if err := new(format.Dialect{Format: format.Proc}).Parse([]byte(line), &f); err != nil {
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
	if err := new(format.Dialect{Format: format.Proc}).Parse([]byte(line), &f); err != nil {
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

const table = `ipv6     10 tcp      6 598 ESTABLISHED src=0000:0000:0000:0000:0000:0000:0000:0001 dst=0000:0000:0000:0000:0000:0000:0000:0002 sport=50000 dport=22 src=0000:0000:0000:0000:0000:0000:0000:0002 dst=0000:0000:0000:0000:0000:0000:0000:0001 sport=22 dport=50000 [ASSURED] mark=0 zone=0 use=2
ipv4     2 tcp      6 431997 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=51000 dport=443 src=203.0.113.5 dst=198.51.100.1 sport=443 dport=61000 [ASSURED] mark=0 zone=0 use=2
ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 mark=0 zone=0 use=2
ipv4     2 tcp      6 117 SYN_SENT src=192.168.1.10 dst=203.0.113.9 sport=51002 dport=443 [UNREPLIED] src=203.0.113.9 dst=192.168.1.10 sport=443 dport=51002 mark=0 zone=0 use=2
`

// Example converts a table of /proc/net/nf_conntrack into conntrack -L's
// text, as conntrack would have printed the same flows.
func Example() {
	sc, err := format.NewScanner(strings.NewReader(table), format.Dialect{Format: format.Auto})
	if err != nil {
		fmt.Println(err)
		return
	}
	w := format.NewWriter(os.Stdout, format.Dialect{Format: format.Conntrack})
	for f, err := range sc.Flows() {
		if err != nil {
			fmt.Println(err) // a *ParseError says which line, and where in it
			return
		}
		if err := w.Write(f); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}
	// Output:
	// tcp      6 598 ESTABLISHED src=::1 dst=::2 sport=50000 dport=22 src=::2 dst=::1 sport=22 dport=50000 [ASSURED] mark=0 use=2
	// tcp      6 431997 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=51000 dport=443 src=203.0.113.5 dst=198.51.100.1 sport=443 dport=61000 [ASSURED] mark=0 use=2
	// udp      17 29 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 mark=0 use=2
	// tcp      6 117 SYN_SENT src=192.168.1.10 dst=203.0.113.9 sport=51002 dport=443 [UNREPLIED] src=203.0.113.9 dst=192.168.1.10 sport=443 dport=51002 mark=0 use=2
}

// Example_topPorts counts a table's flows by protocol and destination port,
// the busiest first. The enumerations print themselves, as map keys too.
func Example_topPorts() {
	type service struct {
		Proto format.Proto
		Port  uint16
	}
	count := map[service]int{}
	sc, err := format.NewScanner(strings.NewReader(table), format.Dialect{Format: format.Proc})
	if err != nil {
		fmt.Println(err)
		return
	}
	for f, err := range sc.Flows() {
		if err != nil {
			fmt.Println(err)
			return
		}
		count[service{f.Proto, f.Orig.DstPort}]++
	}
	top := slices.SortedFunc(maps.Keys(count), func(a, b service) int {
		return cmp.Or(count[b]-count[a], cmp.Compare(a.Port, b.Port))
	})
	for _, s := range top {
		fmt.Printf("%v/%d: %d\n", s.Proto, s.Port, count[s])
	}
	// Output:
	// tcp/443: 2
	// tcp/22: 1
	// udp/53: 1
}

// Example_nat selects the established TCP flows whose reply does not
// mirror their original tuple, which NAT rewrote, and prints each as
// conntrack -L does.
func Example_nat() {
	established := format.Filter{Proto: new(format.TCP), State: new(format.TCPEstablished)}
	sc, err := format.NewScanner(strings.NewReader(table), format.Dialect{Format: format.Proc})
	if err != nil {
		fmt.Println(err)
		return
	}
	for f, err := range sc.Flows() {
		if err != nil {
			fmt.Println(err)
			return
		}
		if established.Match(f) && f.Reply != f.Mirror() {
			fmt.Println(f)
			fmt.Println("  seen from outside as", f.Reply.DstAddrPort())
		}
	}
	// Output:
	// tcp      6 431997 ESTABLISHED src=192.168.1.10 dst=203.0.113.5 sport=51000 dport=443 src=203.0.113.5 dst=198.51.100.1 sport=443 dport=61000 [ASSURED] mark=0 use=2
	//   seen from outside as 198.51.100.1:61000
}

// ExampleScanner reads a capture with a bad line, reports the line and goes
// on, and learns the capture's Dialect.
func ExampleScanner() {
	capture := `tcp      6 117 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=1 mark=0 use=1
tcp      6 117 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=2 dport=65536 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=65536 dport=2 mark=0 use=1
udp      17 29 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 mark=0 use=1
`
	sc, err := format.NewScanner(strings.NewReader(capture), format.Dialect{Format: format.Auto}, format.WithName("capture.txt"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for f, err := range sc.Flows() {
		if err != nil {
			fmt.Println("skipped:", err)
			continue
		}
		fmt.Println(f.Proto, f.Orig.DstAddrPort())
	}
	fmt.Println("format:", sc.Dialect().Format, "bad lines:", sc.Skipped())
	// Output:
	// tcp 10.0.0.2:80
	// skipped: capture.txt:2:65: original dport: 65536 is out of range (want 0 to 65535)
	// udp 10.0.0.53:53
	// format: conntrack bad lines: 1
}

// EachFlow counts a table on every core: each worker adds the flows it
// parsed to a count of its own, which the loop adds up once the input ends.
func ExampleScanner_EachFlow() {
	capture := strings.Repeat(`tcp      6 117 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=1 mark=0 use=1
udp      17 29 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 mark=0 use=1
`, 5000) + "not a flow\n"
	sc, err := format.NewScanner(strings.NewReader(capture), format.Dialect{Format: format.Auto}, format.WithWorkers(4))
	if err != nil {
		fmt.Println(err)
		return
	}
	// A worker's count, alone in its cache line.
	type count struct {
		tcp, udp int
		_        [48]byte
	}
	counts := make([]count, sc.Workers())
	for err := range sc.EachFlow(func(w int, flows []format.Flow) {
		for i := range flows {
			switch flows[i].Proto {
			case format.TCP:
				counts[w].tcp++
			case format.UDP:
				counts[w].udp++
			}
		}
	}) {
		fmt.Println("skipped:", err)
	}
	var total count
	for _, c := range counts {
		total.tcp += c.tcp
		total.udp += c.udp
	}
	fmt.Println("tcp", total.tcp, "udp", total.udp)
	// Output:
	// skipped: 10001:1: protocol: unknown protocol name "not" (a protocol without a name is printed as "unknown")
	// tcp 5000 udp 5000
}

// FlowsAhead hands the flows out in order, each with what work made of
// its batch on the core that parsed it: here, the flows' keys, which the
// loop uses as it meets each flow, as a join would.
func ExampleFlowsAhead() {
	capture := strings.Repeat(`tcp      6 117 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=1 mark=0 use=1
udp      17 29 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 mark=0 use=1
`, 5000)
	sc, err := format.NewScanner(strings.NewReader(capture), format.Dialect{Format: format.Auto}, format.WithWorkers(4))
	if err != nil {
		fmt.Println(err)
		return
	}
	seen := map[string]int{}
	for a, err := range format.FlowsAhead(sc, func(w int, flows []format.Flow, keys *[]string) {
		*keys = (*keys)[:0]
		for i := range flows {
			f := &flows[i]
			*keys = append(*keys, fmt.Sprintf("%v %v:%d", f.Proto, f.Orig.Dst, f.Orig.DstPort))
		}
	}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		seen[(*a.Made)[a.Index]]++
	}
	fmt.Println(seen)
	// Output: map[tcp 10.0.0.2:80:5000 udp 10.0.0.53:53:5000]
}

func ExampleParseError_Underline() {
	var f format.Flow
	err := new(format.Dialect{Format: format.IPLegacy}).Parse([]byte("tcp      6 117 SYN_SENT src= dst= sport=50291 dport=25"), &f)
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
