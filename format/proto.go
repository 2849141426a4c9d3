package format

// Family is a flow's layer-3 protocol family, numbered as the kernel numbers
// it (AF_INET, AF_INET6).
type Family uint8

// The families a flow can have.
const (
	IPv4 Family = 2
	IPv6 Family = 10
)

// Proto is a layer-4 protocol number, as assigned by IANA. Every number is
// valid; the ones below are those the kernel and conntrack-tools name.
type Proto uint8

// The layer-4 protocols that have names and a tracker of their own.
const (
	ICMP    Proto = 1
	TCP     Proto = 6
	UDP     Proto = 17
	DCCP    Proto = 33
	GRE     Proto = 47
	ICMPv6  Proto = 58
	SCTP    Proto = 132
	UDPLite Proto = 136
)

// Flow returns a flow of protocol p whose original tuple is orig, with
// what every listing of such a flow has: the family of orig's addresses,
// the reply tuple the kernel makes without NAT (Flow.Mirror), a timeout,
// and for a protocol that has them, the layer-4 part (FieldL4: orig's
// ports, GRE keys or ICMP type, code and id) and the state, NONE. Set
// Timeout, State and the other fields to what the flow is; a printer
// refuses a flow that lacks what its format prints (a *printError).
func (p Proto) Flow(orig Tuple) Flow {
	f := Flow{Fields: FieldTimeout, Family: IPv6, Proto: p, Orig: orig}
	if orig.Src.Is4() {
		f.Family = IPv4
	}
	if p.Layer4() != L4None {
		f.Fields |= FieldL4
	}
	if p.HasStates() {
		f.Fields |= FieldState
	}
	f.Reply = f.Mirror()
	return f
}

// Layer4 says what a tuple holds after its addresses.
type Layer4 uint8

// The kinds of layer-4 part.
const (
	L4None  Layer4 = iota // nothing
	L4Ports               // ports, as sport= dport=: TCP, UDP, UDP-Lite, SCTP, DCCP
	L4Keys                // GRE keys, as srckey=0x.. dstkey=0x..
	L4ICMP                // ICMP or ICMPv6 type, code and id, as type= code= id=
)

// Layer4 returns the kind of layer-4 part p's tuples have.
func (p Proto) Layer4() Layer4 {
	switch p {
	case TCP, UDP, UDPLite, SCTP, DCCP:
		return L4Ports
	case GRE:
		return L4Keys
	case ICMP, ICMPv6:
		return L4ICMP
	}
	return L4None
}

// protoByName returns the protocol whose name is b, if any.
func protoByName(b []byte) (Proto, bool) {
	switch string(b) {
	case "icmp":
		return ICMP, true
	case "tcp":
		return TCP, true
	case "udp":
		return UDP, true
	case "dccp":
		return DCCP, true
	case "gre":
		return GRE, true
	case "icmpv6":
		return ICMPv6, true
	case "sctp":
		return SCTP, true
	case "udplite":
		return UDPLite, true
	}
	return 0, false
}
