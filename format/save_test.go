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
		if err := format.Save.Parse([]byte(line), &f); err != nil {
			t.Errorf("%v\n%s", err, err.(*format.ParseError).Underline())
			continue
		}
		out, err := format.Save.Append(nil, &f)
		if err != nil || string(out) != line+"\n" {
			t.Errorf("round trip:\n got: %q %v\nwant: %q", out, err, line)
		}
	}
	// NAT flags and the ICMP reply the kernel would make.
	var f format.Flow
	format.Save.Parse([]byte(saveLines[0]), &f)
	if f.Status&format.StatusSrcNAT == 0 || f.Status&format.StatusDstNAT != 0 {
		t.Errorf("status %v, want src-nat", f.Status)
	}
	format.Save.Parse([]byte("-A -t 26 -u SEEN_REPLY -s ::1 -d ::1 -r ::1 -q ::1 -p icmpv6 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 48879"), &f)
	text, _ := format.Conntrack.Append(nil, &f)
	if !strings.Contains(string(text), "type=128 code=0 id=48879 src=::1 dst=::1 type=129 code=0 id=48879") {
		t.Errorf("ICMPv6 reply: %s", text)
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
		err := format.Save.Parse([]byte(c.line), &f)
		var pe *format.ParseError
		if !errors.As(err, &pe) || !errors.Is(err, c.err) || !strings.Contains(pe.Msg, c.msg) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
