package format

import (
	"bytes"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// This file reads and prints conntrack -o save: the conntrack -I command
// lines that re-create the entries ("-A -t 3586 -u SEEN_REPLY,ASSURED -s
// 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p tcp --sport 40000 ...").
// conntrack 1.4.7 prints each option only when the kernel sent its
// attribute, and never the mark, labels, counters or helper.

// saveStatus are the status bits -u lists, in bit order.
var saveStatus = [...]struct {
	name string
	bit  Status
}{{"EXPECTED", StatusExpected}, {"SEEN_REPLY", StatusSeenReply}, {"ASSURED", StatusAssured}, {"FIXED_TIMEOUT", StatusFixedTimeout}}

// saveStates returns conntrack-tools' own state names of p: its TCP table
// ends with SYN_SENT2, its SCTP table lacks the heartbeat states, which it
// prints as "(null)".
func saveStates(p Proto) []string {
	if p == SCTP {
		return sctpStates[:SCTPHeartbeatSent]
	}
	return stateNames(p)
}

// word returns the next space-delimited token and moves past it and the
// space after it.
func (c *cursor) word() []byte {
	start := c.pos
	end := c.tokenEnd(start)
	c.pos = end
	if c.pos < len(c.line) {
		c.pos++
	}
	return c.line[start:end]
}

// flag reports whether the option name is next and, if so, moves past it.
func (c *cursor) flag(name string) bool {
	rest := c.line[c.pos:]
	if len(rest) >= len(name) && string(rest[:len(name)]) == name && (len(rest) == len(name) || rest[len(name)] == ' ') {
		c.pos += len(name)
		if c.pos < len(c.line) {
			c.pos++
		}
		return true
	}
	return false
}

// arg returns the argument of the option just matched.
func (c *cursor) arg(name string) ([]byte, int, error) {
	at := c.pos
	v := c.word()
	if len(v) == 0 {
		return nil, at, c.errAt(at, at, name, ErrMissing, "no value after "+name)
	}
	return v, at, nil
}

func (c *cursor) argUint(name string, max uint64) (uint64, error) {
	v, at, err := c.arg(name)
	if err != nil {
		return 0, err
	}
	n, e := parseUint(v, max)
	if e != numOK {
		return 0, c.numErr(v, at, name, e, false, "0 to "+itoa(max))
	}
	return n, nil
}

func (p *parser) argAddr(f *Flow, name string) (netip.Addr, error) {
	v, at, err := p.arg(name)
	if err != nil {
		return netip.Addr{}, err
	}
	if !p.family {
		if bytes.IndexByte(v, ':') >= 0 {
			f.Family = IPv6
		}
		p.family = true
	}
	var a netip.Addr
	var ok bool
	if f.Family == IPv4 {
		a, ok = parseIPv4(v)
	} else {
		a, ok = parseIPv6Glibc(v)
	}
	if !ok {
		return a, p.errAt(at, at+len(v), name, ErrAddress, "malformed "+f.Family.name()+" address "+quote(v)+" (want the form conntrack prints)")
	}
	return a, nil
}

// parseSave parses one line of conntrack -o save, or of the input of
// conntrack -R (restore).
func (p *parser) parseSave(f *Flow, restore bool) error {
	f.Family, p.family = IPv4, false // until an address says otherwise
	switch {
	case restore:
		if !p.flag("-I") {
			return p.errAt(0, p.tokenEnd(0), "", ErrSyntax, "expected -I, found "+quote(p.line[:p.tokenEnd(0)]))
		}
	case p.flag("-A"):
	case p.flag("-U"):
		f.Event = EventUpdate
	case p.flag("-D"):
		f.Event = EventDestroy
	default:
		return p.errAt(0, p.tokenEnd(0), "", ErrSyntax, "expected -A, -U or -D, found "+quote(p.line[:p.tokenEnd(0)]))
	}
	var n uint64
	var err error
	if p.flag("-t") {
		if n, err = p.argUint("-t", math.MaxUint32); err != nil {
			return err
		}
		f.Timeout, f.Fields = int64(n), f.Fields|FieldTimeout
	} else if restore {
		return p.saveExpected("-t") // conntrack -I needs it
	}
	f.Fields &^= FieldStatus
	f.Status = 0
	if p.flag("-u") {
		at := p.pos
		if err := p.saveStatus(f); err != nil {
			return err
		}
		if restore && f.Status&StatusExpected != 0 {
			return p.errAt(at, at+len("EXPECTED"), "-u", ErrRange, "the kernel refuses to create an entry with EXPECTED (EBUSY): only its helper makes one")
		}
	}
	if at := p.pos; p.flag("-c") {
		if restore {
			return p.errAt(at, at+len("-c"), "-c", ErrSyntax, "conntrack -I takes no secmark (\"Illegal option `--secmark' with this command\")")
		}
		if n, err = p.argUint("-c", math.MaxUint32); err != nil {
			return err
		}
		f.Secmark, f.Fields = uint32(n), f.Fields|FieldSecmark
	}
	for _, z := range [...]struct {
		name  string
		field Fields
		dst   *uint16
	}{{"-w", FieldZone, &f.Zone}, {"--orig-zone", FieldOrigZone, &f.OrigZone}, {"--reply-zone", FieldReplyZone, &f.ReplyZone}} {
		if p.flag(z.name) {
			at := p.pos
			if n, err = p.argUint(z.name, math.MaxUint16); err != nil {
				return err
			}
			if n == 0 {
				return p.errAt(at, p.pos, z.name, ErrRange, "zone 0, the default, which conntrack -o save leaves out (want 1 to 65535)")
			}
			*z.dst, f.Fields = uint16(n), f.Fields|z.field
		}
	}
	for _, a := range [...]struct {
		name, nat string
		dst       *netip.Addr
		bit       Status
	}{{"-s", "", &f.Orig.Src, 0}, {"-d", "", &f.Orig.Dst, 0}, {"-r", "-g", &f.Reply.Src, StatusDstNAT}, {"-q", "-n", &f.Reply.Dst, StatusSrcNAT}} {
		name := a.name
		switch {
		case p.flag(a.name):
		case a.nat != "" && p.flag(a.nat):
			// -g and -n stand for -r and -q in entries that are NAT'd.
			name = a.nat
			f.Status |= a.bit
		default:
			return p.saveExpected(a.name)
		}
		if *a.dst, err = p.argAddr(f, name); err != nil {
			return err
		}
	}
	if !p.flag("-p") {
		return p.saveExpected("-p")
	}
	v, at, err := p.arg("-p")
	if err != nil {
		return err
	}
	if pn, ok := protoByName(v); ok {
		f.Proto = pn
	} else if n, e := parseUint(v, math.MaxUint8); e == numOK && !Proto(n).Named() {
		f.Proto = Proto(n)
	} else {
		return p.errAt(at, at+len(v), "-p", ErrUnknownName, "unknown protocol "+quote(v)+" (conntrack prints a name for the protocols it knows, a number for the others)")
	}
	if err := p.saveProto(f, restore); err != nil {
		return err
	}
	if restore {
		if err := p.restoreExtras(f); err != nil {
			return err
		}
	} else if p.pos < len(p.line) && kUserspace.match(p.line[p.pos:]) {
		f.Fields |= FieldUserspace
		if err := p.userspace(f); err != nil {
			return err
		}
	}
	if p.pos != len(p.line) {
		end := p.tokenEnd(p.pos)
		return p.errAt(p.pos, end, "", ErrSyntax, "unexpected "+quote(p.line[p.pos:end]))
	}
	if p.line[len(p.line)-1] == ' ' {
		return p.errAt(len(p.line)-1, len(p.line), "", ErrSyntax, "trailing space at the end of the line")
	}
	return nil
}

// restoreExtras parses what a restore line has beyond -o save's: the mark
// and the labels (conntrack -I takes --label-add, not -l).
func (p *parser) restoreExtras(f *Flow) error {
	if p.flag("-m") {
		n, err := p.argUint("-m", math.MaxUint32)
		if err != nil {
			return err
		}
		f.Mark, f.Fields = uint32(n), f.Fields|FieldMark
	}
	if p.flag("--label-add") {
		v, at, err := p.arg("--label-add")
		if err != nil {
			return err
		}
		if err := p.text(v, at, "--label-add"); err != nil {
			return err
		}
		f.Labels, f.Fields = p.intern(v), f.Fields|FieldLabels
		if r := labelsProblem(f.Labels); r != "" {
			return p.errAt(at, at+len(v), "--label-add", ErrSyntax, r)
		}
		p.opts |= OptLabels // so that the line prints back with them
	}
	return nil
}

func (p *parser) saveExpected(name string) error {
	if p.pos == len(p.line) {
		return p.errAt(p.pos, p.pos, name, ErrMissing, "line ends where "+name+" was expected (truncated line?)")
	}
	end := p.tokenEnd(p.pos)
	return p.errAt(p.pos, end, name, ErrSyntax, "expected "+name+", found "+quote(p.line[p.pos:end]))
}

// saveStatus parses -u's list: UNSET, or names of status bits in bit order.
func (p *parser) saveStatus(f *Flow) error {
	v, at, err := p.arg("-u")
	if err != nil {
		return err
	}
	f.Fields |= FieldStatus
	f.Status |= StatusConfirmed
	if string(v) == "UNSET" {
		return nil
	}
	next := 0
	for more := true; more; {
		var name []byte
		name, v, more = bytes.Cut(v, []byte(","))
		i := next
		for i < len(saveStatus) && saveStatus[i].name != string(name) {
			i++
		}
		if i == len(saveStatus) {
			return p.errAt(at, at+len(name), "-u", ErrUnknownName, "unknown or repeated status "+quote(name)+" (want UNSET, or EXPECTED, SEEN_REPLY, ASSURED, FIXED_TIMEOUT in that order)")
		}
		f.Status |= saveStatus[i].bit
		next = i + 1
		at += len(name) + 1
	}
	return nil
}

// saveProto parses the options of the flow's protocol; restore lines have
// what conntrack -I needs.
func (p *parser) saveProto(f *Flow, restore bool) error {
	var v [4]uint64
	var err error
	switch f.Proto.Layer4() {
	case L4Ports:
		if !p.flag("--sport") {
			if f.Proto == DCCP && !restore {
				// conntrack prints no ports for DCCP on kernels without
				// its tracker; conntrack -I needs them, and a state and
				// role.
				f.Quirks |= QuirkUnknownName
				return p.restoreState(f, restore)
			}
			return p.saveExpected("--sport")
		}
		for i, name := range [...]string{"--sport", "--dport", "--reply-port-src", "--reply-port-dst"} {
			if i > 0 && !p.flag(name) {
				return p.saveExpected(name)
			}
			if v[i], err = p.argUint(name, math.MaxUint16); err != nil {
				return err
			}
		}
		f.Orig.SrcPort, f.Orig.DstPort, f.Reply.SrcPort, f.Reply.DstPort = uint16(v[0]), uint16(v[1]), uint16(v[2]), uint16(v[3])
		f.Fields |= FieldL4
		if err := p.restoreState(f, restore); err != nil {
			return err
		}
		if f.Proto == SCTP && p.flag("--orig-vtag") {
			o, err := p.argUint("--orig-vtag", math.MaxUint32)
			if err != nil {
				return err
			}
			if !p.flag("--reply-vtag") {
				return p.saveExpected("--reply-vtag")
			}
			r, err := p.argUint("--reply-vtag", math.MaxUint32)
			if err != nil {
				return err
			}
			f.OrigVtag, f.ReplyVtag, f.Fields = uint32(o), uint32(r), f.Fields|FieldVtags
		} else if f.Proto == SCTP && restore {
			return p.saveExpected("--orig-vtag") // conntrack -I needs them
		}
	case L4Keys:
		for i, name := range [...]string{"--srckey", "--dstkey", "--reply-key-src", "--reply-key-dst"} {
			if !p.flag(name) {
				return p.saveExpected(name)
			}
			if v[i], err = p.argUint(name, math.MaxUint16); err != nil {
				return err
			}
		}
		f.Orig.SrcPort, f.Orig.DstPort, f.Reply.SrcPort, f.Reply.DstPort = uint16(v[0]), uint16(v[1]), uint16(v[2]), uint16(v[3])
		f.Fields |= FieldL4
	case L4ICMP:
		names := icmpOptions[0]
		if f.Proto == ICMPv6 {
			names = icmpOptions[1]
		}
		typeAt := 0
		for i, name := range names {
			if !p.flag(name) {
				return p.saveExpected(name)
			}
			max := uint64(math.MaxUint8)
			if i == 2 {
				max = math.MaxUint16
			}
			if i == 0 {
				typeAt = p.pos
			}
			if v[i], err = p.argUint(name, max); err != nil {
				return err
			}
		}
		// conntrack prints the original tuple's ICMP fields only; the
		// kernel makes the reply's from them.
		reply, ok := icmpReply(f.Proto, uint8(v[0]))
		if !ok {
			return p.errAt(typeAt, typeAt+len(itoa(v[0])), names[0], ErrRange, "the kernel tracks no "+f.Proto.name()+" type "+itoa(v[0])+" (only requests and replies: "+icmpTypes(f.Proto)+")")
		}
		f.Orig.Type, f.Orig.Code, f.Orig.ID = uint8(v[0]), uint8(v[1]), uint16(v[2])
		f.Reply.Type, f.Reply.Code, f.Reply.ID = reply, uint8(v[1]), uint16(v[2])
		f.Fields |= FieldL4
	}
	return nil
}

// restoreState parses the state of a protocol that has states: in a
// restore line, it must be there, and DCCP's role after it.
func (p *parser) restoreState(f *Flow, restore bool) error {
	if !f.Proto.HasStates() {
		return nil
	}
	if p.flag("--state") {
		if err := p.saveState(f); err != nil {
			return err
		}
	} else if restore {
		return p.saveExpected("--state") // conntrack -I needs it
	}
	if restore && f.Proto == DCCP && !p.flag("--role client") {
		return p.saveExpected("--role client")
	}
	return nil
}

func (p *parser) saveState(f *Flow) error {
	v, at, err := p.arg("--state")
	if err != nil {
		return err
	}
	if string(v) == "(null)" && f.Proto == SCTP {
		f.Quirks |= QuirkNullState // a heartbeat state, but which is not told
		return nil
	}
	for i, n := range saveStates(f.Proto) {
		if n == string(v) {
			f.State, f.Fields = State(i), f.Fields|FieldState
			return nil
		}
	}
	return p.errAt(at, at+len(v), "--state", ErrUnknownName, "unknown "+f.Proto.name()+" state "+quote(v))
}

// offloadTimeout returns the timeout to restore an offloaded flow with,
// whose timeout /proc does not show: the default timeout of an
// established flow, which the kernel gives a flow that leaves the flow
// table (TCP's established, UDP's stream timeout). Flow tables hold TCP
// and UDP flows only.
func offloadTimeout(f *Flow) (uint64, bool) {
	if f.Status&(StatusOffload|StatusHWOffload) == 0 {
		return 0, false
	}
	switch f.Proto {
	case TCP:
		return 432000, true // nf_conntrack_tcp_timeout_established
	case UDP, UDPLite:
		return 120, true // nf_conntrack_udp_timeout_stream
	}
	return 0, false
}

// icmpOptions are the options of ICMP's and ICMPv6's type, code and id.
var icmpOptions = [2][3]string{{"--icmp-type", "--icmp-code", "--icmp-id"}, {"--icmpv6-type", "--icmpv6-code", "--icmpv6-id"}}

// icmpReply returns the ICMP or ICMPv6 type of the reply to type t, as the
// kernel's trackers invert it, and whether the kernel tracks t at all (it
// refuses entries of other types).
func icmpReply(p Proto, t uint8) (uint8, bool) {
	if p == ICMPv6 {
		switch t {
		case 128, 139: // echo request, node information query
			return t + 1, true
		case 129, 140:
			return t - 1, true
		}
		return 0, false
	}
	switch t {
	case 8: // echo request
		return 0, true
	case 0:
		return 8, true
	case 13, 15, 17: // timestamp, information, address mask requests
		return t + 1, true
	case 14, 16, 18:
		return t - 1, true
	}
	return 0, false
}

// icmpTypes lists the types of p the kernel tracks, for messages.
func icmpTypes(p Proto) string {
	var b []byte
	for t := range 256 {
		if _, ok := icmpReply(p, uint8(t)); ok {
			if len(b) > 0 {
				b = append(b, ", "...)
			}
			b = strconv.AppendUint(b, uint64(t), 10)
		}
	}
	return string(b)
}

// appendSave appends f as a line of conntrack -o save, or of the input of
// conntrack -R (fm Restore). A restore line holds only what conntrack -I
// and the kernel take from user space, so that a whole file loads: not the
// secmark (conntrack -I refuses --secmark), not EXPECTED (the kernel
// refuses it with EBUSY), and the labels only with OptLabels (conntrack
// 1.4.7 crashes on a file of two lines or more with --label-add).
func appendSave(dst []byte, f *Flow, fm Format, o Options, loc *time.Location) ([]byte, error) {
	start := len(dst)
	if err := xmlPrintable(fm, f); err != nil {
		return dst, err
	}
	// DCCP without ports is printed as conntrack prints it (Linux 6.17 and
	// later track DCCP generically); any other flow needs its layer-4 part.
	if !f.Has(FieldL4) && f.Proto.Layer4() != L4None && f.Proto != DCCP {
		needs := "this format needs"
		if fm == Restore {
			needs = "conntrack -I needs"
		}
		return dst, &printError{Format: fm, Msg: missingL4(f) + ", which " + needs}
	}
	if f.Has(FieldL4) && f.Proto.Layer4() == L4ICMP {
		if _, ok := icmpReply(f.Proto, f.Orig.Type); !ok {
			return dst, &printError{Format: fm, Msg: "the kernel tracks no " + f.Proto.name() + " type " + itoa(uint64(f.Orig.Type)) + ", and this format prints the original's type alone"}
		}
	}
	restore := fm == Restore
	timeout, hasTimeout := uint64(f.Timeout), f.Has(FieldTimeout)
	if restore && !hasTimeout {
		timeout, hasTimeout = offloadTimeout(f)
	}
	switch {
	case restore && !hasTimeout:
		return dst, &printError{Format: fm, Msg: "the flow has no timeout (it is offloaded, or it ended), which conntrack -I needs"}
	case restore && o&OptLabels != 0 && f.Has(FieldLabels) && strings.IndexByte(f.Labels, ' ') >= 0:
		return dst, &printError{Format: fm, Msg: "a label's name has a space, which conntrack -R cannot read: " + quote(f.Labels)}
	}
	switch {
	case restore:
		dst = append(dst, "-I "...)
	case f.Event == EventUpdate:
		dst = append(dst, "-U "...)
	case f.Event == EventDestroy:
		dst = append(dst, "-D "...)
	default:
		dst = append(dst, "-A "...)
	}
	if hasTimeout {
		dst = appendKey(dst, "-t ", timeout)
	}
	if f.Has(FieldStatus) {
		dst = append(dst, "-u "...)
		n := 0
		for _, s := range saveStatus {
			if f.Status&s.bit != 0 && !(restore && s.bit == StatusExpected) {
				if n > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, s.name...)
				n++
			}
		}
		if n == 0 {
			dst = append(dst, "UNSET"...)
		}
		dst = append(dst, ' ')
	}
	if f.Has(FieldSecmark) && !restore {
		dst = appendKey(dst, "-c ", uint64(f.Secmark))
	}
	if f.Has(FieldZone) && f.Zone != 0 {
		dst = appendKey(dst, "-w ", uint64(f.Zone))
	}
	if f.Has(FieldOrigZone) && f.OrigZone != 0 {
		dst = appendKey(dst, "--orig-zone ", uint64(f.OrigZone))
	}
	if f.Has(FieldReplyZone) && f.ReplyZone != 0 {
		dst = appendKey(dst, "--reply-zone ", uint64(f.ReplyZone))
	}
	r, q := "-r ", "-q "
	if f.Status&StatusDstNAT != 0 {
		r = "-g "
	}
	if f.Status&StatusSrcNAT != 0 {
		q = "-n "
	}
	for _, a := range [...]struct {
		opt  string
		addr netip.Addr
	}{{"-s ", f.Orig.Src}, {"-d ", f.Orig.Dst}, {r, f.Reply.Src}, {q, f.Reply.Dst}} {
		dst = append(dst, a.opt...)
		dst = appendLibAddr(dst, a.addr)
		dst = append(dst, ' ')
	}
	dst = append(dst, "-p "...)
	if f.Proto.Named() {
		dst = append(dst, f.Proto.name()...)
	} else {
		dst = appendUint(dst, uint64(f.Proto))
	}
	dst = append(dst, ' ')
	if f.Has(FieldL4) {
		switch f.Proto.Layer4() {
		case L4Ports:
			dst = appendKey(dst, "--sport ", uint64(f.Orig.SrcPort))
			dst = appendKey(dst, "--dport ", uint64(f.Orig.DstPort))
			dst = appendKey(dst, "--reply-port-src ", uint64(f.Reply.SrcPort))
			dst = appendKey(dst, "--reply-port-dst ", uint64(f.Reply.DstPort))
		case L4Keys:
			dst = appendKey(dst, "--srckey ", uint64(f.Orig.SrcPort))
			dst = appendKey(dst, "--dstkey ", uint64(f.Orig.DstPort))
			dst = appendKey(dst, "--reply-key-src ", uint64(f.Reply.SrcPort))
			dst = appendKey(dst, "--reply-key-dst ", uint64(f.Reply.DstPort))
		case L4ICMP:
			names := icmpOptions[0]
			if f.Proto == ICMPv6 {
				names = icmpOptions[1]
			}
			for i, n := range [3]uint64{uint64(f.Orig.Type), uint64(f.Orig.Code), uint64(f.Orig.ID)} {
				dst = append(dst, names[i]...)
				dst = appendKey(dst, " ", n)
			}
		}
	} else if restore && f.Proto == DCCP {
		// conntrack -I needs ports, which a kernel without the DCCP
		// tracker ignores.
		dst = append(dst, "--sport 0 --dport 0 --reply-port-src 0 --reply-port-dst 0 "...)
	}
	if f.Proto.HasStates() && f.Proto.Layer4() == L4Ports {
		switch names := saveStates(f.Proto); {
		case f.Has(FieldState) && int(f.State) < len(names):
			dst = append(dst, "--state "...)
			dst = append(dst, names[f.State]...)
			dst = append(dst, ' ')
		case !restore && (f.Has(FieldState) || f.Quirks&QuirkNullState != 0):
			dst = append(dst, "--state (null) "...)
		case restore && f.Proto == SCTP && (f.Has(FieldState) || f.Quirks&QuirkNullState != 0):
			// A heartbeat state, which conntrack -I has no name for; Linux
			// 6.3 and later end it in ESTABLISHED, as the heartbeat's ack
			// does.
			dst = append(dst, "--state ESTABLISHED "...)
		case restore && f.Proto == DCCP:
			// Linux 6.17 and later track DCCP without its state, which
			// conntrack -I needs all the same: any state does.
			dst = append(dst, "--state OPEN "...)
		case restore && f.Proto == TCP && f.Status&(StatusOffload|StatusHWOffload) != 0:
			// /proc shows no state of an offloaded flow, which is
			// established: a flow table takes no other.
			dst = append(dst, "--state ESTABLISHED "...)
		case restore:
			return dst[:start], &printError{Format: fm, Msg: "the flow has no " + f.Proto.name() + " state that conntrack -I can set"}
		}
		if restore && f.Proto == DCCP {
			dst = append(dst, "--role client "...) // which no format shows
		}
	}
	switch {
	case f.Has(FieldVtags) && f.Proto == SCTP:
		dst = appendKey(dst, "--orig-vtag ", uint64(f.OrigVtag))
		dst = appendKey(dst, "--reply-vtag ", uint64(f.ReplyVtag))
	case restore && f.Proto == SCTP && f.Has(FieldL4):
		// conntrack -I needs them, and only -o save shows them.
		dst = append(dst, "--orig-vtag 0 --reply-vtag 0 "...)
	}
	switch {
	case restore:
		if f.Has(FieldMark) {
			dst = appendKey(dst, "-m ", uint64(f.Mark))
		}
		if f.Has(FieldLabels) && f.Labels != "" && o&OptLabels != 0 {
			dst = append(dst, "--label-add "...)
			dst = append(dst, f.Labels...)
			dst = append(dst, ' ')
		}
	case f.Has(FieldUserspace):
		dst = appendLib(dst, f, SlotUserspace, o, loc)
	}
	return append(dst[:len(dst)-1], '\n'), nil
}
