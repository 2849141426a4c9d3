package lab

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// Entry is the argument list of one conntrack -I command.
type Entry []string

var (
	tcpStates  = []string{"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2"}
	sctpStates = []string{"CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED", "SHUTDOWN_SENT", "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT"}
	statuses   = []string{"", "SEEN_REPLY", "ASSURED", "SEEN_REPLY,ASSURED"}
)

// Fixed returns the entries of the committed corpus: every protocol, every
// TCP and SCTP state conntrack can set, NAT'd reply tuples, marks, the three
// kinds of zone, boundary values and the IPv6 address forms.
func Fixed() []Entry {
	var es []Entry
	add := func(args ...string) { es = append(es, Entry(args)) }
	for i, st := range tcpStates {
		add("-p", "tcp", "-s", "10.0.0.1", "-d", "10.0.0.2", "--sport", strconv.Itoa(40000+i), "--dport", "80",
			"--state", st, "-t", strconv.Itoa(100+i), "-u", orUnset(statuses[i%len(statuses)]), "-m", strconv.Itoa(i))
	}
	for i, st := range sctpStates {
		add("-p", "sctp", "-s", "10.0.1.1", "-d", "10.0.1.2", "--sport", strconv.Itoa(5000+i), "--dport", "2905",
			"--state", st, "--orig-vtag", strconv.Itoa(i+1), "--reply-vtag", strconv.Itoa(1000+i), "-t", "300")
	}
	// NAT: the reply tuple does not mirror the original.
	add("-p", "tcp", "-s", "192.168.1.10", "-d", "203.0.113.5", "--sport", "51000", "--dport", "443",
		"-r", "203.0.113.5", "-q", "198.51.100.1", "--reply-port-src", "443", "--reply-port-dst", "61000",
		"--state", "ESTABLISHED", "-u", "SEEN_REPLY,ASSURED", "-t", "431999", "-m", "4294967295")
	add("-p", "udp", "-s", "10.0.0.1", "-d", "10.0.0.53", "--sport", "5353", "--dport", "53",
		"-r", "192.168.1.10", "-q", "10.0.0.1", "--reply-port-src", "8053", "--reply-port-dst", "5353", "-t", "30", "-m", "2147483648")
	add("-p", "udp", "-s", "0.0.0.0", "-d", "255.255.255.255", "--sport", "0", "--dport", "65535", "-t", "1")
	add("-p", "udp", "-s", "10.0.0.1", "-d", "10.0.0.54", "--sport", "5354", "--dport", "53", "-u", "ASSURED", "-t", "25")
	add("-p", "udplite", "-s", "10.0.0.1", "-d", "10.0.0.2", "--sport", "7000", "--dport", "7001", "-t", "60", "-u", "SEEN_REPLY")
	add("-p", "udplite", "-s", "2001:db8::1", "-d", "2001:db8::2", "--sport", "7000", "--dport", "7001", "-t", "60")
	add("-p", "icmp", "-s", "10.0.0.1", "-d", "10.0.0.2", "--icmp-type", "8", "--icmp-code", "0", "--icmp-id", "4660", "-t", "30")
	add("-p", "icmp", "-s", "10.0.0.1", "-d", "10.0.0.2", "--icmp-type", "13", "--icmp-code", "0", "--icmp-id", "65535", "-t", "30", "-u", "SEEN_REPLY")
	add("-p", "icmpv6", "-s", "::1", "-d", "::ffff:192.0.2.1", "--icmpv6-type", "128", "--icmpv6-code", "0", "--icmpv6-id", "7", "-t", "25")
	add("-p", "gre", "-s", "10.0.0.1", "-d", "10.0.0.2", "--srckey", "0x1234", "--dstkey", "0xabcd", "-t", "94")
	add("-p", "gre", "-s", "10.0.0.3", "-d", "10.0.0.4", "--srckey", "0x0", "--dstkey", "0xffff", "-t", "94", "-u", "SEEN_REPLY,ASSURED")
	add("-p", "dccp", "-s", "10.0.0.1", "-d", "10.0.0.2", "--sport", "5001", "--dport", "5002", "--state", "OPEN", "--role", "client", "-t", "95")
	add("-p", "50", "-s", "10.0.0.1", "-d", "10.0.0.2", "-t", "591")
	add("-p", "253", "-s", "::1", "-d", "::2", "-t", "591", "-u", "SEEN_REPLY")
	// Zones: both directions, original only, reply only.
	add("-p", "tcp", "-s", "10.1.0.1", "-d", "10.1.0.2", "--sport", "1111", "--dport", "2222", "--state", "ESTABLISHED", "-t", "300", "-w", "5")
	add("-p", "tcp", "-s", "10.1.0.1", "-d", "10.1.0.2", "--sport", "1111", "--dport", "2223", "--state", "ESTABLISHED", "-t", "300", "--orig-zone", "8")
	add("-p", "tcp", "-s", "10.1.0.1", "-d", "10.1.0.2", "--sport", "1111", "--dport", "2224", "--state", "ESTABLISHED", "-t", "300", "--reply-zone", "65535")
	// IPv6 address forms.
	for i, pair := range [][2]string{
		{"::1", "::2"}, {"::ffff:1.2.3.4", "::1.2.3.4"}, {"fe80::1", "ff02::1:ff00:1"},
		{"2001:db8:0:1:1:1:1:1", "2001:db8::1:0:0:1"}, {"2001:0:0:1::1", "::"}, {"1::", "0:0:1::"},
	} {
		add("-p", "tcp", "-s", pair[0], "-d", pair[1], "--sport", strconv.Itoa(50000+i), "--dport", "22",
			"--state", "ESTABLISHED", "-u", "SEEN_REPLY,ASSURED", "-t", "600")
	}
	return es
}

// Random returns n entries of random protocols, families, states, tuples,
// marks, zones and flags, each with a distinct original tuple.
func Random(r *rand.Rand, n int) []Entry {
	es := make([]Entry, 0, n)
	for i := range n {
		v6 := r.IntN(3) == 0
		addr := func() string {
			if v6 {
				return fmt.Sprintf("2001:db8:%x::%x", r.IntN(4), r.IntN(65536))
			}
			return fmt.Sprintf("10.%d.%d.%d", r.IntN(4), r.IntN(256), 1+r.IntN(254))
		}
		src, dst := addr(), addr()
		e := Entry{"-s", src, "-d", dst}
		port := strconv.Itoa(1024 + i) // distinct tuples
		nat := r.IntN(4) == 0
		if nat {
			e = append(e, "-r", addr(), "-q", src)
		}
		switch r.IntN(9) {
		case 0, 1:
			e = append(e, "-p", "tcp", "--sport", port, "--dport", strconv.Itoa(r.IntN(65536)),
				"--state", tcpStates[r.IntN(len(tcpStates))])
			if nat {
				e = append(e, "--reply-port-src", strconv.Itoa(r.IntN(65536)), "--reply-port-dst", port)
			}
		case 2, 3:
			proto := []string{"udp", "udplite"}[r.IntN(2)]
			e = append(e, "-p", proto, "--sport", port, "--dport", strconv.Itoa(r.IntN(65536)))
			if nat {
				e = append(e, "--reply-port-src", strconv.Itoa(r.IntN(65536)), "--reply-port-dst", port)
			}
		case 4:
			if v6 {
				e = append(e, "-p", "icmpv6", "--icmpv6-type", "128", "--icmpv6-code", "0", "--icmpv6-id", port)
			} else {
				e = append(e, "-p", "icmp", "--icmp-type", "8", "--icmp-code", "0", "--icmp-id", port)
			}
		case 5:
			e = append(e, "-p", "sctp", "--sport", port, "--dport", strconv.Itoa(r.IntN(65536)),
				"--state", sctpStates[r.IntN(len(sctpStates))], "--orig-vtag", strconv.Itoa(r.IntN(1<<31)),
				"--reply-vtag", strconv.Itoa(r.IntN(1<<31)))
			if nat {
				e = append(e, "--reply-port-src", strconv.Itoa(r.IntN(65536)), "--reply-port-dst", port)
			}
		case 6:
			e = append(e, "-p", "gre", "--srckey", fmt.Sprintf("%#x", 1024+i), "--dstkey", fmt.Sprintf("%#x", r.IntN(65536)))
			if nat {
				e = append(e, "--reply-key-src", fmt.Sprintf("%#x", r.IntN(65536)), "--reply-key-dst", fmt.Sprintf("%#x", 1024+i))
			}
		case 7:
			// Linux 6.17 and later track DCCP without its tracker, by the
			// addresses alone: the source is made distinct, as below.
			distinctSource(e, v6, i)
			e = append(e, "-p", "dccp", "--sport", port, "--dport", "5001", "--state", "OPEN", "--role", "client")
			if nat {
				e = append(e, "--reply-port-src", "5001", "--reply-port-dst", port)
			}
		default:
			// A protocol without a tracker: only the addresses tell flows
			// apart, so the source is made distinct.
			distinctSource(e, v6, i)
			e = append(e, "-p", strconv.Itoa([]int{50, 51, 103, 200, 253}[r.IntN(5)]))
		}
		e = append(e, "-t", strconv.Itoa(60+r.IntN(432000)))
		if st := statuses[r.IntN(len(statuses))]; st != "" {
			e = append(e, "-u", st)
		}
		if r.IntN(2) == 0 {
			e = append(e, "-m", strconv.FormatUint(uint64(r.Uint32()), 10))
		}
		switch r.IntN(6) {
		case 0:
			e = append(e, "-w", strconv.Itoa(r.IntN(65536)))
		case 1:
			e = append(e, "--orig-zone", strconv.Itoa(r.IntN(65536)))
		case 2:
			e = append(e, "--reply-zone", strconv.Itoa(r.IntN(65536)))
		}
		es = append(es, e)
	}
	return es
}

// distinctSource gives entry i of Random a source address of its own.
func distinctSource(e Entry, v6 bool, i int) {
	if v6 {
		e[1] = fmt.Sprintf("2001:db8:ff::%x", i)
	} else {
		e[1] = fmt.Sprintf("10.255.%d.%d", i>>8&255, i&255)
	}
}

// kind is a protocol with one of its states, as conntrack -I takes them.
type kind struct {
	proto string
	args  []string // the protocol's options but ports, and the state
	v4    bool     // the kind exists in IPv4
	v6    bool     // and in IPv6
}

// kinds are every protocol and state conntrack -I can make: TCP's and
// SCTP's states, DCCP (which Linux 6.17 and later track without its
// tracker), GRE, ICMP and ICMPv6 requests, and protocols of no tracker.
func kinds() []kind {
	var ks []kind
	for _, st := range tcpStates {
		ks = append(ks, kind{"tcp", []string{"--state", st}, true, true})
	}
	for _, st := range sctpStates {
		ks = append(ks, kind{"sctp", []string{"--state", st}, true, true})
	}
	for _, p := range []string{"udp", "udplite", "gre", "50", "200"} {
		ks = append(ks, kind{p, nil, true, true})
	}
	return append(ks,
		kind{"dccp", []string{"--state", "OPEN", "--role", "client"}, true, true},
		kind{"icmp", []string{"--icmp-type", "8", "--icmp-code", "0"}, true, false},
		kind{"icmp", []string{"--icmp-type", "13", "--icmp-code", "0"}, true, false},
		kind{"icmpv6", []string{"--icmpv6-type", "128", "--icmpv6-code", "0"}, false, true},
	)
}

// labelNames are label names of connlabels, the names New gives bits,
// without a space (conntrack -R splits its lines at spaces).
var labelNames = []string{"zero-label", "bit3-label"}

// The dimensions of a shape besides its kind and family.
const (
	nats   = 4 // none, a reply tuple that differs (-r/-q), DNAT (-g), SNAT (-n)
	zones  = 4 // none, both directions (-w), original (--orig-zone), reply (--reply-zone)
	extras = 3 // none, a mark, a mark and labels
	stats  = 5
)

var shapeStatus = [stats]string{"", "SEEN_REPLY", "ASSURED", "SEEN_REPLY,ASSURED", "SEEN_REPLY,ASSURED,FIXED_TIMEOUT"}

// Shapes returns entries of every shape conntrack -I makes: each kind of
// kinds in each family it has, with each kind of NAT, of zone, of mark
// and labels, and each status, in every pairing of the kind and family
// with another dimension. Every entry has addresses of its own, so that
// no two clash however the kernel keys them.
func Shapes() []Entry {
	r := rand.New(rand.NewPCG(14, 1))
	var es []Entry
	b := 0
	for _, k := range kinds() {
		for _, v6 := range []bool{false, true} {
			if v6 && !k.v6 || !v6 && !k.v4 {
				continue
			}
			for j := range max(nats, zones, extras, stats) {
				es = append(es, shape(r, len(es), k, v6, j%nats, (j+b)%zones, (j+b)%extras, shapeStatus[(j+b)%stats]))
			}
			b++
		}
	}
	return es
}

// RandomShapes returns n entries of random shapes, as Shapes makes them.
func RandomShapes(r *rand.Rand, n int) []Entry {
	ks := kinds()
	es := make([]Entry, 0, n)
	for i := range n {
		k := ks[r.IntN(len(ks))]
		v6 := k.v6 && (!k.v4 || r.IntN(2) == 0)
		es = append(es, shape(r, i, k, v6, r.IntN(nats), r.IntN(zones), r.IntN(extras), shapeStatus[r.IntN(stats)]))
	}
	return es
}

// shape returns entry i of kind k with the NAT, zone and extras given, its
// values (ports, keys, zone, mark, labels, timeout) drawn from r.
func shape(r *rand.Rand, i int, k kind, v6 bool, nat, zone, extra int, status string) Entry {
	addr := func(net int) string {
		if v6 {
			return fmt.Sprintf("2001:db8:%x::%x:%x", net, i>>16, i&0xffff)
		}
		return fmt.Sprintf("10.%d.%d.%d", 100+net, i>>8&255, i&255)
	}
	// The reply's addresses come before -p: conntrack 1.4.7 sends no
	// reply ICMP part (and the kernel refuses the entry) for -r after -p icmp.
	e := Entry{"-s", addr(0), "-d", addr(1)}
	switch nat {
	case 1:
		e = append(e, "-r", addr(2), "-q", addr(0))
	case 2:
		e = append(e, "-g", addr(3))
	case 3:
		e = append(e, "-n", addr(4))
	}
	e = append(e, "-p", k.proto)
	sport, dport := strconv.Itoa(1+r.IntN(65535)), strconv.Itoa(1+r.IntN(65535))
	switch k.proto {
	case "tcp", "udp", "udplite", "sctp", "dccp":
		e = append(e, "--sport", sport, "--dport", dport)
	case "gre":
		e = append(e, "--srckey", sport, "--dstkey", dport)
	case "icmp":
		e = append(e, "--icmp-id", sport)
	case "icmpv6":
		e = append(e, "--icmpv6-id", sport)
	}
	e = append(e, k.args...)
	if k.proto == "sctp" {
		e = append(e, "--orig-vtag", strconv.FormatUint(uint64(r.Uint32()), 10), "--reply-vtag", strconv.FormatUint(uint64(r.Uint32()), 10))
	}
	if nat == 1 {
		switch k.proto {
		case "tcp", "udp", "udplite", "sctp", "dccp":
			e = append(e, "--reply-port-src", strconv.Itoa(1+r.IntN(65535)), "--reply-port-dst", sport)
		case "gre":
			e = append(e, "--reply-key-src", strconv.Itoa(1+r.IntN(65535)), "--reply-key-dst", sport)
		}
	}
	z := strconv.Itoa(1 + r.IntN(65535))
	switch zone {
	case 1:
		e = append(e, "-w", z)
	case 2:
		e = append(e, "--orig-zone", z)
	case 3:
		e = append(e, "--reply-zone", z)
	}
	if extra > 0 {
		e = append(e, "-m", strconv.FormatUint(uint64(r.Uint32()), 10))
	}
	if extra > 1 {
		e = append(e, "--label-add", labelNames[r.IntN(len(labelNames))])
		if r.IntN(2) == 0 {
			e[len(e)-1] = labelNames[0] + "," + labelNames[1]
		}
	}
	e = append(e, "-t", strconv.Itoa(600+r.IntN(432000)))
	if status != "" {
		e = append(e, "-u", status)
	}
	return e
}

func orUnset(s string) string {
	if s == "" {
		return "UNSET"
	}
	return s
}
