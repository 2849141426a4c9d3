package format

import (
	"bytes"
	"math"
	"math/bits"
	"net/netip"
	"strings"
)

// dialect describes one key=value line format.
type dialect struct {
	format Format
	l3     l3Mode            // whether lines start with the family's name and number
	v6     bool              // IPv6 flows exist
	lib    bool              // printed by libnetfilter_conntrack, not the kernel
	slots  uint32            // the elements the format prints, as bits 1<<Slot
	req    uint32            // the elements every line has
	old    bool              // 2.4 layouts: trailing space, use before mark, signed mark, [UNCONFIRMED]
	cache  bool              // conntrackd's caches: no family columns, events or timeout; the reply may be absent
	flags  uint8             // flag words: 1 [ASSURED], 2 also [OFFLOAD] and [HW_OFFLOAD]
	first  [256]uint32       // the elements whose key starts with each byte
	reach  [slotCount]uint32 // the elements that can follow each: up to the next required one
}

// l3Mode says whether a dialect's lines start with the family columns.
type l3Mode uint8

const (
	l3Never  l3Mode = iota // ip_conntrack
	l3Always               // nf_conntrack
	l3Maybe                // conntrack, with -o extended
)

// The differences between the kernel's printing and libnetfilter_conntrack's
// (conntrack -L and -E) that the dialects share:
//
//	                    kernel (proc, iplegacy)      library (conntrack)
//	IPv6 addresses      8 groups of 4 hex digits     glibc inet_ntop
//	timeout             %ld, always unless offloaded %u, when the kernel sent one
//	GRE private part    timeout=N, stream_timeout=N  none
//	layer-4 part        absent for "unknown"         always for named protocols
//	use=                always                       in dumps only

// init fills d's tables from d.slots.
func (d *dialect) init() *dialect {
	for s := Slot(1); s < slotCount; s++ {
		if d.has(s) {
			d.first[slotKeys[s].s[0]] |= 1 << s
		}
	}
	for cur := range slotCount {
		for s := cur + 1; s < slotCount; s++ {
			if d.has(s) {
				d.reach[cur] |= 1 << s
				if d.required(s) {
					break
				}
			}
		}
	}
	return d
}

func (d *dialect) has(s Slot) bool { return d.slots&(1<<s) != 0 }

func slotSet(ss ...Slot) uint32 {
	var m uint32
	for _, s := range ss {
		m |= 1 << s
	}
	return m
}

// slotKeys are the texts that start each element.
var slotKeys = [slotCount]*key{
	SlotHeader:        mkKey("\x00", "header"),
	SlotOrig:          kSrc,
	SlotOrigZone:      kZoneOrig,
	SlotOrigCounters:  kPackets,
	SlotUnreplied:     kUnreplied,
	SlotReply:         kSrc,
	SlotReplyZone:     kZoneReply,
	SlotReplyCounters: kPackets,
	SlotFlag:          kFlag,
	SlotUnconfirmed:   kUnconfirmed,
	SlotMark:          kMark,
	SlotSecmark:       kSecmark,
	SlotSecctx:        kSecctx,
	SlotZone:          kZone,
	SlotDeltaTime:     kDeltaTime,
	SlotStart:         kStart,
	SlotStop:          kStop,
	SlotHelper:        kHelper,
	SlotUse:           kUse,
	SlotID:            kID,
	SlotLabels:        kLabels,
	SlotUserspace:     kUserspace,
	SlotExpires:       kExpires,
	SlotActiveSince:   kActiveSince,
}

// slotFields are the fields each element sets, to tell a duplicate from a
// field out of order.
var slotFields = [slotCount]Fields{
	SlotOrigZone:      FieldOrigZone,
	SlotOrigCounters:  FieldOrigCounters,
	SlotReplyCounters: FieldReplyCounters,
	SlotReplyZone:     FieldReplyZone,
	SlotMark:          FieldMark,
	SlotSecmark:       FieldSecmark,
	SlotSecctx:        FieldSecctx,
	SlotZone:          FieldZone,
	SlotDeltaTime:     FieldDeltaTime,
	SlotStart:         FieldStart,
	SlotStop:          FieldStop,
	SlotHelper:        FieldHelper,
	SlotUse:           FieldUse,
	SlotID:            FieldID,
	SlotLabels:        FieldLabels,
	SlotUserspace:     FieldUserspace,
	SlotExpires:       FieldExpires,
	SlotActiveSince:   FieldActiveSince,
}

// required reports whether every line of the dialect has s.
func (d *dialect) required(s Slot) bool { return d.req&(1<<s) != 0 }

// name parses the name of a "%-8s %u " header pair, without its padding.
func (c *cursor) name(field string) ([]byte, error) {
	start := c.pos
	end := c.tokenEnd(start)
	if end == start {
		return nil, c.errAt(start, start+1, field, ErrSyntax, "expected a protocol name")
	}
	c.pos = end
	return c.line[start:end], nil
}

// num parses the padding and number of a "%-8s %u " header pair whose name
// is name.
func (c *cursor) num(name []byte, field string, maxNum uint64) (uint64, error) {
	pad := max(8-len(name), 0) + 1
	end, i := c.pos, c.pos
	for i < len(c.line) && c.line[i] == ' ' {
		i++
	}
	if i == len(c.line) {
		return 0, c.errAt(end, i, field, ErrMissing, "line ends after the name "+quote(name)+" (truncated line?)")
	}
	if i-end != pad {
		return 0, c.errAt(end, i, field, ErrSyntax, "expected "+itoa(uint64(pad))+" spaces after "+quote(name)+" (names are padded to 8 columns), found "+itoa(uint64(i-end)))
	}
	numEnd := c.tokenEnd(i)
	n, e := parseUint(c.line[i:numEnd], maxNum)
	if e != numOK {
		return 0, c.numErr(c.line[i:numEnd], i, field+" number", e, false, "0 to "+itoa(maxNum))
	}
	c.pos = numEnd
	return n, nil
}

// header parses everything before the original tuple: the family and
// protocol columns, the timeout and the protocol's private part.
func (p *parser) header(f *Flow) error {
	f.Family = IPv4
	if p.d.cache && (kIPv4Header.match(p.line) || kIPv6Header.match(p.line)) {
		return p.errAt(0, 4, "family", ErrSyntax, "conntrackd prints no family columns (conntrack's -o extended)")
	}
	if p.d.lib && !p.d.cache {
		if err := p.prefixes(f); err != nil {
			return err
		}
	}
	begin := p.pos
	// The common headers match whole; the rest, and errors, take the long way.
	fast := p.d.l3 != l3Always
	if p.d.l3 != l3Never && p.at(kIPv4Header) {
		fast = true
	} else if p.d.l3 != l3Never && p.d.v6 && p.at(kIPv6Header) {
		f.Family, fast = IPv6, true
	}
	if fast && p.pos < len(p.line) && p.line[p.pos] != ' ' {
		if h := protoHeader(p.line[p.pos:]); h != nil && p.at(h.k) && p.pos < len(p.line) && p.line[p.pos] != ' ' {
			if p.pos-begin > len(h.k.s) {
				p.family = true
				if p.d.l3 == l3Maybe {
					p.opts |= OptExtended
				}
			}
			f.Proto = h.p
			p.l4.kind, p.l4.opt = f.Proto.Layer4(), p.d.lib
			return p.private(f)
		}
	}
	p.pos, f.Family = begin, IPv4
	if p.d.l3 == l3Always || p.d.l3 == l3Maybe && p.extended() {
		if p.d.l3 == l3Maybe {
			p.opts |= OptExtended
		}
		p.family = true
		start := p.pos
		name, err := p.name("family")
		if err != nil {
			return err
		}
		switch string(name) {
		case "ipv4", "ipv6", "unknown":
		default:
			return p.errAt(start, start+len(name), "family", ErrUnknownName, "unknown layer-3 protocol name "+quote(name)+" (want ipv4 or ipv6)")
		}
		n, err := p.num(name, "family", math.MaxUint8)
		if err != nil {
			return err
		}
		if string(name) == "unknown" {
			return p.errAt(start, p.pos, "family", ErrUnknownName, "layer-3 protocol "+itoa(n)+" is not IPv4 or IPv6")
		}
		f.Family = Family(n)
		if f.Family.name() != string(name) {
			return p.errAt(start, p.pos, "family", ErrMismatch, "layer-3 protocol "+string(name)+" has number "+itoa(uint64(familyNumber(name)))+", not "+itoa(n))
		}
		if f.Family == IPv6 && !p.d.v6 {
			return p.errAt(start, p.pos, "family", ErrMismatch, "this format has IPv4 flows only")
		}
		if err := p.sep(&f.Quirks); err != nil {
			return err
		}
	}
	start := p.pos
	name, err := p.name("protocol")
	if err != nil {
		return err
	}
	pn, named := protoByName(name)
	if !named && string(name) != "unknown" {
		return p.errAt(start, start+len(name), "protocol", ErrUnknownName, "unknown protocol name "+quote(name)+" (a protocol without a name is printed as \"unknown\")")
	}
	n, err := p.num(name, "protocol", math.MaxUint8)
	if err != nil {
		return err
	}
	f.Proto = Proto(n)
	switch {
	case named && pn != f.Proto:
		return p.errAt(start, p.pos, "protocol", ErrMismatch, "protocol "+string(name)+" is number "+itoa(uint64(pn))+", not "+itoa(n))
	case !named && f.Proto.Named() && p.d.lib && (p.d.cache || !libUnnamed(f.Proto)):
		return p.errAt(start, p.pos, "protocol", ErrMismatch, "conntrack prints protocol "+itoa(n)+" as "+f.Proto.name()+", not unknown")
	case !named && f.Proto.Named() && p.d.lib:
		f.Quirks |= QuirkOldLibnfct
	case !named && f.Proto.Named():
		f.Quirks |= QuirkUnknownName
	}
	p.l4.kind = f.Proto.Layer4()
	if f.Quirks&QuirkOldLibnfct != 0 {
		p.l4.kind = L4None // the library printed nothing of a protocol it did not name
	}
	// The kernel leaves the layer-4 part out for a protocol it prints as
	// "unknown"; conntrack's is absent where its source lacked it (XML has no
	// ICMP fields).
	p.l4.opt = f.Quirks&QuirkUnknownName != 0 || p.d.lib
	if err := p.sep(&f.Quirks); err != nil {
		return err
	}
	return p.private(f)
}

// private parses the timeout and the protocol's private part.
func (p *parser) private(f *Flow) error {
	// Timeout: all digits, perhaps with a minus sign.
	if p.pos < len(p.line) && (p.line[p.pos] >= '0' && p.line[p.pos] <= '9' || p.line[p.pos] == '-') {
		end := p.tokenEnd(p.pos)
		v := p.line[p.pos:end]
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		if p.d.lib {
			lo, hi = 0, math.MaxUint32 // %u
		}
		t, e := parseInt(v, lo, hi)
		if e != numOK {
			return p.numErr(v, p.pos, "timeout", e, !p.d.lib, "seconds")
		}
		f.Timeout = t
		f.Fields |= FieldTimeout
		p.pos = end
		if err := p.sep(&f.Quirks); err != nil {
			return err
		}
	}

	// Private part: a state word, or GRE's timeouts.
	if f.Proto.HasStates() && f.Quirks&(QuirkUnknownName|QuirkOldLibnfct) == 0 && p.pos < len(p.line) && p.line[p.pos] >= 'A' && p.line[p.pos] <= 'Z' {
		end := p.tokenEnd(p.pos)
		word := p.line[p.pos:end]
		s, ok := parseState(f.Proto, word)
		if !ok {
			return p.errAt(p.pos, end, "state", ErrUnknownName, "unknown "+f.Proto.name()+" state "+quote(word))
		}
		if string(word) == "LISTEN" {
			f.Quirks |= QuirkListen
		}
		f.State = s
		f.Fields |= FieldState
		p.pos = end
		if err := p.sep(&f.Quirks); err != nil {
			return err
		}
	}
	if f.Proto == GRE && !p.d.lib && f.Quirks&QuirkUnknownName == 0 && p.pos < len(p.line) && kGRETimeout.match(p.line[p.pos:]) {
		v, at, err := p.value(kGRETimeout)
		if err != nil {
			return err
		}
		if v[len(v)-1] != ',' {
			return p.errAt(at+len(v), at+len(v), "gre timeout", ErrSyntax, "expected \",\" after the GRE timeout")
		}
		t, e := parseUint(v[:len(v)-1], math.MaxUint32)
		if e != numOK {
			return p.numErr(v[:len(v)-1], at, "gre timeout", e, false, "seconds")
		}
		if err := p.sep(&f.Quirks); err != nil {
			return err
		}
		st, err := p.uint(kStreamTimeout, math.MaxUint32)
		if err != nil {
			return err
		}
		f.GRETimeout, f.GREStreamTimeout = uint32(t), uint32(st)
		f.Fields |= FieldGRETimeouts
		if err := p.sep(&f.Quirks); err != nil {
			return err
		}
	}
	return nil
}

var (
	kIPv4Header = mkKey("ipv4     2 ", "family")
	kIPv6Header = mkKey("ipv6     10 ", "family")
)

// protoHeaders are the "%-8s %u " headers of the named protocols.
var protoHeaders = func() (hs [8]struct {
	k *key
	p Proto
}) {
	for i, p := range []Proto{TCP, UDP, ICMP, ICMPv6, UDPLite, SCTP, GRE, DCCP} {
		name := p.String()
		hs[i].k = mkKey(name+"         "[len(name):]+itoa(uint64(p))+" ", "protocol")
		hs[i].p = p
	}
	return hs
}()

// protoHeader returns the header of a named protocol that b may start with.
func protoHeader(b []byte) *struct {
	k *key
	p Proto
} {
	for i := range protoHeaders {
		if h := &protoHeaders[i]; h.k.s[0] == b[0] && h.k.match(b) {
			return h
		}
	}
	return nil
}

func familyNumber(name []byte) Family {
	if string(name) == "ipv6" {
		return IPv6
	}
	return IPv4
}

// body parses the elements from the original tuple on. Each token either
// starts the next element the dialect prints, or is unknown; an unknown
// token is kept in the extras at the slot of the element before it.
func (p *parser) body(f *Flow) error {
	cur := SlotHeader
	for p.pos < len(p.line) {
		s := p.next(cur)
		if s == 0 {
			if err := p.unknown(f, cur); err != nil {
				return err
			}
		} else {
			if err := p.elem(f, s); err != nil {
				return err
			}
			cur = s
		}
		if err := p.sep(&f.Quirks); err != nil {
			return err
		}
	}
	// The reply's counters are due where the original's were printed
	// (check): a line that ends before them was cut short.
	for s := cur + 1; s < slotCount; s++ {
		if p.d.has(s) && (p.d.required(s) || s == SlotReplyCounters && f.Has(FieldOrigCounters)) {
			return p.errAt(len(p.line), len(p.line), slotField(s), ErrMissing, "line ends where "+slotField(s)+" ("+slotKeys[s].s+"...) was expected (truncated line?)")
		}
	}
	return nil
}

// slotField names an element in error messages.
func slotField(s Slot) string {
	switch s {
	case SlotOrig:
		return "original tuple"
	case SlotReply:
		return "reply tuple"
	}
	return s.String()
}

// next returns the element after cur that starts at the cursor, or 0 when
// none does without passing an element every line has.
func (p *parser) next(cur Slot) Slot {
	rest := p.line[p.pos:]
	for m := p.d.first[rest[0]] & p.d.reach[cur]; m != 0; m &= m - 1 {
		s := Slot(bits.TrailingZeros32(m))
		if slotKeys[s].match(rest) && (s != SlotFlag || p.flagWord(rest) != 0) {
			return s
		}
	}
	return 0
}

// flagWord returns the status bits of the flag word at the start of rest, or
// 0 if there is none the dialect prints.
func (p *parser) flagWord(rest []byte) Status {
	end := bytes.IndexByte(rest, ' ')
	if end < 0 {
		end = len(rest)
	}
	switch string(rest[:end]) {
	case "[ASSURED]":
		return StatusAssured
	case "[OFFLOAD]":
		if p.d.flags > 1 {
			return StatusOffload
		}
	case "[HW_OFFLOAD]":
		if p.d.flags > 1 {
			return StatusOffload | StatusHWOffload
		}
	}
	return 0
}

// zone parses the zone key k at the cursor. conntrack prints no zone 0:
// the kernel sends no zone for the default one. A line with zone=0 is
// /proc's, and read as conntrack's it would print without it.
func (p *parser) zone(k *key) (uint16, error) {
	start := p.pos
	n, err := p.uint(k, math.MaxUint16)
	if err == nil && n == 0 && p.d.lib {
		err = p.errAt(start, p.pos, k.field, ErrRange, "conntrack prints no "+k.s+"0 (the default zone); /proc/net/nf_conntrack does")
	}
	return uint16(n), err
}

// elem parses element s at the cursor.
func (p *parser) elem(f *Flow, s Slot) error {
	var err error
	switch s {
	case SlotOrig:
		err = p.tuple(f, &f.Orig, "original")
	case SlotReply:
		err = p.tuple(f, &f.Reply, "reply")
	case SlotOrigZone:
		f.OrigZone, err = p.zone(kZoneOrig)
	case SlotReplyZone:
		f.ReplyZone, err = p.zone(kZoneReply)
	case SlotZone:
		f.Zone, err = p.zone(kZone)
	case SlotOrigCounters:
		err = p.counters(&f.OrigCounters, "original")
	case SlotReplyCounters:
		err = p.counters(&f.ReplyCounters, "reply")
	case SlotUnreplied:
		p.pos += len("[UNREPLIED]")
		f.Status &^= StatusSeenReply
	case SlotFlag:
		st := p.flagWord(p.line[p.pos:])
		p.pos = p.tokenEnd(p.pos)
		f.Status |= st
	case SlotUnconfirmed:
		p.pos += len("[UNCONFIRMED]")
		f.Status &^= StatusConfirmed
	case SlotMark:
		err = p.mark(f)
	case SlotSecmark:
		var n uint64
		n, err = p.uint(kSecmark, math.MaxUint32)
		f.Secmark = uint32(n)
	case SlotSecctx:
		var v []byte
		var at int
		v, at, err = p.value(kSecctx)
		if err == nil {
			err = p.text(v, at, "secctx")
			f.Secctx = p.intern(v)
		}
	case SlotDeltaTime:
		f.DeltaTime, err = p.uint(kDeltaTime, math.MaxUint64)
	case SlotStart:
		f.Start, err = p.ktime(kStart)
	case SlotStop:
		f.Stop, err = p.ktime(kStop)
	case SlotHelper:
		var v []byte
		var at int
		v, at, err = p.value(kHelper)
		if err == nil {
			err = p.text(v, at, "helper")
			f.Helper = p.intern(v)
		}
	case SlotID:
		var n uint64
		n, err = p.uint(kID, math.MaxUint32)
		f.ID = uint32(n)
		p.opts |= OptID
	case SlotLabels:
		err = p.labels(f)
	case SlotUserspace:
		err = p.userspace(f)
	case SlotExpires:
		f.Expires, err = p.secs(kExpires)
	case SlotActiveSince:
		f.ActiveSince, err = p.secs(kActiveSince)
	case SlotUse:
		var n uint64
		n, err = p.uint(kUse, math.MaxUint32)
		f.Use = uint32(n)
		if err == nil && p.d.old && !p.d.has(SlotZone) && f.Fields&FieldMark == 0 && bytes.HasPrefix(p.line[p.pos:], []byte(" mark=")) {
			// Late 2.4 kernels print use= before mark=.
			f.Fields |= FieldUse
			p.pos++
			err = p.mark(f)
			f.Quirks |= QuirkUseBeforeMark
		}
	}
	f.Fields |= slotFields[s]
	return err
}

// secs parses conntrackd's "[KEY Ns]" (%ld seconds) at the cursor.
func (c *cursor) secs(k *key) (int64, error) {
	v, at, err := c.value(k)
	if err != nil {
		return 0, err
	}
	if len(v) < 3 || string(v[len(v)-2:]) != "s]" {
		return 0, c.errAt(at, at+len(v), k.field, ErrSyntax, "expected seconds and \"s]\" after "+quote(k.s)+", found "+quote(v))
	}
	n, e := parseInt(v[:len(v)-2], math.MinInt64, math.MaxInt64)
	if e != numOK {
		return 0, c.numErr(v[:len(v)-2], at, k.field, e, true, "seconds")
	}
	return n, nil
}

// mark parses mark=, which 2.4 kernels printed signed.
func (p *parser) mark(f *Flow) error {
	if p.at(kMark) {
		if n, ok := p.digits(math.MaxUint32); ok {
			f.Mark = uint32(n)
			f.Fields |= FieldMark
			return nil
		}
		p.pos -= len(kMark.s)
	}
	v, at, err := p.value(kMark)
	if err != nil {
		return err
	}
	if p.d.old && v[0] == '-' {
		n, e := parseInt(v, math.MinInt32, -1)
		if e != numOK {
			return p.numErr(v, at, "mark", e, true, "-2147483648 to 4294967295")
		}
		f.Mark = uint32(int32(n))
		f.Quirks |= QuirkSignedMark
	} else {
		n, e := parseUint(v, math.MaxUint32)
		if e != numOK {
			return p.numErr(v, at, "mark", e, false, "0 to 4294967295")
		}
		f.Mark = uint32(n)
	}
	f.Fields |= FieldMark
	return nil
}

// l4Part is the layer-4 part of a line's tuples, as its header gives it.
type l4Part struct {
	kind Layer4
	opt  bool // it may be absent (protocol printed as "unknown")
}

// tuple parses "src=A dst=A" and the layer-4 part of the flow's protocol.
func (p *parser) tuple(f *Flow, t *Tuple, dir string) error {
	p.dir = dir
	err := p.tuple1(f, t)
	p.dir = ""
	return err
}

func (p *parser) tuple1(f *Flow, t *Tuple) error {
	dir := p.dir
	var err error
	if t.Src, err = p.addr(&f.Family, kSrc); err != nil {
		return err
	}
	if err = p.sep(&f.Quirks); err != nil {
		return err
	}
	if t.Dst, err = p.addr(&f.Family, kDst); err != nil {
		return err
	}
	kind := p.l4.kind
	if p.l4.opt {
		// An "unknown" protocol has its layer-4 part only if the kernel still
		// printed one (icmpv6 on some 5.x kernels) and then in both tuples.
		has := p.pos+1 < len(p.line) && bytes.HasPrefix(p.line[p.pos+1:], l4FirstKey(kind))
		if dir == "reply" && has != f.Has(FieldL4) {
			return p.errAt(p.pos, p.tokenEnd(p.pos), "tuple", ErrMismatch, "the reply tuple's layer-4 part does not match the original tuple's")
		}
		if !has && p.d.lib && f.Proto == DCCP && f.Quirks&QuirkOldLibnfct == 0 {
			// libnetfilter_conntrack prints ports 0 for a DCCP flow the
			// kernel tracks without them (see appendTuple).
			return p.errAt(p.pos, p.pos, "tuple", ErrMissing, "no ports, which conntrack prints for every dccp flow (0 where the kernel tracks it without them)")
		}
		if !has {
			kind = L4None
		}
	}
	if kind == L4None {
		return nil
	}
	f.Fields |= FieldL4
	return p.l4part(kind, t, &f.Quirks)
}

// l4part parses the layer-4 part of a tuple, of the given kind, after the
// space that starts it.
func (p *parser) l4part(kind Layer4, t *Tuple, q *Quirks) error {
	var n uint64
	var err error
	switch kind {
	case L4Ports:
		if err = p.sep(q); err != nil {
			return err
		}
		if n, err = p.uint(kSport, math.MaxUint16); err != nil {
			return err
		}
		t.SrcPort = uint16(n)
		if err = p.sep(q); err != nil {
			return err
		}
		n, err = p.uint(kDport, math.MaxUint16)
		t.DstPort = uint16(n)
	case L4Keys:
		if err = p.sep(q); err != nil {
			return err
		}
		if t.SrcPort, err = p.hex(kSrckey); err != nil {
			return err
		}
		if err = p.sep(q); err != nil {
			return err
		}
		t.DstPort, err = p.hex(kDstkey)
	case L4ICMP:
		if err = p.sep(q); err != nil {
			return err
		}
		if n, err = p.uint(kType, math.MaxUint8); err != nil {
			return err
		}
		t.Type = uint8(n)
		if err = p.sep(q); err != nil {
			return err
		}
		if n, err = p.uint(kCode, math.MaxUint8); err != nil {
			return err
		}
		t.Code = uint8(n)
		if err = p.sep(q); err != nil {
			return err
		}
		n, err = p.uint(kID, math.MaxUint16)
		t.ID = uint16(n)
	}
	return err
}

func l4FirstKey(k Layer4) []byte {
	switch k {
	case L4Ports:
		return []byte("sport=")
	case L4Keys:
		return []byte("srckey=")
	case L4ICMP:
		return []byte("type=")
	}
	return []byte("\x00")
}

// addr parses an address of the flow's family in the dialect's form.
func (p *parser) addr(fam *Family, k *key) (a netip.Addr, err error) {
	if *fam == IPv4 && p.at(k) {
		if a, ok := p.ipv4(); ok {
			p.family = true
			return a, nil
		}
		p.pos -= len(k.s)
	}
	field := k.field
	v, at, err := p.value(k)
	if err != nil {
		return a, err
	}
	colon := bytes.IndexByte(v, ':') >= 0
	if !p.family && colon {
		// conntrack without -o extended prints no family: the addresses tell.
		*fam = IPv6
	}
	p.family = true
	if *fam == IPv4 {
		if colon {
			msg := "IPv6 address " + quote(v) + " in an ipv4 flow"
			if !p.d.v6 {
				msg = "IPv6 address " + quote(v) + " in an IPv4-only format"
			}
			return a, p.errAt(at, at+len(v), field, ErrAddress, msg)
		}
		if a, ok := parseIPv4(v); ok {
			return a, nil
		}
		return a, p.errAt(at, at+len(v), field, ErrAddress, "malformed IPv4 address "+quote(v)+" (want four numbers 0 to 255, as in 192.0.2.1)")
	}
	if !colon {
		return a, p.errAt(at, at+len(v), field, ErrAddress, "IPv4 address "+quote(v)+" in an ipv6 flow")
	}
	if p.d.lib {
		if a, ok := parseIPv6Glibc(v); ok {
			return a, nil
		}
		if a, ok := parseIPv6(v); ok {
			var buf [64]byte
			return a, p.errAt(at, at+len(v), field, ErrAddress, "IPv6 address "+quote(v)+" is not in the form conntrack prints ("+string(appendIPv6Glibc(buf[:0], a))+")")
		}
		return a, p.errAt(at, at+len(v), field, ErrAddress, "malformed IPv6 address "+quote(v))
	}
	if a, ok := parseIPv6Full(v); ok {
		return a, nil
	}
	return a, p.errAt(at, at+len(v), field, ErrAddress, "malformed IPv6 address "+quote(v)+" (the kernel prints eight groups of four lowercase hex digits, as in 2001:0db8:0000:0000:0000:0000:0000:0001)")
}

// ipv4 parses a dotted-decimal address at the cursor, followed by a space or
// the end of the line, in one pass. It reports false for anything else,
// which addr then explains.
func (c *cursor) ipv4() (netip.Addr, bool) {
	line, i := c.line, c.pos
	var a [4]byte
	for k := range 4 {
		if k > 0 {
			if i >= len(line) || line[i] != '.' {
				return netip.Addr{}, false
			}
			i++
		}
		if i >= len(line) || line[i]-'0' > 9 {
			return netip.Addr{}, false
		}
		n := uint(line[i] - '0')
		i++
		if i < len(line) && line[i]-'0' <= 9 {
			if n == 0 {
				return netip.Addr{}, false // leading zero
			}
			n = n*10 + uint(line[i]-'0')
			i++
			if i < len(line) && line[i]-'0' <= 9 {
				n = n*10 + uint(line[i]-'0')
				i++
				if n > 255 {
					return netip.Addr{}, false
				}
			}
		}
		a[k] = byte(n)
	}
	if i < len(line) && line[i] != ' ' {
		return netip.Addr{}, false
	}
	c.pos = i
	return netip.AddrFrom4(a), true
}

// counters parses "packets=N bytes=N".
func (p *parser) counters(c *Counters, dir string) error {
	p.dir = dir
	err := p.counters1(c)
	p.dir = ""
	return err
}

func (p *parser) counters1(c *Counters) error {
	var err error
	if c.Packets, err = p.uint(kPackets, math.MaxUint64); err != nil {
		return err
	}
	if p.pos == len(p.line) || p.line[p.pos] != ' ' {
		return p.errAt(p.pos, p.pos, "bytes", ErrMissing, "expected bytes= after packets=")
	}
	p.pos++
	c.Bytes, err = p.uint(kBytes, math.MaxUint64)
	return err
}

// unknown handles a token at the cursor that starts no element the dialect
// expects here: an error for a known field, else an extra at slot cur.
func (p *parser) unknown(f *Flow, cur Slot) error {
	start := p.pos
	end := p.tokenEnd(start)
	tok := p.line[start:end]
	if tok[0] == '[' {
		if i := bytes.Index(p.line[start:], []byte("] ")); i >= 0 {
			end = start + i + 1
		} else if p.line[len(p.line)-1] == ']' {
			end = len(p.line)
		}
		tok = p.line[start:end]
	}
	if err := p.continuation(end); err != nil {
		return err
	}
	if end == len(p.line) {
		// Perhaps the line was cut in the middle of a field.
		for s := cur + 1; s < slotCount; s++ {
			key := slotKeys[s].s
			if p.d.has(s) && len(tok) < len(key) && key[:len(tok)] == string(tok) {
				return p.errAt(start, end, slotField(s), ErrMissing, "line ends in the middle of "+key+" (truncated line?)")
			}
		}
	}
	// A field this dialect knows, in a place where the kernel never prints it.
	for s := SlotOrig; s < slotCount; s++ {
		if !p.d.has(s) || !slotKeys[s].match(tok) || s == SlotFlag && p.flagWord(tok) == 0 {
			continue
		}
		for r := cur + 1; r < s; r++ {
			if p.d.has(r) && p.d.required(r) {
				return p.errAt(start, end, slotField(r), ErrMissing, "expected "+slotField(r)+" ("+slotKeys[r].s+"...), found "+quote(tok))
			}
		}
		if slotFields[s]&f.Fields != 0 || s <= cur && slotFields[s] == 0 {
			return p.errAt(start, end, slotField(s), ErrDuplicate, "duplicate "+quote(tok))
		}
		return p.errAt(start, end, slotField(s), ErrOrder, quote(tok)+" is out of place: the kernel prints it before "+slotField(cur))
	}
	// A field of another of the kernel's or conntrack's formats: not a
	// vendor's, and its value would be lost unchecked.
	for s := SlotOrig; s < slotCount; s++ {
		if !p.d.has(s) && s != SlotFlag && slotKeys[s].match(tok) {
			return p.errAt(start, end, slotField(s), ErrOrder, quote(tok)+" is a field that "+p.d.format.String()+" never prints")
		}
	}
	// Vendor kernels print bare words (Keenetic's slan, nomac, swan no_if)
	// and empty values (attrs=) among the fields after the reply tuple. A
	// bare word that ends the line is more likely a field cut or mangled
	// ("zone=0 use=2" pasted as "zo2"). Strict mode keeps today's errors.
	vendor := !p.strict && cur >= SlotReply && (isWord(tok) && end < len(p.line) || tok[len(tok)-1] == '=' && isKey(tok[:len(tok)-1]))
	if vendor && isWord(tok) && p.knownName(tok) {
		return p.errAt(start, end, "", ErrSyntax, quote(tok)+" is the name of a field without its value")
	}
	for r := cur + 1; r < slotCount; r++ {
		if p.d.has(r) && p.d.required(r) && !isKV(tok) && tok[0] != '[' && !vendor {
			return p.errAt(start, end, slotField(r), ErrSyntax, "expected "+slotField(r)+" ("+slotKeys[r].s+"...), found "+quote(tok))
		}
	}
	if !isKV(tok) && !(tok[0] == '[' && tok[len(tok)-1] == ']' && len(tok) > 2) && !vendor {
		return p.errAt(start, end, "", ErrSyntax, "unexpected "+quote(tok))
	}
	if err := p.text(tok, start, "field"); err != nil {
		return err
	}
	if p.strict {
		return p.errAt(start, end, "", ErrUnknownKey, "unknown field "+quote(tok)+" (strict mode)")
	}
	p.xbuf = appendExtra(p.xbuf, cur, tok)
	p.pos = end
	return nil
}

// isKV reports whether tok is a well-formed key=value token: a key of
// letters, digits, '-', '_' or '.', an '=', and a value.
func isKV(tok []byte) bool {
	eq := bytes.IndexByte(tok, '=')
	return eq > 0 && eq < len(tok)-1 && isKey(tok[:eq])
}

// isKey reports whether k is made of letters, digits, '-', '_' or '.'.
func isKey(k []byte) bool {
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return len(k) > 0
}

// isWord reports whether tok is a bare word a vendor may print: lowercase
// letters and '_'.
func isWord(tok []byte) bool {
	for _, c := range tok {
		if !(c >= 'a' && c <= 'z' || c == '_') {
			return false
		}
	}
	return len(tok) > 0
}

// knownName reports whether the bare word tok is the name of a field
// without its "=": a field mangled, not a vendor's.
func (p *parser) knownName(tok []byte) bool {
	for _, k := range slotKeys[SlotOrig:] {
		if strings.TrimSuffix(k.s, "=") == string(tok) {
			return true
		}
	}
	for _, k := range [...]*key{kDst, kSport, kDport, kSrckey, kDstkey, kType, kCode, kBytes, kPortID, kProgname} {
		if strings.TrimSuffix(k.s, "=") == string(tok) {
			return true
		}
	}
	return false
}

// check applies the rules of what a kernel prints to the parsed flow.
func (p *parser) check(f *Flow) error {
	at := func(msg string) error {
		return p.errAt(0, len(p.line), "", ErrMismatch, msg)
	}
	off := f.Status.offloaded() && !p.d.lib // conntrack prints the timeout and state of offloaded flows
	switch {
	case p.d.cache && f.Has(FieldTimeout):
		return p.errAt(0, len(p.line), "timeout", ErrSyntax, "conntrackd prints no timeout")
	case p.d.cache:
		if err := p.cacheComplete(f); err != nil {
			return err
		}
	case p.d.lib:
		// Events leave out the timeout and the state; dumps print what the
		// kernel sent.
	case off && f.Has(FieldTimeout):
		return at("an offloaded flow has no timeout in this format")
	case !off && !f.Has(FieldTimeout):
		return at("missing timeout after the protocol number")
	case f.Proto.HasStates() && f.Quirks&QuirkUnknownName == 0 && !f.Has(FieldState) && !(off && f.Proto == TCP):
		return at("missing " + f.Proto.name() + " state after the timeout")
	case off && f.Proto == TCP && f.Has(FieldState):
		return at("an offloaded TCP flow has no state in this format")
	}
	if f.Has(FieldOrigCounters) != f.Has(FieldReplyCounters) {
		return at("counters for one direction only: the kernel reports both or neither")
	}
	if bits.OnesCount32(uint32(f.Fields&(FieldZone|FieldOrigZone|FieldReplyZone))) > 1 {
		return at("more than one of zone=, zone-orig=, zone-reply=: a flow has one zone")
	}
	if f.Quirks&QuirkTrailingSpace != 0 && f.Fields&(FieldSecmark|FieldSecctx) != 0 {
		return at("a trailing space (2.4 kernels) with secmark= or secctx= (2.6 kernels)")
	}
	if f.Quirks&QuirkUseBeforeMark != 0 && f.Quirks&QuirkTrailingSpace == 0 {
		return at("use= before mark= (2.4 kernels) without the trailing space of those kernels")
	}
	return nil
}

// sep consumes the space after a token, if the line goes on.
func (p *parser) sep(q *Quirks) error {
	if line, i := p.line, uint(p.pos); i+1 < uint(len(line)) && line[i] == ' ' && line[i+1] != ' ' {
		p.pos++
		return nil
	}
	return p.sepSlow(q)
}

func (p *parser) sepSlow(q *Quirks) error {
	if p.pos == len(p.line) {
		return nil
	}
	if p.line[p.pos] != ' ' {
		end := p.tokenEnd(p.pos)
		return p.errAt(p.pos, end, "", ErrSyntax, "expected a space before "+quote(p.line[p.pos:end]))
	}
	p.pos++
	switch {
	case p.pos == len(p.line):
		if !p.d.old {
			return p.errAt(p.pos-1, p.pos, "", ErrSyntax, "trailing space at the end of the line")
		}
		*q |= QuirkTrailingSpace
	case p.line[p.pos] == ' ':
		return p.errAt(p.pos, p.pos+1, "", ErrSyntax, "two spaces in a row")
	}
	return nil
}

// expectTuple parses "SRC DST" and the layer-4 part of the given kind, with
// the keys given for the addresses.
func (p *parser) expectTuple(e *Expect, t *Tuple, src, dst *key, kind Layer4) error {
	var err error
	if t.Src, err = p.addr(&e.Family, src); err != nil {
		return err
	}
	if err = p.sep(&e.Quirks); err != nil {
		return err
	}
	if t.Dst, err = p.addr(&e.Family, dst); err != nil {
		return err
	}
	return p.l4part(kind, t, &e.Quirks)
}
