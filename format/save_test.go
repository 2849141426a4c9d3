package format_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// Lines conntrack 1.4.7 printed with -o save, on this kernel and in
// FORMATS.md §4.4, §5.3.
var saveLines = []string{
	"-A -t 29 -u UNSET -s 127.0.0.1 -d 127.0.0.6 -r 127.0.0.6 -n 127.0.0.9 -p udp --sport 48307 --dport 53 --reply-port-src 53 --reply-port-dst 48307",
	"-A -t 29 -u UNSET -s 127.0.0.1 -d 127.0.0.7 -g 127.0.0.1 -q 127.0.0.1 -p udp --sport 39169 --dport 53 --reply-port-src 5353 --reply-port-dst 39169",
	"-A -t 2999 -u SEEN_REPLY,ASSURED,FIXED_TIMEOUT -s 192.168.1.10 -d 203.0.113.5 -r 203.0.113.5 -q 198.51.100.1 -p tcp --sport 51000 --dport 443 --reply-port-src 443 --reply-port-dst 61000 --state ESTABLISHED",
	"-A -t 286 -u SEEN_REPLY --reply-zone 65535 -s 10.1.0.1 -d 10.1.0.2 -r 10.1.0.2 -q 10.1.0.1 -p tcp --sport 1111 --dport 2224 --reply-port-src 2224 --reply-port-dst 1111 --state ESTABLISHED",
	"-A -t 86 -u UNSET -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p gre --srckey 4660 --dstkey 43981 --reply-key-src 43981 --reply-key-dst 4660",
	"-A -t 591 -u UNSET -s ::1 -d ::2 -r ::2 -q ::1 -p 50",
	"-A -t 29 -u UNSET -s 127.0.0.1 -d 127.0.0.1 -r 127.0.0.1 -q 127.0.0.1 -p sctp --sport 7777 --dport 8888 --reply-port-src 8888 --reply-port-dst 7777 --state (null) --orig-vtag 873594880 --reply-vtag 0",
	"-A -t 29 -u UNSET -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p dccp",
	"-U -t 119 -u SEEN_REPLY,ASSURED -s 10.3.0.1 -d 10.3.0.2 -r 10.3.0.2 -q 10.3.0.1 -p tcp --sport 1000 --dport 80 --reply-port-src 80 --reply-port-dst 1000 --state SYN_SENT [USERSPACE] portid=2746924753",
	"-D -u UNSET -s 0.0.0.0 -d 255.255.255.255 -r 255.255.255.255 -q 0.0.0.0 -p udp --sport 0 --dport 65535 --reply-port-src 65535 --reply-port-dst 0",
}

func TestSaveLines(t *testing.T) {
	for _, line := range saveLines {
		var f format.Flow
		if err := new(format.Dialect{Format: format.Save}).Parse([]byte(line), &f); err != nil {
			t.Errorf("%v\n%s", err, err.(*format.ParseError).Underline())
			continue
		}
		out, err := format.Dialect{Format: format.Save}.Append(nil, &f)
		if err != nil || string(out) != line+"\n" {
			t.Errorf("round trip:\n got: %q %v\nwant: %q", out, err, line)
		}
	}
	// NAT flags and the ICMP reply the kernel would make.
	var f format.Flow
	new(format.Dialect{Format: format.Save}).Parse([]byte(saveLines[0]), &f)
	if f.Status&format.StatusSrcNAT == 0 || f.Status&format.StatusDstNAT != 0 {
		t.Errorf("status %v, want src-nat", f.Status)
	}
	new(format.Dialect{Format: format.Save}).Parse([]byte("-A -t 26 -u SEEN_REPLY -s ::1 -d ::1 -r ::1 -q ::1 -p icmpv6 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 48879"), &f)
	text, _ := format.Dialect{Format: format.Conntrack}.Append(nil, &f)
	if !strings.Contains(string(text), "type=128 code=0 id=48879 src=::1 dst=::1 type=129 code=0 id=48879") {
		t.Errorf("ICMPv6 reply: %s", text)
	}
}

// TestSaveICMPReply reads the save line of each ICMP and ICMPv6 type the
// kernel tracks and prints it as conntrack -L: the pairs are what conntrack
// 1.4.7 printed with -o save and without, for entries made by conntrack -I
// on Linux 6.x (the kernel refused every other type with "invalid
// parameters").
func TestSaveICMPReply(t *testing.T) {
	for _, c := range []struct{ save, list string }{
		{"-p icmp --icmp-type 8 --icmp-code 0 --icmp-id 108", "icmp     1 99 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=108 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=108 mark=0 use=1"},
		{"-p icmp --icmp-type 0 --icmp-code 0 --icmp-id 100", "icmp     1 99 src=10.0.0.1 dst=10.0.0.2 type=0 code=0 id=100 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 type=8 code=0 id=100 mark=0 use=1"},
		{"-p icmp --icmp-type 13 --icmp-code 0 --icmp-id 113", "icmp     1 99 src=10.0.0.1 dst=10.0.0.2 type=13 code=0 id=113 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 type=14 code=0 id=113 mark=0 use=1"},
		{"-p icmp --icmp-type 14 --icmp-code 0 --icmp-id 114", "icmp     1 99 src=10.0.0.1 dst=10.0.0.2 type=14 code=0 id=114 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 type=13 code=0 id=114 mark=0 use=1"},
		{"-p icmp --icmp-type 15 --icmp-code 0 --icmp-id 115", "icmp     1 99 src=10.0.0.1 dst=10.0.0.2 type=15 code=0 id=115 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 type=16 code=0 id=115 mark=0 use=1"},
		{"-p icmp --icmp-type 16 --icmp-code 0 --icmp-id 116", "icmp     1 99 src=10.0.0.1 dst=10.0.0.2 type=16 code=0 id=116 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 type=15 code=0 id=116 mark=0 use=1"},
		{"-p icmp --icmp-type 17 --icmp-code 0 --icmp-id 117", "icmp     1 99 src=10.0.0.1 dst=10.0.0.2 type=17 code=0 id=117 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 type=18 code=0 id=117 mark=0 use=1"},
		{"-p icmp --icmp-type 18 --icmp-code 0 --icmp-id 118", "icmp     1 99 src=10.0.0.1 dst=10.0.0.2 type=18 code=0 id=118 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 type=17 code=0 id=118 mark=0 use=1"},
		{"-p icmpv6 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 228", "icmpv6   58 99 src=::1 dst=::2 type=128 code=0 id=228 [UNREPLIED] src=::2 dst=::1 type=129 code=0 id=228 mark=0 use=1"},
		{"-p icmpv6 --icmpv6-type 129 --icmpv6-code 0 --icmpv6-id 229", "icmpv6   58 99 src=::1 dst=::2 type=129 code=0 id=229 [UNREPLIED] src=::2 dst=::1 type=128 code=0 id=229 mark=0 use=1"},
		{"-p icmpv6 --icmpv6-type 139 --icmpv6-code 0 --icmpv6-id 239", "icmpv6   58 99 src=::1 dst=::2 type=139 code=0 id=239 [UNREPLIED] src=::2 dst=::1 type=140 code=0 id=239 mark=0 use=1"},
		{"-p icmpv6 --icmpv6-type 140 --icmpv6-code 0 --icmpv6-id 240", "icmpv6   58 99 src=::1 dst=::2 type=140 code=0 id=240 [UNREPLIED] src=::2 dst=::1 type=139 code=0 id=240 mark=0 use=1"},
	} {
		addrs := "-s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 "
		if strings.Contains(c.save, "icmpv6") {
			addrs = "-s ::1 -d ::2 -r ::2 -q ::1 "
		}
		var f format.Flow
		if err := new(format.Dialect{Format: format.Save}).Parse([]byte("-A -t 99 -u UNSET "+addrs+c.save), &f); err != nil {
			t.Errorf("%s: %v", c.save, err)
			continue
		}
		f.Fields |= format.FieldMark | format.FieldUse // conntrack -L prints them, save does not
		f.Use = 1
		got, err := format.Dialect{Format: format.Conntrack}.Append(nil, &f)
		if err != nil || string(got) != c.list+"\n" {
			t.Errorf("%s:\n got: %q %v\nwant: %q", c.save, got, err, c.list)
		}
	}
}

func TestSaveErrors(t *testing.T) {
	good := saveLines[2]
	for _, c := range []struct {
		name, line string
		err        error
		msg        string
	}{
		{"prefix", "-X" + good[2:], format.ErrSyntax, "expected -A, -U or -D"},
		// The kernel refuses entries of ICMP types it cannot invert.
		{"icmp type", "-A -t 9 -u UNSET -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p icmp --icmp-type 3 --icmp-code 0 --icmp-id 1", format.ErrRange, "no icmp type 3 (only requests and replies: 0, 8, 13, 14, 15, 16, 17, 18)"},
		{"icmpv6 type", "-A -t 9 -u UNSET -s ::1 -d ::2 -r ::2 -q ::1 -p icmpv6 --icmpv6-type 133 --icmpv6-code 0 --icmpv6-id 1", format.ErrRange, "no icmpv6 type 133"},
		{"status order", strings.Replace(good, "SEEN_REPLY,ASSURED", "ASSURED,SEEN_REPLY", 1), format.ErrUnknownName, "in that order"},
		// conntrack -I refuses empty names ("Bad parameter"); campaign find.
		{"trailing comma", strings.Replace(good, "FIXED_TIMEOUT ", "FIXED_TIMEOUT, ", 1), format.ErrUnknownName, `unknown or repeated status ""`},
		{"empty name", strings.Replace(good, "SEEN_REPLY,ASSURED", "SEEN_REPLY,,ASSURED", 1), format.ErrUnknownName, `unknown or repeated status ""`},
		// conntrack -o save prints no zone 0; the printer does not either.
		{"zone 0", strings.Replace(good, "-s ", "-w 0 -s ", 1), format.ErrRange, "zone 0, the default"},
		{"protocol name", strings.Replace(good, "-p tcp", "-p tpc", 1), format.ErrUnknownName, `unknown protocol "tpc"`},
		{"number for a named protocol", strings.Replace(good, "-p tcp", "-p 6", 1), format.ErrUnknownName, `unknown protocol "6"`},
		{"missing reply", strings.Replace(good, "-r 203.0.113.5 ", "", 1), format.ErrSyntax, "expected -r"},
		{"state", strings.Replace(good, "ESTABLISHED", "OPEN", 1), format.ErrUnknownName, "unknown tcp state"},
		{"address form", strings.Replace(saveLines[5], "-d ::2", "-d 0::2", 1), format.ErrAddress, "malformed ipv6 address"},
		{"truncated", good[:len(good)-12], format.ErrMissing, "no value after --state"},
		{"trailing", good + " --mark 1", format.ErrSyntax, `unexpected "--mark"`},
	} {
		var f format.Flow
		err := new(format.Dialect{Format: format.Save}).Parse([]byte(c.line), &f)
		var pe *format.ParseError
		if !errors.As(err, &pe) || !errors.Is(err, c.err) || !strings.Contains(pe.Msg, c.msg) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
