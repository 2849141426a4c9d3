package format_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ctconv/ctconv/format"
)

// A valid line to damage, and its parts.
const (
	good   = "ipv4     2 tcp      6 117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=32775 dport=22 packets=1 bytes=60 [UNREPLIED] src=192.168.1.9 dst=192.168.1.6 sport=22 dport=32775 packets=0 bytes=0 mark=0 zone=0 delta-time=1 use=2"
	goodV6 = "ipv6     10 udp      17 29 src=0000:0000:0000:0000:0000:0000:0000:0001 dst=0000:0000:0000:0000:0000:0000:0000:0002 sport=1 dport=2 src=0000:0000:0000:0000:0000:0000:0000:0002 dst=0000:0000:0000:0000:0000:0000:0000:0001 sport=2 dport=1 mark=0 zone=0 use=2"
)

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		f     format.Format
		line  string
		err   error
		col   int    // 1-based column of the offending bytes
		field string // ParseError.Field
		msg   string // part of the message
	}{
		{"empty src", format.IPLegacy,
			"tcp      6 117 SYN_SENT src= dst= sport=50291 dport=25 src= dst= sport=25 dport=50291 use=1",
			format.ErrSyntax, 25, "original src", "empty value after src="},
		{"backslash continuation", format.IPLegacy,
			`tcp      6 117 SYN_SENT src=192.168.1.5 dst=192.168.1.35 sport=1031 \`,
			format.ErrSyntax, 69, "", "a backslash line continuation"},
		{"continuation line", format.IPLegacy,
			`     dport=23 [UNREPLIED] src=192.168.1.35 dst=192.168.1.5 sport=23 \`,
			format.ErrSyntax, 1, "protocol", "expected a protocol name"},
		{"unknown protocol name, known number", format.Proc,
			strings.Replace(good, "tcp      6", "tpc      6", 1),
			format.ErrUnknownName, 12, "protocol", `unknown protocol name "tpc"`},
		{"known name, unknown number", format.Proc,
			strings.Replace(good, "tcp      6", "tcp      200", 1),
			format.ErrMismatch, 12, "protocol", "protocol tcp is number 6, not 200"},
		{"number contradicts name", format.Proc,
			strings.Replace(good, "tcp      6", "tcp      17", 1),
			format.ErrMismatch, 12, "protocol", "protocol tcp is number 6, not 17"},
		{"protocol number above 255", format.Proc,
			strings.Replace(good, "tcp      6", "unknown  256", 1),
			format.ErrRange, 21, "protocol number", "256 is out of range (want 0 to 255)"},
		{"family contradicts number", format.Proc,
			strings.Replace(good, "ipv4     2", "ipv4     10", 1),
			format.ErrMismatch, 1, "family", "ipv4 has number 2, not 10"},
		{"wrong padding", format.Proc,
			strings.Replace(good, "tcp      6", "tcp 6", 1),
			format.ErrSyntax, 15, "protocol", "expected 6 spaces"},
		{"zone 0, which conntrack does not print", format.Conntrack,
			"ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 zone=0 use=1",
			format.ErrRange, 130, "zone", "conntrack prints no zone=0"},
		{"zone-orig 0", format.Conntrack,
			"udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 zone-orig=0 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 use=1",
			format.ErrRange, 58, "zone-orig", "conntrack prints no zone-orig=0"},
		{"port 65536", format.Proc,
			strings.Replace(good, "sport=32775", "sport=65536", 1),
			format.ErrRange, 74, "original sport", "65536 is out of range (want 0 to 65535)"},
		{"mark 2^32", format.Proc,
			strings.Replace(good, "mark=0", "mark=4294967296", 1),
			format.ErrRange, 0, "mark", "4294967296 is out of range"},
		{"counter 2^64", format.Proc,
			strings.Replace(good, "packets=1 ", "packets=18446744073709551616 ", 1),
			format.ErrRange, 0, "original packets", "18446744073709551616 is out of range"},
		{"counter leading zero", format.Proc,
			strings.Replace(good, "bytes=60", "bytes=060", 1),
			format.ErrSyntax, 0, "original bytes", "leading zero"},
		{"negative port", format.Proc,
			strings.Replace(good, "dport=22 ", "dport=-22 ", 1),
			format.ErrSyntax, 0, "original dport", "unexpected '-'"},
		{"IPv4 with 256", format.Proc,
			strings.Replace(good, "src=192.168.1.6", "src=192.168.1.256", 1),
			format.ErrAddress, 40, "original src", `malformed IPv4 address "192.168.1.256"`},
		{"IPv4 with leading zero", format.Proc,
			strings.Replace(good, "src=192.168.1.6", "src=192.168.01.6", 1),
			format.ErrAddress, 40, "original src", "malformed IPv4 address"},
		{"IPv6 with nine groups", format.Proc,
			strings.Replace(goodV6, "src=0000:0000:0000:0000:0000:0000:0000:0001", "src=0000:0000:0000:0000:0000:0000:0000:0000:0001", 1),
			format.ErrAddress, 32, "original src", "malformed IPv6 address"},
		{"IPv6 compressed", format.Proc,
			strings.Replace(goodV6, "src=0000:0000:0000:0000:0000:0000:0000:0001", "src=::1", 1),
			format.ErrAddress, 32, "original src", "eight groups of four lowercase hex digits"},
		{"IPv6 uppercase", format.Proc,
			strings.Replace(goodV6, "0000:0000:0000:0000:0000:0000:0000:0002 sport", "0000:0000:0000:0000:0000:0000:0000:000A sport", 1),
			format.ErrAddress, 0, "original dst", "malformed IPv6 address"},
		{"IPv6 address in an ipv4 line", format.Proc,
			strings.Replace(good, "dst=192.168.1.9", "dst=0000:0000:0000:0000:0000:0000:0000:0001", 1),
			format.ErrAddress, 0, "original dst", "IPv6 address \"0000:0000:0000:0000:0000:0000:0000:0001\" in an ipv4 flow"},
		{"IPv4 address in an ipv6 line", format.Proc,
			strings.Replace(goodV6, "dst=0000:0000:0000:0000:0000:0000:0000:0002", "dst=10.0.0.2", 1),
			format.ErrAddress, 0, "original dst", "IPv4 address \"10.0.0.2\" in an ipv6 flow"},
		{"IPv6 in ip_conntrack", format.IPLegacy,
			"udp      17 29 src=::1 dst=::2 sport=1 dport=2 src=::2 dst=::1 sport=2 dport=1 use=2",
			format.ErrAddress, 20, "original src", "IPv4-only format"},
		{"state that does not exist", format.Proc,
			strings.Replace(good, "SYN_SENT", "SYN_SEND", 1),
			format.ErrUnknownName, 27, "state", `unknown tcp state "SYN_SEND"`},
		{"sctp state on tcp", format.Proc,
			strings.Replace(good, "SYN_SENT", "COOKIE_WAIT", 1),
			format.ErrUnknownName, 27, "state", "unknown tcp state"},
		{"missing state", format.Proc,
			strings.Replace(good, "SYN_SENT ", "", 1),
			format.ErrMismatch, 1, "", "missing tcp state"},
		{"missing timeout", format.Proc,
			strings.Replace(good, "117 ", "", 1),
			format.ErrMismatch, 1, "", "missing timeout"},
		{"offload with timeout", format.Proc,
			strings.Replace(strings.Replace(good, "SYN_SENT ", "", 1), "bytes=0 mark", "bytes=0 [OFFLOAD] mark", 1),
			format.ErrMismatch, 1, "", "offloaded flow has no timeout"},
		{"truncated in the reply tuple", format.Proc,
			good[:strings.Index(good, "[UNREPLIED]")+30],
			format.ErrMissing, 0, "reply dst", "line ends in the middle of dst="},
		{"truncated in a value", format.Proc,
			good[:strings.Index(good, "mark=")+3],
			format.ErrMissing, 0, "mark", "line ends in the middle of mark="},
		{"truncated after the header", format.Proc,
			"ipv4     2 tcp",
			format.ErrMissing, 15, "protocol", "line ends after the name"},
		{"duplicated field", format.Proc,
			strings.Replace(good, "mark=0", "mark=0 mark=1", 1),
			format.ErrDuplicate, 0, "mark", `duplicate "mark=1"`},
		{"duplicated flag", format.Proc,
			strings.Replace(good, "[UNREPLIED]", "[UNREPLIED] [UNREPLIED]", 1),
			format.ErrDuplicate, 0, "unreplied", `duplicate "[UNREPLIED]"`},
		{"field out of order", format.Proc,
			strings.Replace(strings.Replace(good, "mark=0 ", "", 1), "use=2", "use=2 mark=0", 1),
			format.ErrOrder, 0, "mark", "out of place"},
		{"counters for one direction", format.Proc,
			strings.Replace(good, "packets=1 bytes=60 ", "", 1),
			format.ErrMismatch, 1, "", "counters for one direction only"},
		{"two zones", format.Proc,
			strings.Replace(good, "dport=22 packets=1", "dport=22 zone-orig=1 packets=1", 1),
			format.ErrMismatch, 1, "", "a flow has one zone"},
		{"NUL byte", format.Proc,
			strings.Replace(good, "use=2", "use=\x002", 1),
			format.ErrSyntax, 0, "use", "unexpected NUL byte"},
		{"CRLF", format.Proc,
			good + "\r",
			format.ErrSyntax, len(good) + 1, "use", "CRLF line ends"},
		{"trailing space", format.Proc,
			good + " ",
			format.ErrSyntax, len(good) + 1, "", "trailing space"},
		{"two spaces", format.Proc,
			strings.Replace(good, " src=192.168.1.9", "  src=192.168.1.9", 1),
			format.ErrSyntax, 0, "", "two spaces in a row"},
		{"bare word", format.Proc,
			strings.Replace(good, "mark=0", "mark=0 oops", 1),
			format.ErrSyntax, 0, "use", `expected use (use=...), found "oops"`},
		{"gre key not hex", format.Proc,
			"ipv4     2 gre      47 94 timeout=0, stream_timeout=0 src=10.0.0.1 dst=10.0.0.2 srckey=4660 dstkey=0xabcd src=10.0.0.2 dst=10.0.0.1 srckey=0xabcd dstkey=0x1234 use=2",
			format.ErrSyntax, 0, "original srckey", "want 0x and 1 to 4 lowercase hex digits"},
		{"invalid UTF-8 in secctx", format.Proc,
			strings.Replace(good, "zone=0", "secctx=\xff\xfe zone=0", 1),
			format.ErrSyntax, 0, "secctx", "invalid UTF-8"},
		{"use before mark in a 2.6 line", format.IPLegacy,
			"tcp      6 431999 ESTABLISHED src=10.0.0.2 dst=10.0.0.1 sport=1026 dport=22 src=10.0.0.1 dst=10.0.0.2 sport=22 dport=1026 [ASSURED] use=1 mark=7",
			format.ErrMismatch, 1, "", "use= before mark="},
		{"zone in ip_conntrack", format.IPLegacy,
			"tcp      6 431999 ESTABLISHED src=10.0.0.2 dst=10.0.0.1 sport=1026 dport=22 src=10.0.0.1 dst=10.0.0.2 sport=22 dport=1026 [ASSURED] mark=0 zone=0 use=1",
			format.ErrOrder, 0, "zone", `"zone=0" is a field that iplegacy never prints`},
		// A field of another format is not a vendor's: it is refused, not
		// kept, so that its value cannot pass unchecked (id= out of range
		// was kept as an unknown field).
		{"id in proc", format.Proc,
			"ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 zone=0 id=4294967296 use=2",
			format.ErrOrder, 137, "id", `"id=4294967296" is a field that proc never prints`},
		{"labels in proc", format.Proc,
			"ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 zone=0 labels=a use=2",
			format.ErrOrder, 137, "labels", `"labels=a" is a field that proc never prints`},
		{"offload in ip_conntrack", format.IPLegacy,
			"tcp      6 431999 ESTABLISHED src=10.0.0.2 dst=10.0.0.1 sport=1026 dport=22 src=10.0.0.1 dst=10.0.0.2 sport=22 dport=1026 [OFFLOAD] mark=0 use=1",
			format.ErrUnknownKey, 0, "", `unknown field "[OFFLOAD]"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var f format.Flow
			p := format.Dialect{Format: c.f, Strict: true}
			err := p.Parse([]byte(c.line), &f)
			var pe *format.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *ParseError", err)
			}
			if !errors.Is(err, c.err) {
				t.Errorf("got %v, want it to wrap %v", err, c.err)
			}
			if c.col != 0 && pe.Col != c.col {
				t.Errorf("column %d, want %d: %v\n%s", pe.Col, c.col, err, pe.Underline())
			}
			if pe.Field != c.field {
				t.Errorf("field %q, want %q: %v", pe.Field, c.field, err)
			}
			if !strings.Contains(pe.Msg, c.msg) {
				t.Errorf("message %q does not contain %q", pe.Msg, c.msg)
			}
			if pe.Col < 1 || pe.Col > len(c.line)+1 {
				t.Errorf("column %d outside the line", pe.Col)
			}
			if u := pe.Underline(); !strings.Contains(u, "^") {
				t.Errorf("underline marks nothing:\n%s", u)
			}
		})
	}
}

func TestUnderline(t *testing.T) {
	var f format.Flow
	err := new(format.Dialect{Format: format.Proc}).Parse([]byte(strings.Replace(good, "sport=32775", "sport=99999", 1)), &f)
	var pe *format.ParseError
	if !errors.As(err, &pe) {
		t.Fatal(err)
	}
	pe.File, pe.Line = "x.txt", 3
	if got, want := pe.Error(), "x.txt:3:74: original sport: 99999 is out of range (want 0 to 65535)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	lines := strings.Split(pe.Underline(), "\n")
	if len(lines) != 2 || lines[0] != pe.Text {
		t.Fatalf("underline:\n%s", pe.Underline())
	}
	if got := strings.TrimLeft(lines[1], " "); got != "^^^^^" || len(lines[1]) != 73+5 {
		t.Errorf("carets %q under %q", lines[1], lines[0])
	}
	// Control bytes are shown escaped and the carets follow them.
	pe2 := &format.ParseError{Col: 3, Len: 1, Text: "a\x00b\r"}
	if got, want := pe2.Underline(), "a\\x00b\\x0d\n     ^"; got != want {
		t.Errorf("Underline = %q, want %q", got, want)
	}
}

// TestUnderlineLong checks that Underline shows a bounded excerpt of a long
// line, around the offending bytes, with "…" where it cuts the line, and
// that a line too long to read shows its start and its length.
func TestUnderlineLong(t *testing.T) {
	// under returns the top line, and the columns of the carets and of X.
	under := func(u string) (top string, carets, x int) {
		top, bot, _ := strings.Cut(u, "\n")
		if i := strings.Index(top, "X"); i >= 0 {
			x = utf8.RuneCountInString(top[:i])
		}
		return top, strings.Index(bot, "^"), x
	}
	base := strings.Repeat("a", 60000) + strings.Repeat("b", 3000)
	for _, c := range []struct {
		name       string
		text       string
		col        int
		start, end bool // an ellipsis at the start, at the end
	}{
		{"middle", base[:30000] + "X" + base[30001:], 30001, true, true},
		{"start", "X" + base[1:], 1, false, true},
		{"end", base + "X", len(base) + 1, true, false},
		{"past the end", base, len(base) + 1, true, false},
	} {
		pe := &format.ParseError{Col: c.col, Len: 1, Text: c.text}
		u := pe.Underline()
		top, carets, x := under(u)
		if !strings.Contains(top, "X") {
			x = utf8.RuneCountInString(top) // the caret goes past the end
		}
		if len(u) > 2000 || carets != x || strings.HasPrefix(top, "…") != c.start || strings.HasSuffix(top, "…") != c.end {
			t.Errorf("%s: %d bytes, carets at %d under X at %d:\n%.300s", c.name, len(u), carets, x, u)
		}
	}

	line := good + strings.Repeat("x", 200000)
	sc, _ := format.NewScanner(strings.NewReader(line+"\n"), format.Dialect{Format: format.Proc})
	var pe *format.ParseError
	for _, err := range sc.Flows() {
		if !errors.As(err, &pe) {
			t.Fatalf("err = %v", err)
		}
		break
	}
	if want := "1:65537: line longer than 65536 bytes (" + strconv.Itoa(len(line)) + ")"; pe.Error() != want {
		t.Errorf("Error() = %q, want %q", pe.Error(), want)
	}
	u := pe.Underline()
	top, carets, _ := under(u)
	if len(u) > 1000 || !strings.HasPrefix(top, good) || !strings.HasSuffix(top, "…") || carets != utf8.RuneCountInString(top)-1 {
		t.Errorf("too long: %d bytes:\n%s", len(u), u)
	}
}

// TestLenient checks that, without strict mode, unknown fields are kept and
// print back where they were.
func TestLenient(t *testing.T) {
	line := strings.Replace(good, "mark=0 ", "mark=0 hwid=12 ", 1)
	var f format.Flow
	if err := new(format.Dialect{Format: format.Proc}).Parse([]byte(line), &f); err != nil {
		t.Fatal(err)
	}
	if f.Extras.Len() != 1 {
		t.Errorf("kept %d extras, want 1", f.Extras.Len())
	}
	var strict format.Flow
	p := format.Dialect{Format: format.Proc, Strict: true}
	if err := p.Parse([]byte(line), &strict); !errors.Is(err, format.ErrUnknownKey) {
		t.Errorf("strict: got %v, want ErrUnknownKey", err)
	}
	out, _ := format.Dialect{Format: format.Proc}.Append(nil, &f)
	if string(out) != line+"\n" {
		t.Errorf("got %q", out)
	}
}

// TestTimeRange parses times at the end of what the model holds, and one
// second past it: the kernel's [start=] and [stop=] in nanoseconds in a
// uint64 (to 2554), event times in microseconds in an int64 (to 294247).
// The last fit and print back as they were; those past are an ErrRange at
// the time, not a time wrapped round to another.
func TestTimeRange(t *testing.T) {
	const (
		destroy = "[DESTROY] ipv4     2 tcp      6 120 CLOSE src=127.0.0.1 dst=127.0.0.1 sport=48180 dport=1 packets=1 bytes=60 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=1 dport=48180 packets=1 bytes=40 delta-time=0 [start=Wed Nov 25 22:54:29 2026] [stop=Wed Nov 25 22:54:29 2026] id=3575694783"
		event   = "[1795647268.177940]\t    [NEW] tcp      6 100 NONE src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 mark=0 [USERSPACE] portid=30591 progname=conntrack"
		xml     = `<flow type="new"><meta direction="original"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.1</src><dst>10.0.0.2</dst></layer3><layer4 protonum="6" protoname="tcp"><sport>40000</sport><dport>80</dport></layer4></meta><meta direction="reply"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.2</src><dst>10.0.0.1</dst></layer3><layer4 protonum="6" protoname="tcp"><sport>80</sport><dport>40000</dport></layer4></meta><meta direction="independent"><state>NONE</state><timeout>100</timeout><mark>0</mark><id>2563558459</id><unreplied/></meta><when><hour>22</hour><min>54</min><sec>28</sec><wday>4</wday><day>25</day><month>11</month><year>2026</year></when></flow>`
	)
	for _, c := range []struct {
		name  string
		f     format.Format
		line  string
		at    string // where the error is, "" if none
		field string
	}{
		{"start, last second", format.Conntrack, strings.Replace(destroy, "[start=Wed Nov 25 22:54:29 2026]", "[start=Sun Jul 21 23:34:33 2554]", 1), "", ""},
		{"start, a second past", format.Conntrack, strings.Replace(destroy, "[start=Wed Nov 25 22:54:29 2026]", "[start=Sun Jul 21 23:34:34 2554]", 1), "Sun Jul 21 23:34:34 2554", "start"},
		{"stop, a year past", format.Conntrack, strings.Replace(destroy, "[stop=Wed Nov 25 22:54:29 2026]", "[stop=Wed Nov 25 00:00:00 8020]", 1), "Wed Nov 25 00:00:00 8020", "stop"},
		{"event time, last microsecond", format.Conntrack, strings.Replace(event, "1795647268.177940", "9223372036854.775807", 1), "", ""},
		{"event time, a microsecond past", format.Conntrack, strings.Replace(event, "1795647268.177940", "9223372036854.775808", 1), "9223372036854.775808", "event time"},
		{"event time, 18 digits", format.Conntrack, strings.Replace(event, "1795647268.177940", "999999999999999999.000000", 1), "999999999999999999.000000", "event time"},
		{"XML when, last second", format.XML, strings.Replace(xml, "<hour>22</hour><min>54</min><sec>28</sec><wday>4</wday><day>25</day><month>11</month><year>2026</year>", "<hour>4</hour><min>00</min><sec>54</sec><wday>1</wday><day>10</day><month>1</month><year>294247</year>", 1), "", ""},
		{"XML when, a second past", format.XML, strings.Replace(xml, "<hour>22</hour><min>54</min><sec>28</sec><wday>4</wday><day>25</day><month>11</month><year>2026</year>", "<hour>4</hour><min>00</min><sec>55</sec><wday>1</wday><day>10</day><month>1</month><year>294247</year>", 1), "294247", "year"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := format.Dialect{Format: c.f, Location: time.UTC, Strict: true}
			var f format.Flow
			err := d.Parse([]byte(c.line), &f)
			if c.at == "" {
				if err != nil {
					t.Fatal(err)
				}
				out, err := d.Append(nil, &f)
				if err != nil || strings.TrimSuffix(string(out), "\n") != c.line {
					t.Fatalf("printed back as\n%s (%v), want\n%s", out, err, c.line)
				}
				return
			}
			var pe *format.ParseError
			if !errors.As(err, &pe) || !errors.Is(err, format.ErrRange) {
				t.Fatalf("got %v, want an ErrRange *ParseError", err)
			}
			if col := strings.Index(c.line, c.at) + 1; pe.Col != col || pe.Field != c.field {
				t.Errorf("column %d, field %q; want %d, %q: %v\n%s", pe.Col, pe.Field, col, c.field, err, pe.Underline())
			}
		})
	}
}
