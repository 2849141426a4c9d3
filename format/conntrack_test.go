package format_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
)

// FORMATS.md's examples of conntrack's text, observed on Linux 6.18 with
// conntrack-tools 1.4.7, each with the -o options it was printed with.
var conntrackLines = []struct {
	opts string
	line string
}{
	{"", "tcp      6 431884 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=35200 dport=2121 packets=7 bytes=400 src=127.0.0.1 dst=127.0.0.1 sport=2121 dport=35200 packets=5 bytes=294 [ASSURED] mark=0 delta-time=116 helper=ftp use=1"},
	{"", "tcp      6 595 ESTABLISHED src=2001:db8::1 dst=2001:db8::1:0:0:1 sport=50000 dport=22 packets=0 bytes=0 src=2001:db8::1:0:0:1 dst=2001:db8::1 sport=22 dport=50000 packets=0 bytes=0 [ASSURED] mark=0 delta-time=4 use=1"},
	{"", "icmpv6   58 25 src=::1 dst=::ffff:192.0.2.1 type=128 code=0 id=7 packets=0 bytes=0 [UNREPLIED] src=::ffff:192.0.2.1 dst=::1 type=129 code=0 id=7 packets=0 bytes=0 mark=0 delta-time=4 use=1"},
	{"", "dccp     33 95 src=10.0.0.1 dst=10.0.0.2 sport=0 dport=0 packets=0 bytes=0 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=0 dport=0 packets=0 bytes=0 mark=0 delta-time=4 use=1"},
	{"", "tcp      6 290 ESTABLISHED src=10.1.0.1 dst=10.1.0.2 sport=1111 dport=2224 packets=0 bytes=0 src=10.1.0.2 dst=10.1.0.1 sport=2224 dport=1111 zone-reply=65535 packets=0 bytes=0 mark=0 delta-time=9 use=1"},
	{"extended,id,ktimestamp", "ipv4     2 tcp      6 86 TIME_WAIT src=10.0.0.3 dst=10.0.0.4 sport=0 dport=65535 packets=0 bytes=0 [UNREPLIED] src=10.0.0.4 dst=10.0.0.3 sport=65535 dport=0 packets=0 bytes=0 mark=4294967295 delta-time=14 [start=Wed Nov 25 21:56:49 2026] use=1 id=2629199709"},
	{"labels", "tcp      6 119 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=51256 dport=8080 packets=6 bytes=398 src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=51256 packets=6 bytes=3859 [ASSURED] mark=0 delta-time=0 use=1 labels=zero-label,bit3-label,web traffic"},
	{"", "    [NEW] tcp      6 120 SYN_SENT src=127.0.0.1 dst=127.0.0.1 sport=38868 dport=2121 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=2121 dport=38868 helper=ftp"},
	{"", " [UPDATE] tcp      6 432000 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=38868 dport=2121 src=127.0.0.1 dst=127.0.0.1 sport=2121 dport=38868 [ASSURED] helper=ftp"},
	{"id,ktimestamp", "[DESTROY] udp      17 src=::1.2.3.4 dst=2001:db8::99 sport=103 dport=9 packets=0 bytes=0 [UNREPLIED] src=2001:db8::99 dst=::1.2.3.4 sport=9 dport=103 packets=0 bytes=0 delta-time=60 [start=Wed Nov 25 22:01:02 2026] [stop=Wed Nov 25 22:02:02 2026] id=763139553"},
	{"id", "    [NEW] icmp     1 30 src=127.0.0.1 dst=127.0.0.1 type=8 code=0 id=48879 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 type=0 code=0 id=48879 id=1939452330"},
	{"timestamp", "[1795643845.298573]\t    [NEW] tcp      6 120 SYN_SENT src=127.0.0.1 dst=127.0.0.1 sport=38868 dport=2121 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=2121 dport=38868"},
	{"timestamp", "[1795643920.86783 ]\t    [NEW] tcp      6 120 SYN_SENT src=127.0.0.1 dst=127.0.0.1 sport=38868 dport=2121 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=2121 dport=38868"},
	{"", "[DESTROY] tcp      6 119 SYN_SENT src=10.3.0.1 dst=10.3.0.2 sport=1000 dport=80 packets=0 bytes=0 src=10.3.0.2 dst=10.3.0.1 sport=80 dport=1000 packets=0 bytes=0 [ASSURED] mark=42 delta-time=1 [USERSPACE] portid=3202571575"},
	{"", "    [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 [USERSPACE] portid=6263 progname=conntrack"},
	{"labels", "tcp      6 119 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=1 dport=2 src=127.0.0.1 dst=127.0.0.1 sport=2 dport=1 [ASSURED] mark=0 use=1 labels"},
	{"", "udp      17 29 src=127.0.0.1 dst=127.0.0.6 sport=48307 dport=53 packets=1 bytes=29 [UNREPLIED] src=127.0.0.6 dst=127.0.0.9 sport=53 dport=48307 packets=0 bytes=0 mark=0 delta-time=0 use=1"},
}

func TestConntrackLines(t *testing.T) {
	for _, c := range conntrackLines {
		line := c.line
		p := format.Dialect{Format: format.Conntrack, Location: time.UTC}
		var f format.Flow
		if err := p.Parse([]byte(line), &f); err != nil {
			t.Errorf("%v\n%s", err, err.(*format.ParseError).Underline())
			continue
		}
		if got := shown(t, p, []byte(line)).String(); got != c.opts {
			t.Errorf("%.50q: options %q, want %q", line, got, c.opts)
		}
		pr := format.Dialect{Format: format.Conntrack, Options: shown(t, p, []byte(line)), Location: time.UTC}
		out, err := pr.Append(nil, &f)
		if err != nil || string(out) != line+"\n" {
			t.Errorf("round trip:\n got: %q %v\nwant: %q", out, err, line)
		}
	}
}

// TestConntrackWild reads the third-party captures of conntrack's text,
// stderr messages and all, and prints every record back as it was.
func TestConntrackWild(t *testing.T) {
	dir := wildDir(t)
	for _, c := range []struct {
		file     string
		records  int
		messages int
		differ   int // records not in conntrack's own form (edited by hand)
	}{
		{"045-smallab-pve-proxmox-conntrack-L-199.txt", 199, 1, 0},
		{"038-docker-bf2-stale-udp-L-and-D.txt", 22, 3, 0},
		{"019-kube-ovn-gateway-E-and-L.txt", 18, 2, 0},
		{"029-weave-scope-conntrack-o-id.txt", 8, 0, 1},
	} {
		data := readFile(t, filepath.Join(dir, c.file))
		sc, err := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Auto}, format.WithName(c.file))
		if err != nil {
			t.Fatal(err)
		}
		var out []byte
		n := 0
		for f, ferr := range sc.Flows() {
			if err = ferr; err != nil {
				break
			}
			n++
			pr := format.Dialect{Format: sc.Dialect().Format, Options: sc.Dialect().Options}
			out, err = pr.Append(out[:0], f)
			if err != nil {
				t.Fatal(err)
			}
			if f.Quirks&format.QuirkCRLF != 0 {
				out = append(out[:len(out)-1], "\r\n"...)
			}
			if !bytes.Contains(data, out) {
				c.differ--
				if c.differ < 0 {
					t.Errorf("%s:%d: printed differently:\n%s", c.file, sc.Line(), out)
				}
			}
		}
		if err != nil || sc.Dialect().Format != format.Conntrack {
			t.Errorf("%s: %v, format %v", c.file, err, sc.Dialect().Format)
		}
		if n != c.records || sc.Messages() != c.messages {
			t.Errorf("%s: %d records, %d messages; want %d, %d", c.file, n, sc.Messages(), c.records, c.messages)
		}
	}
}

// TestConntrackSplitRecord reads a record that conntrack's stderr cut in two
// in a capture made with 2>&1 (FORMATS.md §8).
func TestConntrackSplitRecord(t *testing.T) {
	data := "udp      17 50 src=0:0:1:: dst=2001:db8::99 sport=107 dport=9 packets=0 bytes=0 [UNREPLIED] src=2001:db8::99 dst=0:conntrack v1.4.7 (conntrack-tools): 27 flow entries have been shown.\n" +
		"0:1:: sport=9 dport=107 packets=0 bytes=0 mark=0 delta-time=10 use=1\n"
	sc, _ := format.NewScanner(strings.NewReader(data), format.Dialect{Format: format.Conntrack})
	n, f, err := readTo(sc.Flows())
	if n != 1 || err != nil {
		t.Fatal(n, err)
	}
	out, _ := format.Dialect{Format: format.Conntrack}.Append(nil, &f)
	want := "udp      17 50 src=0:0:1:: dst=2001:db8::99 sport=107 dport=9 packets=0 bytes=0 [UNREPLIED] src=2001:db8::99 dst=0:0:1:: sport=9 dport=107 packets=0 bytes=0 mark=0 delta-time=10 use=1\n"
	if string(out) != want || sc.Messages() != 1 {
		t.Errorf("got %q, %d messages", out, sc.Messages())
	}
}

// TestOptionsFromProc checks that reading /proc, whose lines start with the
// family as conntrack -o extended's do, does not make a printer of
// conntrack's text print the family.
func TestOptionsFromProc(t *testing.T) {
	sc, _ := format.NewScanner(strings.NewReader(good+"\n"), format.Dialect{Format: format.Proc})
	if n, _, err := readTo(sc.Flows()); n != 1 || err != nil || sc.Dialect().Options != 0 {
		t.Fatalf("options %q, %d flows, err %v", sc.Dialect().Options, n, err)
	}
}

// TestConntrackTCPWithoutState reads a TCP line of conntrack without a
// state only as an event, which may lack it: conntrack lists every TCP flow
// of the table with its state, and its printer refuses one without, so a
// table's line without one reads as an error, not as a flow that does not
// print (FuzzConntrack found it).
func TestConntrackTCPWithoutState(t *testing.T) {
	const tuples = "src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1"
	for _, c := range []struct {
		line string
		ok   bool
	}{
		{"tcp      6 " + tuples, false},
		{"tcp      6 " + tuples + " [ASSURED] mark=0 use=1", false},
		{"[DESTROY] tcp      6 " + tuples, true},
		{" [UPDATE] tcp      6 " + tuples + " [ASSURED]", true},
		{"udp      17 " + tuples, true},
	} {
		d := format.Dialect{Format: format.Conntrack}
		var f format.Flow
		err := d.Parse([]byte(c.line), &f)
		if c.ok != (err == nil) {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if err != nil && !errors.Is(err, format.ErrMissing) {
			t.Errorf("%q: %v, want an error of ErrMissing", c.line, err)
		}
		if err == nil {
			if out, err := d.Append(nil, &f); err != nil || string(out) != c.line+"\n" {
				t.Errorf("%q prints as %q, %v", c.line, out, err)
			}
		}
	}
}
