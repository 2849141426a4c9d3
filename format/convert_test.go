package format_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
)

// TestConvertMissing prints flows whose source lacks what a target format
// always shows: the result is a line the target's parser reads, or a
// *PrintError that says what is missing, never a line no producer prints.
// FuzzConstruct found both cases.
func TestConvertMissing(t *testing.T) {
	const (
		event          = "    [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353"
		update         = " [UPDATE] tcp      6 431999 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=9"
		offloaded      = "tcp      6 120 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [OFFLOAD] mark=0 use=1"
		genericSCTP    = "ipv4     2 unknown  132 29 src=10.0.0.1 dst=10.0.0.2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 mark=0 zone=0 use=2"
		genericGRE     = "ipv4     2 unknown  47 29 src=10.0.0.1 dst=10.0.0.2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 mark=0 zone=0 use=2"
		genericUDPLite = "ipv6     10 unknown  136 29 src=2001:0db8:0000:0000:0000:0000:0000:0001 dst=2001:0db8:0000:0000:0000:0000:0000:0002 [UNREPLIED] src=2001:0db8:0000:0000:0000:0000:0000:0002 dst=2001:0db8:0000:0000:0000:0000:0000:0001 mark=0 zone=0 use=2"
		destroy        = "[DESTROY] udp      17 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353"
		save           = "-A -t 29 -u SEEN_REPLY -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p tcp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1 --state ESTABLISHED"
		genericDCCP    = "dccp     33 94 src=10.0.0.3 dst=10.0.0.2 sport=0 dport=0 [UNREPLIED] src=10.0.0.2 dst=10.0.0.3 sport=0 dport=0 mark=0 use=1"
		genericDCCPXML = `<flow><meta direction="original"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.3</src><dst>10.0.0.2</dst></layer3><layer4 protonum="33" protoname="dccp"><sport>0</sport><dport>0</dport></layer4></meta><meta direction="reply"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.2</src><dst>10.0.0.3</dst></layer3><layer4 protonum="33" protoname="dccp"><sport>0</sport><dport>0</dport></layer4></meta><meta direction="independent"><timeout>94</timeout><mark>0</mark><use>1</use><unreplied/></meta></flow>`
		icmp           = `<flow><meta direction="original"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.1</src><dst>10.0.0.2</dst></layer3><layer4 protonum="1" protoname="icmp"></layer4></meta><meta direction="reply"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.2</src><dst>10.0.0.1</dst></layer3><layer4 protonum="1" protoname="icmp"></layer4></meta><meta direction="independent"><timeout>29</timeout><mark>0</mark><use>1</use></meta></flow>`
	)
	for _, c := range []struct {
		name     string
		from, to format.Format
		line     string
		want     string // the printed line, or the error's text
	}{
		{"an event has no use count", format.Conntrack, format.Proc, event,
			"ipv4     2 udp      17 30 src=10.0.0.1 dst=10.0.0.53 sport=5353 dport=53 [UNREPLIED] src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 use=2"},
		{"nor has save", format.Save, format.IPLegacy, save,
			"tcp      6 29 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 use=2"},
		{"a destroy event has no timeout", format.Conntrack, format.Proc, destroy, "the flow has no timeout"},
		{"an update event may have no state", format.Conntrack, format.Proc, update, "the flow has no tcp state"},
		{"the kernel prints no timeout and TCP state of offloaded flows", format.Conntrack, format.Proc, offloaded,
			"ipv4     2 tcp      6 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [OFFLOAD] mark=0 use=1"},
		{"save cannot show SCTP tracked without its tracker", format.Proc, format.Save, genericSCTP,
			`the flow has no ports (the kernel tracked it without its sctp tracker, as /proc's "unknown" shows), which this format needs`},
		{"nor GRE", format.Proc, format.Save, genericGRE,
			`the flow has no GRE keys (the kernel tracked it without its gre tracker, as /proc's "unknown" shows), which this format needs`},
		{"nor restore UDP-Lite", format.Proc, format.Restore, genericUDPLite,
			`the flow has no ports (the kernel tracked it without its udplite tracker, as /proc's "unknown" shows), which conntrack -I needs`},
		{"XML has no ICMP type", format.XML, format.Proc, icmp, "the flow has no ICMP type, code and id (its source did not print them: conntrack's XML has none), which the kernel always prints"},
		{"nor for ip_conntrack", format.XML, format.IPLegacy, icmp, "the flow has no ICMP type, code and id (its source did not print them: conntrack's XML has none)"},
		{"nor for save", format.XML, format.Save, icmp, "the flow has no ICMP type, code and id (its source did not print them: conntrack's XML has none), which this format needs"},
		// Linux 6.17 and later track DCCP without its tracker: conntrack
		// prints ports 0 and no state, /proc "unknown" and no ports, -o save
		// no ports; conntrack -R needs ports and a state all the same.
		{"DCCP without its tracker, to proc", format.Conntrack, format.Proc, genericDCCP,
			"ipv4     2 unknown  33 94 src=10.0.0.3 dst=10.0.0.2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.3 mark=0 use=1"},
		{"to save", format.Conntrack, format.Save, genericDCCP,
			"-A -t 94 -u UNSET -s 10.0.0.3 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.3 -p dccp"},
		{"from XML to save", format.XML, format.Save, genericDCCPXML,
			"-A -t 94 -u UNSET -s 10.0.0.3 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.3 -p dccp"},
		{"to restore", format.Conntrack, format.Restore, genericDCCP,
			"-I -t 94 -u UNSET -s 10.0.0.3 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.3 -p dccp --sport 0 --dport 0 --reply-port-src 0 --reply-port-dst 0 --state OPEN --role client -m 0"},
		{"from proc to restore", format.Proc, format.Restore, "ipv4     2 unknown  33 94 src=10.0.0.3 dst=10.0.0.2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.3 mark=0 zone=0 use=2",
			"-I -t 94 -u UNSET -s 10.0.0.3 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.3 -p dccp --sport 0 --dport 0 --reply-port-src 0 --reply-port-dst 0 --state OPEN --role client -m 0"},
	} {
		var f format.Flow
		p := format.Dialect{Format: c.from, Location: time.UTC}
		if err := p.Parse([]byte(c.line), &f); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		pr := format.Dialect{Format: c.to, Location: time.UTC}
		out, err := pr.Append(nil, &f)
		switch {
		case errors.Is(err, format.ErrUnprintable):
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: %v, want %q", c.name, err, c.want)
			}
			if c.from != format.XML && strings.Contains(err.Error(), "XML") {
				t.Errorf("%s: %v: blames XML, which is not the source", c.name, err)
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		default:
			if got := strings.TrimSuffix(string(out), "\n"); got != c.want {
				t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
			}
			var back format.Flow
			if err := (&format.Dialect{Format: c.to}).Parse([]byte(strings.TrimSuffix(string(out), "\n")), &back); err != nil {
				t.Errorf("%s: the printed line does not parse: %v", c.name, err)
			}
		}
	}
}

// TestExtrasBinary checks that Extras read from their binary form, with
// tokens in any order of slots, equal adding each token with Extras.Add;
// that the form reads back without allocating where it is unchanged; and
// that a malformed form is an error.
func TestExtrasBinary(t *testing.T) {
	for _, slots := range [][]format.Slot{
		{}, {format.SlotUse}, {format.SlotHeader, format.SlotMark, format.SlotMark, format.SlotUse},
		{format.SlotUse, format.SlotMark, format.SlotUse, format.SlotHeader, format.SlotMark},
	} {
		var want, got format.Extras
		var b []byte
		for i, s := range slots {
			tok := fmt.Sprintf("t%d=%d", i, s)
			want = want.Add(s, tok)
			b = append(binary.AppendUvarint(append(b, byte(s)), uint64(len(tok))), tok...)
		}
		if err := got.UnmarshalBinary(b); err != nil || !got.Equal(want) {
			t.Errorf("%v: read %v, %v; Add %v", slots, got, err, want)
		}
		m, _ := want.MarshalBinary()
		if n := testing.AllocsPerRun(10, func() {
			if err := got.UnmarshalBinary(m); err != nil || !got.Equal(want) {
				t.Errorf("%v: read back %v, %v", slots, got, err)
			}
		}); n != 0 {
			t.Errorf("%v: reading the same tokens again allocates %v times", slots, n)
		}
	}
	for _, b := range []string{"\x02", "\x02\x05ab", "\x7f\x01a", "\x02\xff"} {
		var e format.Extras
		if err := e.UnmarshalBinary([]byte(b)); err == nil || e.Len() != 0 {
			t.Errorf("%q: read %v, %v", b, e, err)
		}
	}
}

// TestPrintUnreadableNames checks that names no parser could read back (a
// helper with a space, from a netlink message, say) are a PrintError, not
// a line that reads as something else. FuzzNetlink found the helper.
func TestPrintUnreadableNames(t *testing.T) {
	const line = "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=0 secctx=system_u:object_r:unlabeled_t:s0 helper=ftp use=1"
	for _, c := range []struct {
		name string
		set  func(f *format.Flow)
		in   []format.Format
	}{
		{"helper with a space", func(f *format.Flow) { f.Helper = "ft p" }, []format.Format{format.Conntrack}},
		{"empty helper", func(f *format.Flow) { f.Helper = "" }, []format.Format{format.Conntrack, format.XML}},
		{"helper with <", func(f *format.Flow) { f.Helper = "a<b" }, []format.Format{format.XML}},
		{"secctx with a space", func(f *format.Flow) { f.Secctx = "a b" }, []format.Format{format.Proc, format.Conntrack}},
		{"secctx with a control byte", func(f *format.Flow) { f.Secctx = "a\tb" }, []format.Format{format.Proc, format.Conntrack, format.XML}},
	} {
		var f format.Flow
		if err := new(format.Dialect{Format: format.Conntrack}).Parse([]byte(line), &f); err != nil {
			t.Fatal(err)
		}
		c.set(&f)
		for _, fm := range c.in {
			_, err := format.Dialect{Format: fm}.Append(nil, &f)
			if !errors.Is(err, format.ErrUnprintable) {
				t.Errorf("%s in %v: %v, want a PrintError", c.name, fm, err)
			}
		}
	}
}
