package fuzz

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
)

// source hands out the fuzzer's bytes as the choices of a constructor;
// when they run out, every choice is zero.
type source struct{ b []byte }

func (s *source) byte() byte {
	if len(s.b) == 0 {
		return 0
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c
}

func (s *source) bool() bool     { return s.byte()&1 == 1 }
func (s *source) n(n int) int    { return int(s.byte()) % n }
func (s *source) u16() uint16    { return uint16(s.byte())<<8 | uint16(s.byte()) }
func (s *source) u32() uint32    { return uint32(s.u16())<<16 | uint32(s.u16()) }
func (s *source) u64() uint64    { return uint64(s.u32())<<32 | uint64(s.u32()) }
func (s *source) word() string   { return words[s.n(len(words))] }
func (s *source) addr4() [4]byte { return [4]byte{s.byte(), s.byte(), s.byte(), s.byte()} }

var words = []string{"a", "web", "bit3-label", "zero-label", "system_u:object_r:unlabeled_t:s0", "ftp", "tftp", "x1"}

func (s *source) addr(fam format.Family) netip.Addr {
	if fam == format.IPv4 {
		return netip.AddrFrom4(s.addr4())
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], s.u64())
	binary.BigEndian.PutUint64(b[8:], s.u64())
	return netip.AddrFrom16(b)
}

var protos = []format.Proto{format.TCP, format.UDP, format.UDPLite, format.SCTP, format.DCCP, format.GRE, format.ICMP, 50, 253}

// construct builds a flow the kernel could hold from the fuzzer's bytes:
// any protocol, tuples, NAT, and each optional field or not.
func construct(data []byte) format.Flow {
	s := &source{data}
	f := format.Flow{Family: format.IPv4}
	if s.bool() {
		f.Family = format.IPv6
	}
	f.Proto = protos[s.n(len(protos))]
	if f.Proto == format.ICMP && f.Family == format.IPv6 {
		f.Proto = format.ICMPv6
	}
	f.Fields = format.FieldTimeout | format.FieldStatus | format.FieldMark | format.FieldUse
	f.Orig.Src, f.Orig.Dst = s.addr(f.Family), s.addr(f.Family)
	switch f.Proto.Layer4() {
	case format.L4Ports, format.L4Keys:
		f.Fields |= format.FieldL4
		f.Orig.SrcPort, f.Orig.DstPort = s.u16(), s.u16()
	case format.L4ICMP:
		f.Fields |= format.FieldL4
		// The types the kernel tracks, and one it does not (the save
		// printers refuse it: they print the original's type alone).
		types := []uint8{0, 8, 13, 14, 15, 16, 17, 18, 3}
		if f.Proto == format.ICMPv6 {
			types = []uint8{128, 129, 139, 140, 133}
		}
		f.Orig.Type = types[s.n(len(types))]
		f.Orig.Code, f.Orig.ID = uint8(s.n(4)), s.u16()
	}
	f.Reply = f.Mirror()
	if s.bool() { // NAT
		f.Reply.Dst = s.addr(f.Family)
		if f.Has(format.FieldL4) && f.Proto.Layer4() != format.L4ICMP && s.bool() {
			f.Reply.DstPort = s.u16()
		}
	}
	f.Timeout = int64(s.u32() >> 1)
	if f.Proto.HasStates() {
		f.Fields |= format.FieldState
		f.State = format.State(1 + s.n(7))
	}
	f.Status = format.StatusConfirmed
	if s.bool() {
		f.Status |= format.StatusSeenReply
		if s.bool() {
			f.Status |= format.StatusAssured
		}
	}
	f.Mark, f.Use = s.u32(), uint32(1+s.n(4))
	if s.bool() {
		f.Fields |= format.FieldOrigCounters | format.FieldReplyCounters
		f.OrigCounters = format.Counters{Packets: uint64(s.u32()), Bytes: s.u64() >> 1}
		f.ReplyCounters = format.Counters{Packets: uint64(s.u32()), Bytes: s.u64() >> 1}
	}
	if s.bool() {
		f.Fields |= format.FieldZone
		f.Zone = s.u16()
	}
	if s.bool() {
		f.Fields |= format.FieldDeltaTime
		f.DeltaTime = uint64(s.u32())
	}
	if s.bool() {
		f.Fields |= format.FieldSecctx
		f.Secctx = s.word()
	}
	if s.bool() {
		f.Fields |= format.FieldID
		f.ID = s.u32()
	}
	if s.bool() {
		f.Fields |= format.FieldStart
		f.Start = uint64(1_600_000_000+s.u32()%200_000_000) * 1e9
		if s.bool() {
			f.Fields |= format.FieldStop
			f.Stop = f.Start + uint64(s.u32())*1e9
		}
	}
	if s.bool() {
		f.Fields |= format.FieldLabels
		f.Labels = s.word()
		if s.bool() {
			f.Labels += "," + s.word()
		}
	}
	if f.Proto == format.GRE {
		f.Fields |= format.FieldGRETimeouts
		f.GRETimeout, f.GREStreamTimeout = uint32(s.u16()), uint32(s.u16())
	}
	// conntrackd's times, and the flows of its external cache, which
	// have no reply tuple.
	if s.bool() {
		f.Fields |= format.FieldActiveSince
		f.ActiveSince = int64(s.u32())
		if s.bool() {
			f.Fields |= format.FieldExpires
			f.Expires = int64(s.u16())
		}
	}
	if s.n(4) == 0 {
		f.Reply = format.Tuple{}
		f.Fields &^= format.FieldReplyZone
	}
	// An event, as conntrack -E reads the kernel's: an update that a mark
	// change caused has no protocol state, a destroy neither a state nor a
	// timeout.
	switch s.n(8) {
	case 1:
		f.Event = format.EventNew
	case 2:
		f.Event = format.EventUpdate
		if s.bool() {
			f.Fields &^= format.FieldState
		}
	case 3:
		f.Event = format.EventDestroy
		f.Fields &^= format.FieldState | format.FieldTimeout
	}
	if f.Event != format.EventNone && s.bool() {
		f.Fields |= format.FieldEventTime
		f.EventTime = int64(1_600_000_000+s.u32()%200_000_000)*1e6 + int64(s.u32()%1e6)
	}
	return f
}

// printers are the formats and options a constructed flow is printed with.
var printers = []format.Dialect{
	{Format: format.Proc},
	{Format: format.IPLegacy},
	{Format: format.Conntrack},
	{Format: format.Conntrack, Options: format.OptExtended | format.OptID | format.OptKTimestamp | format.OptLabels},
	{Format: format.XML},
	{Format: format.XML, Options: format.OptKTimestamp | format.OptLabels},
	{Format: format.XML, Options: format.OptConntrack149},
	{Format: format.Save},
	{Format: format.Restore},
	{Format: format.Conntrackd},
	{Format: format.ConntrackdXML},
}

// shownStatus are the status bits the text formats show.
const shownStatus = format.StatusSeenReply | format.StatusAssured

// agree returns how got, a flow as format fm read it back, disagrees with
// want, the flow printed: every field got has must hold want's value, and
// got must have no field want lacks, but for what a format prints where
// its producer always has a value: the kernel's use count (2), conntrack
// -I's SCTP verification tags (0) and DCCP state (OPEN), conntrack's DCCP
// ports (0). "" when they agree.
func agree(fm format.Format, want, got *format.Flow) string {
	g := *got
	for _, filled := range []struct {
		ok    bool
		field format.Fields
	}{
		{(fm == format.Proc || fm == format.IPLegacy) && got.Use == 2, format.FieldUse},
		{fm == format.Restore && got.OrigVtag == 0 && got.ReplyVtag == 0, format.FieldVtags},
		{fm == format.Restore && got.Proto == format.DCCP && got.State == format.DCCPOpen, format.FieldState},
		// /proc shows no timeout and TCP state of an offloaded flow,
		// which restores as an established one.
		{fm == format.Restore && want.Status&(format.StatusOffload|format.StatusHWOffload) != 0, format.FieldTimeout},
		{fm == format.Restore && want.Status&(format.StatusOffload|format.StatusHWOffload) != 0 && got.State == format.TCPEstablished, format.FieldState},
		// conntrack -I has no name for SCTP's heartbeat states ("(null)").
		{fm == format.Restore && got.Proto == format.SCTP && got.State == format.SCTPEstablished, format.FieldState},
		// conntrackd prints for every flow how long it has been in its cache.
		{fm == format.Conntrackd, format.FieldActiveSince},
		// conntrack prints ports 0 for DCCP that the kernel tracks without.
		{got.Proto == format.DCCP && got.Orig == (format.Tuple{Src: got.Orig.Src, Dst: got.Orig.Dst}) && got.Reply == (format.Tuple{Src: got.Reply.Src, Dst: got.Reply.Dst}), format.FieldL4},
	} {
		if filled.ok && !want.Has(filled.field) {
			g.Fields &^= filled.field
		}
	}
	if fm == format.Restore && want.Proto == format.SCTP && want.State >= format.SCTPHeartbeatSent && got.State == format.SCTPEstablished {
		g.State = want.State // a heartbeat state, restored as ESTABLISHED
	}
	got = &g
	if !fm.HasEvents() || fm == format.Save && want.Event == format.EventNew {
		w := *want
		w.Event = format.EventNone // -A: a new flow's event, or a listed flow
		want = &w
	}
	if (fm == format.Save || fm == format.Restore) && want.Proto.Layer4() == format.L4ICMP {
		// conntrack -o save prints the original's ICMP part alone; the
		// kernel makes the reply's from it, and so does the parser.
		w := *want
		m := w.Mirror()
		w.Reply.Type, w.Reply.Code, w.Reply.ID = m.Type, m.Code, m.ID
		want = &w
	}
	var d []string
	check := func(what string, ok bool) {
		if !ok {
			d = append(d, what)
		}
	}
	check("fields beyond the flow's", got.Fields&^want.Fields == 0)
	check("family", got.Family == want.Family)
	check("protocol", got.Proto == want.Proto || got.Quirks&format.QuirkUnknownName != 0)
	check("addresses", got.Orig.Src == want.Orig.Src && got.Orig.Dst == want.Orig.Dst && got.Reply.Src == want.Reply.Src && got.Reply.Dst == want.Reply.Dst)
	if got.Has(format.FieldL4) {
		check("layer 4", got.Orig == want.Orig && got.Reply == want.Reply)
	}
	if got.Has(format.FieldStatus) {
		shown := shownStatus
		if want.Status&(format.StatusOffload|format.StatusHWOffload) != 0 {
			shown = format.StatusSeenReply // [OFFLOAD] takes [ASSURED]'s place
		}
		check("status", got.Status&shown == want.Status&shown)
	}
	if d := agreeFields(want, got); d != "" {
		return d
	}
	return strings.Join(d, ", ")
}

// agreeFields compares the values of the optional fields got has.
func agreeFields(want, got *format.Flow) string {
	w, g := *want, *got
	// Clear what agree compares otherwise, and the fields got lacks.
	for _, fl := range []*format.Flow{&w, &g} {
		fl.Fields &= got.Fields
		fl.Quirks, fl.Status, fl.Proto, fl.Orig, fl.Reply = 0, 0, 0, format.Tuple{}, format.Tuple{}
		clearAbsent(fl)
	}
	if w != g {
		return fmt.Sprintf("fields differ:\n%+v\n%+v", w, g)
	}
	return ""
}

// clearAbsent zeroes the fields f does not have.
func clearAbsent(f *format.Flow) {
	for _, c := range []struct {
		field format.Fields
		clear func()
	}{
		{format.FieldTimeout, func() { f.Timeout = 0 }},
		{format.FieldState, func() { f.State = 0 }},
		{format.FieldOrigZone, func() { f.OrigZone = 0 }},
		{format.FieldReplyZone, func() { f.ReplyZone = 0 }},
		{format.FieldZone, func() { f.Zone = 0 }},
		{format.FieldOrigCounters, func() { f.OrigCounters = format.Counters{} }},
		{format.FieldReplyCounters, func() { f.ReplyCounters = format.Counters{} }},
		{format.FieldMark, func() { f.Mark = 0 }},
		{format.FieldSecmark, func() { f.Secmark = 0 }},
		{format.FieldSecctx, func() { f.Secctx = "" }},
		{format.FieldUse, func() { f.Use = 0 }},
		{format.FieldID, func() { f.ID = 0 }},
		{format.FieldDeltaTime, func() { f.DeltaTime = 0 }},
		{format.FieldStart, func() { f.Start = 0 }},
		{format.FieldStop, func() { f.Stop = 0 }},
		{format.FieldGRETimeouts, func() { f.GRETimeout, f.GREStreamTimeout = 0, 0 }},
		{format.FieldHelper, func() { f.Helper = "" }},
		{format.FieldLabels, func() { f.Labels = "" }},
		{format.FieldVtags, func() { f.OrigVtag, f.ReplyVtag = 0, 0 }},
		{format.FieldEventTime, func() { f.EventTime = 0 }},
		{format.FieldPortID, func() { f.PortID = 0 }},
		{format.FieldProgname, func() { f.Progname = "" }},
		{format.FieldExpires, func() { f.Expires = 0 }},
		{format.FieldActiveSince, func() { f.ActiveSince = 0 }},
	} {
		if !f.Has(c.field) {
			c.clear()
		}
	}
}

// roundTrip prints f with p and parses it back.
func roundTrip(p format.Dialect, f *format.Flow) (format.Flow, []byte, error) {
	line, err := p.Append(nil, f)
	if err != nil {
		return format.Flow{}, nil, err
	}
	var g format.Flow
	parser := format.Dialect{Format: p.Format, Location: p.Location}
	err = parser.Parse(line[:len(line)-1], &g)
	return g, line, err
}

// FuzzConstruct builds a valid flow from the fuzzer's bytes, prints it in
// every format and reads it back: each format gives back every field it
// carries, unchanged, and invents none. Then through every pair of
// formats, A to B to A: what A reads back the second time agrees with the
// flow on every field both carry.
func FuzzConstruct(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x01\x00\x0a\x00\x00\x01\x0a\x00\x00\x02\x9c\x40\x00\x50\x01"))
	for i := range 64 {
		seed := make([]byte, 96)
		for j := range seed {
			seed[j] = byte(i*31 + j*7)
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fl := construct(data)
		for _, p := range printers {
			p.Location = time.UTC
			got, line, err := roundTrip(p, &fl)
			if err != nil {
				if errors.Is(err, format.ErrUnprintable) {
					continue // a flow this format cannot show, such as IPv6 in ip_conntrack
				}
				t.Fatalf("%v %v: %v\n%s", p.Format, p.Options, err, line)
			}
			if d := agree(p.Format, &fl, &got); d != "" {
				t.Fatalf("%v %v reads back a flow that disagrees: %s\n%s", p.Format, p.Options, d, line)
			}
			lineEnds(t, p, &fl)
			for _, q := range printers {
				q.Location = time.UTC
				mid, line2, err := roundTrip(q, &got)
				if errors.Is(err, format.ErrUnprintable) {
					continue
				}
				if err != nil {
					t.Fatalf("%v to %v: %v\n%s%s", p.Format, q.Format, err, line, line2)
				}
				// What both carry survives the trip back, if A can show
				// what is left.
				back, line3, err := roundTrip(p, &mid)
				if errors.Is(err, format.ErrUnprintable) {
					continue
				}
				if err == nil {
					if d := agree(p.Format, &mid, &back); d != "" {
						err = fmt.Errorf("%s", d)
					}
				}
				if err != nil {
					t.Fatalf("%v to %v to %v: %v\n%s%s%s", p.Format, q.Format, p.Format, err, line, line2, line3)
				}
			}
		}
	})
}

// lineEnds writes f as a document of p's format three times, its lines
// ended with CR LF, LF, CR LF, and reads it back with a Scanner: each
// record has the line end it was written with (format.QuirkCRLF), and
// written again they give the same bytes.
func lineEnds(t *testing.T, p format.Dialect, f *format.Flow) {
	write := func(flows []format.Flow) []byte {
		var b bytes.Buffer
		w := format.NewWriter(&b, p)
		for i := range flows {
			if err := w.Write(&flows[i]); err != nil {
				t.Fatalf("%v %v: %v", p.Format, p.Options, err)
			}
		}
		w.Close()
		return b.Bytes()
	}
	crlf := []bool{true, false, true}
	flows := make([]format.Flow, len(crlf))
	for i, c := range crlf {
		flows[i] = *f
		if c {
			flows[i].Quirks |= format.QuirkCRLF
		}
	}
	doc := write(flows)
	sc, err := format.NewScanner(bytes.NewReader(doc), format.Dialect{Format: p.Format, Location: p.Location})
	if err != nil {
		t.Fatal(err)
	}
	flows, err = records(sc.Flows())
	for i, g := range flows {
		if got := g.Quirks&format.QuirkCRLF != 0; i >= len(crlf) || got != crlf[i] {
			t.Fatalf("%v %v: record %d reads with QuirkCRLF %v\n%q", p.Format, p.Options, i, got, doc)
		}
	}
	if err != nil || len(flows) != len(crlf) {
		t.Fatalf("%v %v: %d records, %v\n%q", p.Format, p.Options, len(flows), err, doc)
	}
	if again := write(flows); !bytes.Equal(again, doc) {
		t.Fatalf("%v %v: written again differs:\n%q\n%q", p.Format, p.Options, doc, again)
	}
}
