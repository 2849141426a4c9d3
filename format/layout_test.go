package format_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
)

// pastedLayouts are record lines as pastes lay them out, each with the line
// its producer printed. Where testdata/pasted has the line, it is that one.
var pastedLayouts = []struct {
	name      string
	f         format.Format
	pasted    string
	canonical string
}{
	{"blanks collapsed (048, Fedora Magazine)", format.Conntrack,
		"tcp 6 43184 ESTABLISHED src=192.168.2.5 dst=10.25.39.80 sport=5646 dport=443 src=10.25.39.80 dst=192.168.2.5 sport=443 dport=5646 [ASSURED] mark=0 use=1",
		"tcp      6 43184 ESTABLISHED src=192.168.2.5 dst=10.25.39.80 sport=5646 dport=443 src=10.25.39.80 dst=192.168.2.5 sport=443 dport=5646 [ASSURED] mark=0 use=1"},
	{"proc columns collapsed (013, Stack Overflow)", format.Proc,
		"ipv4 2 tcp 6 300 ESTABLISHED src=1.1.1.2 dst=2.2.2.2 sport=2000 dport=80 src=2.2.2.2 dst=1.1.1.1 sport=80 dport=12000 [ASSURED] mark=0 use=2",
		"ipv4     2 tcp      6 300 ESTABLISHED src=1.1.1.2 dst=2.2.2.2 sport=2000 dport=80 src=2.2.2.2 dst=1.1.1.1 sport=80 dport=12000 [ASSURED] mark=0 use=2"},
	{"odd runs of blanks (035, study notes)", format.IPLegacy,
		"tcp  6   117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=32775  dport=22 [UNREPLIED] src=192.168.1.9 dst=192.168.1.6 sport=22 dport=32775 use=2",
		"tcp      6 117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=32775 dport=22 [UNREPLIED] src=192.168.1.9 dst=192.168.1.6 sport=22 dport=32775 use=2"},
	{"TAB indentation (009, klog)", format.Conntrack,
		"\tudp      17 23 src=10.11.4.30 dst=10.12.201.0 sport=34152 dport=8125 [UNREPLIED] src=10.11.4.22 dst=10.11.4.30 sport=8125 dport=34152 mark=0 use=1",
		"udp      17 23 src=10.11.4.30 dst=10.12.201.0 sport=34152 dport=8125 [UNREPLIED] src=10.11.4.22 dst=10.11.4.30 sport=8125 dport=34152 mark=0 use=1"},
	{"space indentation (027, reStructuredText)", format.Conntrack,
		"      tcp      6 src=198.51.100.100 dst=192.0.2.100 sport=41676 dport=1122 src=192.0.2.100 dst=198.51.100.100 sport=1122 dport=41676 [OFFLOAD] mark=0 use=2",
		"tcp      6 src=198.51.100.100 dst=192.0.2.100 sport=41676 dport=1122 src=192.0.2.100 dst=198.51.100.100 sport=1122 dport=41676 [OFFLOAD] mark=0 use=2"},
	{"event column indented (030, markdown)", format.Conntrack,
		"    [UPDATE] udp      17 30 src=192.168.9.13 dst=192.168.9.12 sport=12345 dport=25000 src=192.168.9.11 dst=192.168.9.12 sport=25000 dport=12345",
		" [UPDATE] udp      17 30 src=192.168.9.13 dst=192.168.9.12 sport=12345 dport=25000 src=192.168.9.11 dst=192.168.9.12 sport=25000 dport=12345"},
	{"event column without its padding (041, mail)", format.Conntrack,
		"[NEW] tcp      6 120 SYN_SENT src=fd00::192:168:5:32 dst=2a05:d014:687:ed01::21 sport=58790 dport=443 [UNREPLIED] src=2a05:d014:687:ed01::21 dst=2003:a:c7f:e5e8:a3ae:63f7:7f92:e286 sport=443 dport=60848 mark=16777216",
		"    [NEW] tcp      6 120 SYN_SENT src=fd00::192:168:5:32 dst=2a05:d014:687:ed01::21 sport=58790 dport=443 [UNREPLIED] src=2a05:d014:687:ed01::21 dst=2003:a:c7f:e5e8:a3ae:63f7:7f92:e286 sport=443 dport=60848 mark=16777216"},
	{"event time with blanks for its TAB (issue 15)", format.Conntrack,
		"[1685571135.590407]  [NEW] tcp   6 120 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000",
		"[1685571135.590407]\t    [NEW] tcp      6 120 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000"},
	{"spaced microseconds collapsed (conntrack before 1.4.2)", format.Conntrack,
		"[1368612345.123 ] [UPDATE] tcp 6 60 SYN_RECV src=192.0.2.10 dst=198.51.100.7 sport=40116 dport=80 src=198.51.100.7 dst=192.0.2.10 sport=80 dport=40116",
		"[1368612345.123   ]\t [UPDATE] tcp      6 60 SYN_RECV src=192.0.2.10 dst=198.51.100.7 sport=40116 dport=80 src=198.51.100.7 dst=192.0.2.10 sport=80 dport=40116"},
	{"extended, ktimestamp, one-digit day collapsed", format.Conntrack,
		"[DESTROY] ipv4 2 tcp 6 120 CLOSE src=127.0.0.1 dst=127.0.0.1 sport=48180 dport=1 packets=1 bytes=60 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=1 dport=48180 packets=1 bytes=40 delta-time=0 [start=Thu Nov 5 22:54:29 2026] [stop=Thu Nov 5 22:54:29 2026] id=3575694783",
		"[DESTROY] ipv4     2 tcp      6 120 CLOSE src=127.0.0.1 dst=127.0.0.1 sport=48180 dport=1 packets=1 bytes=60 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=1 dport=48180 packets=1 bytes=40 delta-time=0 [start=Thu Nov  5 22:54:29 2026] [stop=Thu Nov  5 22:54:29 2026] id=3575694783"},
	{"no-break spaces of a web page", format.Conntrack,
		"udp\u00a0 \u00a0 \u00a0 17 23 src=10.11.4.30\u00a0dst=10.12.201.0 sport=34152 dport=8125 [UNREPLIED] src=10.11.4.22 dst=10.11.4.30 sport=8125 dport=34152 mark=0 use=1",
		"udp      17 23 src=10.11.4.30 dst=10.12.201.0 sport=34152 dport=8125 [UNREPLIED] src=10.11.4.22 dst=10.11.4.30 sport=8125 dport=34152 mark=0 use=1"},
	{"ideographic spaces of a CJK document", format.Proc,
		"ipv4\u30002\u3000tcp\u30006 300 ESTABLISHED src=1.1.1.2 dst=2.2.2.2 sport=2000 dport=80 src=2.2.2.2 dst=1.1.1.1 sport=80 dport=12000 [ASSURED] mark=0 use=2",
		"ipv4     2 tcp      6 300 ESTABLISHED src=1.1.1.2 dst=2.2.2.2 sport=2000 dport=80 src=2.2.2.2 dst=1.1.1.1 sport=80 dport=12000 [ASSURED] mark=0 use=2"},
	{"trailing blanks", format.Proc,
		"ipv6     10 udp      17 13 src=fe80:0000:0000:0000:aeba:c0ff:fe48:8a8e dst=ff02:0000:0000:0000:0000:0000:0000:00fb sport=5353 dport=5353 [UNREPLIED] src=ff02:0000:0000:0000:0000:0000:0000:00fb dst=fe80:0000:0000:0000:aeba:c0ff:fe48:8a8e sport=5353 dport=5353 mark=0 zone=0 use=2 \t ",
		"ipv6     10 udp      17 13 src=fe80:0000:0000:0000:aeba:c0ff:fe48:8a8e dst=ff02:0000:0000:0000:0000:0000:0000:00fb sport=5353 dport=5353 [UNREPLIED] src=ff02:0000:0000:0000:0000:0000:0000:00fb dst=fe80:0000:0000:0000:aeba:c0ff:fe48:8a8e sport=5353 dport=5353 mark=0 zone=0 use=2"},
	{"vendor tokens re-laid (037, Keenetic)", format.Proc,
		"ipv4 2 udp 17 11 src=127.0.0.1 dst=127.0.0.1 sport=60853 dport=54321 packets=2 bytes=122 src=127.0.0.1 dst=127.0.0.1 sport=54321 dport=60853 packets=2 bytes=320 mark=0 nmark=0 sc=0 nomac  swan no_if attrs= use=2",
		"ipv4     2 udp      17 11 src=127.0.0.1 dst=127.0.0.1 sport=60853 dport=54321 packets=2 bytes=122 src=127.0.0.1 dst=127.0.0.1 sport=54321 dport=60853 packets=2 bytes=320 mark=0 nmark=0 sc=0 nomac swan no_if attrs= use=2"},
	{"2.4 use before mark, its trailing blank lost", format.IPLegacy,
		"tcp      6 431999 ESTABLISHED src=192.0.2.10 dst=198.51.100.7 sport=40112 dport=21 packets=12 bytes=800 src=198.51.100.7 dst=192.0.2.10 sport=21 dport=40112 packets=10 bytes=1200 [ASSURED] use=2 mark=0",
		"tcp      6 431999 ESTABLISHED src=192.0.2.10 dst=198.51.100.7 sport=40112 dport=21 packets=12 bytes=800 src=198.51.100.7 dst=192.0.2.10 sport=21 dport=40112 packets=10 bytes=1200 [ASSURED] use=2 mark=0 "},
	{"save, TABs and runs", format.Save,
		"  -A -t 101  -u SEEN_REPLY\t-s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p tcp --sport 40001 --dport 80 --reply-port-src 80 --reply-port-dst 40001 --state SYN_SENT [USERSPACE] portid=30592 progname=conntrack ",
		"-A -t 101 -u SEEN_REPLY -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p tcp --sport 40001 --dport 80 --reply-port-src 80 --reply-port-dst 40001 --state SYN_SENT [USERSPACE] portid=30592 progname=conntrack"},
	{"restore, indented", format.Restore,
		"\t-I -t 101 -u SEEN_REPLY -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p tcp --sport 40001 --dport 80 --reply-port-src 80 --reply-port-dst 40001 --state SYN_SENT  -m 7",
		"-I -t 101 -u SEEN_REPLY -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p tcp --sport 40001 --dport 80 --reply-port-src 80 --reply-port-dst 40001 --state SYN_SENT -m 7"},
}

// pastedExpects are expectation lines as pastes lay them out.
var pastedExpects = []struct {
	name      string
	f         format.Format
	pasted    string
	canonical string
}{
	{"proc, the tuple's trailing blank lost (2.6.24)", format.ProcExpect,
		"297 l3proto = 2 proto=6 src=192.0.2.10 dst=198.51.100.7 sport=0 dport=40120",
		"297 l3proto = 2 proto=6 src=192.0.2.10 dst=198.51.100.7 sport=0 dport=40120 "},
	{"proc, runs and a helper (036, PPTP)", format.ProcExpect,
		"133  l3proto  =  2 proto=47 src=192.168.13.152 dst=192.168.13.118 srckey=0xa9a0 dstkey=0x6bd8 pptp  ",
		"133 l3proto = 2 proto=47 src=192.168.13.152 dst=192.168.13.118 srckey=0xa9a0 dstkey=0x6bd8 pptp"},
	{"conntrack, event padding lost", format.ConntrackExpect,
		"[NEW] 300 proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=10000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=127.0.0.1 master-dst=127.0.0.1 sport=40704 dport=2121 class=0  helper=ftp",
		"    [NEW] 300 proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=10000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=127.0.0.1 master-dst=127.0.0.1 sport=40704 dport=2121 class=0 helper=ftp"},
}

// TestPastedLayout checks that a record line in a pasted layout reads as the
// line its producer printed, and prints as that; that --strict rejects it;
// and that a Scanner counts it.
func TestPastedLayout(t *testing.T) {
	for _, c := range pastedLayouts {
		t.Run(c.name, func(t *testing.T) {
			strict := format.Dialect{Format: c.f, Strict: true, Location: time.UTC}
			var want format.Flow
			if err := (&format.Dialect{Format: c.f, Location: time.UTC}).Parse([]byte(c.canonical), &want); err != nil {
				t.Fatalf("canonical line: %v", err)
			}
			p := format.Dialect{Format: c.f, Location: time.UTC}
			var got format.Flow
			if err := p.Parse([]byte(c.pasted), &got); err != nil {
				t.Fatalf("pasted line: %v", err)
			}
			if d := cmp.Diff(want, got, cmpOpts...); d != "" {
				t.Errorf("pasted line reads otherwise than its producer's (-want +got):\n%s", d)
			}
			pr := format.Dialect{Format: c.f, Options: shown(t, p, []byte(c.pasted)), Location: time.UTC}
			out, err := pr.Append(nil, &got)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.canonical+"\n" {
				t.Errorf("printed\n%q\nwant the producer's\n%q", out, c.canonical+"\n")
			}
			if err := strict.Parse([]byte(c.pasted), &got); err == nil {
				t.Errorf("Strict read it")
			}
			sc, err := format.NewScanner(strings.NewReader(c.canonical+"\n"+c.pasted+"\n"), format.Dialect{Format: c.f, Location: time.UTC})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := readTo(sc.Flows()); err != nil || sc.Normalized() != 1 {
				t.Errorf("Scanner: %v, Normalized %d, want 1", err, sc.Normalized())
			}
		})
	}
	for _, c := range pastedExpects {
		t.Run(c.name, func(t *testing.T) {
			strict := format.Dialect{Format: c.f, Strict: true}
			var want, got format.Expect
			if err := strict.ParseExpect([]byte(c.canonical), &want); err != nil {
				t.Fatalf("canonical line: %v", err)
			}
			p := format.Dialect{Format: c.f}
			if err := p.ParseExpect([]byte(c.pasted), &got); err != nil {
				t.Fatalf("pasted line: %v", err)
			}
			if d := cmp.Diff(want, got, cmpOpts...); d != "" {
				t.Errorf("pasted line reads otherwise than its producer's (-want +got):\n%s", d)
			}
			pr := format.Dialect{Format: c.f, Options: shown(t, p, []byte(c.pasted))}
			out, err := pr.AppendExpect(nil, &got)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.canonical+"\n" {
				t.Errorf("printed\n%q\nwant the producer's\n%q", out, c.canonical+"\n")
			}
			if err := strict.ParseExpect([]byte(c.pasted), &got); err == nil {
				t.Errorf("Strict took the pasted line")
			}
			sc, err := format.NewScanner(strings.NewReader(c.pasted+"\n"+c.canonical+"\n"), format.Dialect{Format: c.f})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := readTo(sc.Expects()); err != nil || sc.Normalized() != 1 {
				t.Errorf("Scanner: %v, Normalized %d, want 1", err, sc.Normalized())
			}
		})
	}
}

// TestPastedLayoutErrors checks that a pasted line whose content no
// producer prints is still an error, at its column in the pasted line.
func TestPastedLayoutErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		f    format.Format
		line string
		at   string // the bytes the error points at
		err  error
	}{
		{"obfuscated address (047)", format.IPLegacy,
			"tcp      6 431665 ESTABLISHED src=X.X.X.X dst=X.X.X.X sport=4640  dport=8082 src=X.X.X.X dst=X.X.X.X sport=8082 dport=4640 [ASSURED]  mark=0 use=2",
			"X.X.X.X", format.ErrAddress},
		{"comment glued after the record (051)", format.Conntrack,
			"tcp 6  43184 ESTABLISHED src=192.168.2.5 dst=10.25.39.80     sport=5646  dport=443              src=10.25.39.80     dst=192.168.2.5 sport=443  dport=5646 [ASSURED] mark=0 use=1 # ",
			"#", format.ErrSyntax},
		{"blanks after six microsecond digits (more/096)", format.Conntrack,
			"[1656942980.634473        ]\t    [DESTROY] tcp      6 src=10.0.0.5 dst=10.0.0.6 sport=1 dport=2 src=10.0.0.6 dst=10.0.0.5 sport=2 dport=1",
			"[1656942980.634473        ]", format.ErrSyntax},
		{"number out of range after a TAB", format.Conntrack,
			"tcp\t6 117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=327750 dport=22 [UNREPLIED] src=192.168.1.9 dst=192.168.1.6 sport=22 dport=32775 use=2",
			"327750", format.ErrRange},
		{"unknown state after runs", format.Proc,
			"  ipv4 2   tcp 6   117   SYN_SNT src=192.168.1.6 dst=192.168.1.9 sport=32775 dport=22 [UNREPLIED] src=192.168.1.9 dst=192.168.1.6 sport=22 dport=32775 mark=0 use=2",
			"SYN_SNT", format.ErrUnknownName},
		{"mangled tail (020)", format.Proc,
			"ipv4     2 tcp      6 7439 ESTABLISHED src=192.168.1.10 dst=192.168.1.1 sport=40818 dport=80 packets=19 bytes=2332 src=192.168.1.1 dst=192.168.1.10 sport=80 dport=40818 packets=18 bytes=4807 [ASSURED] mark=0 zo2",
			"zo2", format.ErrSyntax},
		{"field name without its value among vendor words", format.Proc,
			"ipv4     2 udp      17 11 src=127.0.0.1 dst=127.0.0.1 sport=60853 dport=54321 src=127.0.0.1 dst=127.0.0.1 sport=54321 dport=60853 mark=0 nomac zone attrs= use=2",
			"zone", format.ErrSyntax},
		{"bare word before the reply tuple", format.Conntrack,
			"tcp      6 117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=32775 dport=22 slan src=192.168.1.9 dst=192.168.1.6 sport=22 dport=32775 use=2",
			"slan", format.ErrSyntax},
		{"expectation, bad address after runs", format.ProcExpect,
			"297  l3proto = 2 proto=6 src=192.0.2.300 dst=198.51.100.7 sport=0 dport=40120",
			"192.0.2.300", format.ErrAddress},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := format.Dialect{Format: c.f}
			var err error
			err = parseAny(p, []byte(c.line))
			var pe *format.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *ParseError", err)
			}
			if !errors.Is(err, c.err) {
				t.Errorf("got %v, want it to wrap %v", err, c.err)
			}
			if want := strings.Index(c.line, c.at) + 1; pe.Col != want || pe.Len != len(c.at) {
				t.Errorf("column %d, length %d, want %d, %d: %v\n%s", pe.Col, pe.Len, want, len(c.at), err, pe.Underline())
			}
			if pe.Text != c.line {
				t.Errorf("the error shows %q, not the line read", pe.Text)
			}
		})
	}
}

// TestVendorTokens checks that a vendor's bare words and empty values
// among the trailing fields are kept in place, print back, and are counted;
// Strict rejects them.
func TestVendorTokens(t *testing.T) {
	for _, c := range []struct {
		f    format.Format
		line string
		want []extra
	}{
		{format.Proc,
			"ipv4     2 udp      17 11 src=127.0.0.1 dst=127.0.0.1 sport=60853 dport=54321 packets=2 bytes=122 src=127.0.0.1 dst=127.0.0.1 sport=54321 dport=60853 packets=2 bytes=320 mark=0 nmark=0 sc=0 nomac swan no_if attrs= use=2",
			[]extra{{format.SlotMark, "nmark=0"}, {format.SlotMark, "sc=0"}, {format.SlotMark, "nomac"}, {format.SlotMark, "swan"}, {format.SlotMark, "no_if"}, {format.SlotMark, "attrs="}}},
		{format.Conntrack,
			"udp      17 143 src=192.168.2.4 dst=192.168.2.1 sport=49776 dport=53 packets=9 bytes=738 src=192.168.2.1 dst=192.168.2.4 sport=53 dport=49776 packets=9 bytes=2570 [ASSURED] mark=0 nmark=0 sc=0 ifl=31 mac=50:ff:20:b2:75:78 slan attrs= use=2 id=67890",
			[]extra{{format.SlotMark, "nmark=0"}, {format.SlotMark, "sc=0"}, {format.SlotMark, "ifl=31"}, {format.SlotMark, "mac=50:ff:20:b2:75:78"}, {format.SlotMark, "slan"}, {format.SlotMark, "attrs="}}},
	} {
		var f format.Flow
		p := format.Dialect{Format: c.f}
		if err := p.Parse([]byte(c.line), &f); err != nil {
			t.Fatalf("%v\n%s", err, c.line)
		}
		if d := cmp.Diff(c.want, extrasList(f.Extras)); d != "" {
			t.Errorf("extras (-want +got):\n%s", d)
		}
		out, err := (format.Dialect{Format: c.f, Options: shown(t, p, []byte(c.line))}).Append(nil, &f)
		if err != nil || string(out) != c.line+"\n" {
			t.Errorf("printed %q, %v\nwant %q", out, err, c.line)
		}
		strict := format.Dialect{Format: c.f, Strict: true}
		if err := strict.Parse([]byte(c.line), &f); err == nil {
			t.Errorf("Strict took vendor tokens: %s", c.line)
		}
	}
}

// TestPastedLayoutEnds checks errors at and past the end of a line that
// was laid out again: they point after its last token.
func TestPastedLayoutEnds(t *testing.T) {
	for _, c := range []struct {
		f    format.Format
		line string
	}{
		{format.Proc, "ipv4 2"},
		{format.Proc, " ipv4 2 tcp\t6  "},
		{format.Conntrack, "[NEW]  "},
		{format.Conntrack, "[1685571135.590407]  "},
		{format.IPLegacy, "tcp 6 117 SYN_SENT src=192.168.1.6\t"},
		{format.ProcExpect, "297  l3proto = 2 proto=6 src=192.0.2.10"},
	} {
		var err error
		p := format.Dialect{Format: c.f}
		err = parseAny(p, []byte(c.line))
		var pe *format.ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("%q: got %v, want a *ParseError", c.line, err)
		}
		if end := len(strings.TrimRight(c.line, " \t")) + 1; pe.Col < 1 || pe.Col > end+1 {
			t.Errorf("%q: column %d, want 1 to %d: %v", c.line, pe.Col, end+1, err)
		}
	}
}

// TestPastedLayoutOptions reads lines whose first, exact reading fails
// after it took them for a layout they are not (conntrack's "unknown  0"
// for -o extended's family columns): the options a line shows are those of
// the reading that succeeds, and a bad line shows none. FuzzRelayout found
// the first.
func TestPastedLayoutOptions(t *testing.T) {
	for _, line := range []string{
		"unknown  0   src=0.0.0.0 dst=0.0.0.0  src=0.0.0.0   dst=0.0.0.0",
		"unknown  0 src=0.0.0.0 bad",
	} {
		p := format.Dialect{Format: format.Conntrack}
		var f format.Flow
		err := p.Parse([]byte(line), &f)
		if o := shown(t, p, []byte(line)); o != 0 {
			t.Errorf("%q (%v): options %v, want none", line, err, o)
		}
	}
}

// parseAny parses line with p into a record of the kind p's format holds.
func parseAny(p format.Dialect, line []byte) error {
	switch {
	case p.Format.Statistics():
		return p.ParseStats(line, new(format.Stats))
	case p.Format.Expectations():
		return p.ParseExpect(line, new(format.Expect))
	}
	return p.Parse(line, new(format.Flow))
}

// TestWrappedRecords reads records that a paste wrapped without a
// backslash. A record cut short goes on on the lines that continue it:
// one whose line ends where a field is due (the reply's counters, after
// the original's), or in a vendor's bare word, which is an error where it
// ends a record (FuzzPaste found both). A record whose first line reads
// whole on its own, as one without its mark= or use= does, takes a line
// after it where it reads with the line and gains no token its parser
// does not know; else the line is one of its own, and a bad one. The
// records read the same wherever the reads of the input end, on one core
// or several.
func TestWrappedRecords(t *testing.T) {
	const (
		listed   = "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 [ASSURED] mark=0 use=1"
		event    = "    [NEW] tcp      6 100 NONE src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 mark=0 [USERSPACE] portid=9931"
		counters = "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 packets=3 bytes=180 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 packets=2 bytes=120 [ASSURED] mark=0 use=1"
		bracket  = "    [NEW] ipv4     2 tcp      6 100 SYN_RECV src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 [0] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 [ 0=0]"
		keenetic = "udp      17 143 src=192.168.2.4 dst=192.168.2.1 sport=49776 dport=53 packets=9 bytes=738 src=192.168.2.1 dst=192.168.2.4 sport=53 dport=49776 packets=9 bytes=2570 [ASSURED] mark=0 nmark=0 sc=0 ifl=31 mac=50:ff:20:b2:75:78 slan use=2 id=67890"
	)
	for _, c := range []struct {
		name   string
		f      format.Format
		line   string
		wrap   string // the line as a paste wraps it
		joined bool   // the wrapped lines read as line
	}{
		{"before the reply's packets=", format.Conntrack, counters, strings.Replace(counters, " packets=2", "\n   packets=2", 1), true},
		// The record reads without the line that ends in the word, not
		// with it, and again with the line after.
		{"a vendor's word ends a line", format.Conntrack, keenetic, strings.NewReplacer(" dport=53 ", "\n   dport=53 ", " sc=0 ", "\n   sc=0 ", " slan ", " slan\n   ").Replace(keenetic), true},
		{"a vendor's word ends the first line", format.Conntrack, keenetic, strings.Replace(keenetic, " slan ", " slan\n   ", 1), true},
		{"before mark=", format.Conntrack, listed, strings.Replace(listed, " mark=", "\n   mark=", 1), true},
		{"before use=", format.Conntrack, listed, strings.Replace(listed, " use=", "\n use=", 1), true},
		{"twice", format.Conntrack, listed, strings.NewReplacer(" mark=", "\n\tmark=", " use=", "\n\tuse=").Replace(listed), true},
		{"before [USERSPACE]", format.Conntrack, event, strings.Replace(event, " [USERSPACE]", "\n     [USERSPACE]", 1), true},
		// A wrap at a blank that the line keeps stands for that blank.
		{"after a blank the line keeps", format.Conntrack, listed, strings.Replace(listed, " use=", " \n use=", 1), true},
		{"after a blank in a vendor's [...]", format.Conntrack, bracket, strings.Replace(bracket, "[ 0=0]", "[ \n      0=0]", 1), true},
		{"crlf", format.Conntrack, listed, strings.Replace(listed, " use=", "\r\n use=", 1) + "\r", true},
		// Not the record's: the line holds a token the parser does not
		// know, or a field the record has.
		{"an unknown key", format.Conntrack, listed, listed + "\n  found=0 invalid=130", false},
		{"a vendor's word", format.Conntrack, strings.TrimSuffix(listed, " use=1"), strings.Replace(listed, " use=", "\nslan use=", 1), false},
		{"a field again", format.Conntrack, listed, listed + "\n use=2", false},
		// Nor a line that goes on with a backslash: it is a record's.
		{"a backslash after", format.Conntrack, strings.TrimSuffix(listed, " mark=0 use=1"), strings.Replace(listed, " mark=0 use=1", "\n  mark=0 \\\n  use=1", 1), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := format.Dialect{Format: c.f}
			var want format.Flow
			if err := d.Parse([]byte(c.line), &want); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(c.wrap, "\r") {
				want.Quirks |= format.QuirkCRLF
			}
			for _, pad := range []int{0, 64 << 10} {
				// Padded with blank lines, the first Read of a file ends at
				// and around the wrap: in the token after it, on its blank,
				// or at the line's end.
				for k := range 24 {
					var in string
					if pad > 0 {
						nl := strings.Index(c.wrap, "\n")
						if nl+k+1 > pad {
							break
						}
						in = strings.Repeat("\n", pad-nl-k-1)
					}
					in += c.wrap + "\n"
					for _, workers := range []int{1, 2} {
						flows, bad, err := scanAll(t, strings.NewReader(in), d, format.WithWorkers(workers))
						if err != nil {
							t.Fatal(err)
						}
						switch {
						case c.joined && (len(flows) != 1 || len(bad) > 0):
							t.Fatalf("pad %d, %d workers: %d flows, bad lines %q; want one flow", len(in)-len(c.wrap)-1, workers, len(flows), bad)
						case c.joined:
							if diff := cmp.Diff(want, flows[0], cmpOpts...); diff != "" {
								t.Fatalf("pad %d, %d workers: read as (-want +got):\n%s", len(in)-len(c.wrap)-1, workers, diff)
							}
						case len(flows) != 1 || len(bad) != 1:
							t.Fatalf("pad %d, %d workers: %d flows, bad lines %q; want one flow and one bad line", len(in)-len(c.wrap)-1, workers, len(flows), bad)
						}
					}
					if pad == 0 {
						break
					}
				}
			}
			// --strict joins no line.
			d.Strict = true
			if _, bad, _ := scanAll(t, strings.NewReader(c.wrap+"\n"), d); len(bad) == 0 {
				t.Error("strict: no bad line")
			}
		})
	}
}

// TestReplyCounters checks where a line without the reply's counters,
// which the original's call for, is wrong: at its end, where they are
// due and where a line that goes on would continue it (TestWrappedRecords),
// or, where it goes on after the reply tuple, the whole record.
func TestReplyCounters(t *testing.T) {
	const line = "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 packets=3 bytes=180 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 packets=2 bytes=120 [ASSURED] mark=0 use=1"
	d := format.Dialect{Format: format.Conntrack}
	head, _, _ := strings.Cut(line, " packets=2")
	for _, c := range []struct{ line, msg string }{
		{head, strconv.Itoa(len(head)+1) + ": reply-counters: line ends where reply-counters (packets=...) was expected (truncated line?)"},
		{strings.Replace(line, " packets=2 bytes=120", "", 1), "1: counters for one direction only: the kernel reports both or neither"},
	} {
		var f format.Flow
		if err := d.Parse([]byte(c.line), &f); err == nil || err.Error() != c.msg {
			t.Errorf("%q: %v; want %s", c.line, err, c.msg)
		}
	}
}
