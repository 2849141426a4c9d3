package format_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
)

// scanAll reads every flow of data and returns them and the errors of the
// lines it skipped, or the error that stopped it.
func scanAll(t testing.TB, r io.Reader, d format.Dialect, opts ...format.ScanOption) ([]format.Flow, []string, error) {
	sc, err := format.NewScanner(r, d, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var out []format.Flow
	var bad []string
	for f, err := range sc.Flows() {
		var pe *format.ParseError
		switch {
		case errors.As(err, &pe) && sc.Skipped() > len(bad):
			bad = append(bad, pe.Error())
		case err != nil:
			return out, bad, err
		default:
			out = append(out, *f)
		}
	}
	return out, bad, nil
}

// readTo reads the records of seq up to the first error, and returns how
// many it read, a copy of the last, and the error.
func readTo[T any](seq iter.Seq2[*T, error]) (n int, last T, err error) {
	for r, err := range seq {
		if err != nil {
			return n, last, err
		}
		n, last = n+1, *r
	}
	return n, last, nil
}

// splitReader returns the bytes of data in pieces of random sizes.
type splitReader struct {
	data []byte
	r    *rand.Rand
	max  int
}

func (s *splitReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	n := min(1+s.r.IntN(s.max), len(p), len(s.data))
	copy(p, s.data[:n])
	s.data = s.data[n:]
	return n, nil
}

// TestScannerSplits checks that the results do not depend on how the reader
// splits the stream, bad lines included.
func TestScannerSplits(t *testing.T) {
	data := append(readFile(t, "../testdata/corpus/proc.txt"), strings.Replace(good, "sport=32775", "sport=65536", 1)+"\n"...)
	data = append(data, readFile(t, "../testdata/corpus/proc-noacct.txt")...)
	data = append(data, good...) // no newline at the end
	want, wantBad, err := scanAll(t, bytes.NewReader(data), format.Dialect{Format: format.Proc})
	if err != nil || len(wantBad) != 1 || len(want) < 100 {
		t.Fatalf("whole: %d flows, bad %v, err %v", len(want), wantBad, err)
	}
	readers := map[string]func() io.Reader{
		"one byte":  func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
		"half":      func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
		"data+EOF":  func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
		"random 7":  func() io.Reader { return &splitReader{data, rand.New(rand.NewPCG(1, 2)), 7} },
		"random 5k": func() io.Reader { return &splitReader{data, rand.New(rand.NewPCG(3, 4)), 5000} },
	}
	for name, r := range readers {
		got, gotBad, err := scanAll(t, r(), format.Dialect{Format: format.Proc})
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if d := cmp.Diff(want, got, cmpOpts...); d != "" {
			t.Errorf("%s: flows differ:\n%s", name, d)
		}
		if !slicesEqual(wantBad, gotBad) {
			t.Errorf("%s: errors %v, want %v", name, gotBad, wantBad)
		}
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

func TestScannerStops(t *testing.T) {
	data := good + "\n" + good + "x\n" + good + "\n"
	sc, _ := format.NewScanner(strings.NewReader(data), format.Dialect{Format: format.Auto}, format.WithName("t.txt"))
	n := 0
	var pe *format.ParseError
	for _, err := range sc.Flows() {
		if err != nil {
			if !errors.As(err, &pe) {
				t.Fatal(err)
			}
			break
		}
		n++
	}
	if n != 1 || pe == nil || pe.Line != 2 || pe.File != "t.txt" {
		t.Fatalf("read %d flows, err %v", n, pe)
	}
	if !strings.HasPrefix(pe.Error(), "t.txt:2:") {
		t.Errorf("error %q does not start with the position", pe.Error())
	}
}

func TestScannerLongLine(t *testing.T) {
	long := strings.Replace(good, "zone=0", "secctx="+strings.Repeat("s", 300)+" zone=0", 1)
	data := good + "\n" + long + "\n" + good + "\n" + long // the last without newline
	for _, r := range []io.Reader{strings.NewReader(data), iotest.OneByteReader(strings.NewReader(data))} {
		flows, bad, err := scanAll(t, r, format.Dialect{Format: format.Proc}, format.WithMaxLine(250))
		if err != nil || len(flows) != 2 || len(bad) != 2 {
			t.Fatalf("%d flows, bad %v, err %v", len(flows), bad, err)
		}
		if bad[0] != "2:251: line longer than 250 bytes ("+strconv.Itoa(len(long))+")" || !strings.HasPrefix(bad[1], "4:251:") {
			t.Errorf("errors %q", bad)
		}
	}
	// Without skipping, the error stops the scanner and wraps ErrLineTooLong.
	sc, _ := format.NewScanner(strings.NewReader(long+"\n"), format.Dialect{Format: format.Proc}, format.WithMaxLine(250))
	for _, err := range sc.Flows() {
		if !errors.Is(err, format.ErrLineTooLong) {
			t.Errorf("err = %v", err)
		}
		break
	}
	if _, err := format.NewScanner(strings.NewReader(""), format.Dialect{Format: format.Proc}, format.WithMaxLine(0)); err == nil {
		t.Error("WithMaxLine(0) accepted")
	}
}

// TestScannerMemory checks that a line without end does not make the
// scanner's buffer grow beyond its bound.
func TestScannerMemory(t *testing.T) {
	r := io.LimitReader(infinite('a'), 64<<20)
	sc, _ := format.NewScanner(r, format.Dialect{Format: format.Proc})
	n := 0
	for _, err := range sc.Flows() {
		if n++; !errors.Is(err, format.ErrLineTooLong) {
			t.Fatalf("err %v", err)
		}
	}
	if n != 1 || sc.Skipped() != 1 {
		t.Fatalf("%d records and errors, skipped %d", n, sc.Skipped())
	}
}

type infinite byte

func (c infinite) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

func TestScannerEdges(t *testing.T) {
	for _, c := range []struct {
		name  string
		data  string
		flows int
		bad   int
	}{
		{"empty", "", 0, 0},
		{"no trailing newline", good, 1, 0},
		{"blank line", good + "\n\n" + good + "\n", 2, 0},
		{"CRLF", good + "\r\n" + good + "\r\n", 2, 0},
		{"CR inside", good + "\r\r\n", 0, 1},
		{"NUL", good + "\n\x00\n", 1, 1},
	} {
		flows, bad, err := scanAll(t, strings.NewReader(c.data), format.Dialect{Format: format.Proc})
		if err != nil || len(flows) != c.flows || len(bad) != c.bad {
			t.Errorf("%s: %d flows, bad %v, err %v", c.name, len(flows), bad, err)
		}
	}
}

// TestScannerNoRecords reads captures that hold no record, as a person
// makes them of an empty table: blank lines, or conntrack's message alone
// (conntrack -L 2>&1, -L expect, -E stopped before any event). They read
// as empty, or as conntrack's, with nothing lost: no error, every line
// counted. testdata/empty has the captures of conntrack 1.4.7.
func TestScannerNoRecords(t *testing.T) {
	type noRecords struct {
		in              string
		given, want     format.Format
		blank, messages int
	}
	var cases []noRecords
	for _, c := range []noRecords{
		{"\n", format.Auto, format.Auto, 1, 0},
		{"\n \t\n\r\n", format.Auto, format.Auto, 3, 0},
		{"conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n", format.Auto, format.Conntrack, 0, 1},
		{"\nconntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n\n", format.Auto, format.Conntrack, 2, 1},
		{"conntrack v1.4.7 (conntrack-tools): 0 expectations have been shown.\n", format.Auto, format.ConntrackExpect, 0, 1},
		{"conntrack v1.4.7 (conntrack-tools): 0 expectations have been shown.\n", format.Conntrack, format.ConntrackExpect, 0, 1},
		{"conntrack v1.4.7 (conntrack-tools): 0 flow events have been shown.\n", format.Conntrack, format.Conntrack, 0, 1},
		{"conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n", format.XML, format.XML, 0, 1},
	} {
		cases = append(cases, c)
	}
	files, _ := filepath.Glob("../testdata/empty/*.txt")
	if len(files) < 10 {
		t.Fatalf("%d captures in testdata/empty", len(files))
	}
	for _, file := range files {
		want := format.Conntrack
		if strings.Contains(file, "expect") {
			want = format.ConntrackExpect
		}
		cases = append(cases, noRecords{in: string(readFile(t, file)), given: format.Auto, want: want, messages: 1})
	}
	for _, c := range cases {
		sc, err := format.NewScanner(strings.NewReader(c.in), format.Dialect{Format: c.given})
		if err != nil {
			t.Fatal(err)
		}
		f, err := sc.Detect()
		if f != c.want || err != nil {
			t.Errorf("%q from %v: Detect() = %v, %v; want %v", c.in, c.given, f, err, c.want)
			continue
		}
		n := 0
		if f.Expectations() {
			for _, err = range sc.Expects() {
				n++
			}
		} else {
			for _, err = range sc.Flows() {
				n++
			}
		}
		if n != 0 || err != nil || sc.Blank() != c.blank || sc.Messages() != c.messages {
			t.Errorf("%q from %v: %d records (last error %v), %d blank lines, %d messages; want 0, %d, %d",
				c.in, c.given, n, err, sc.Blank(), sc.Messages(), c.blank, c.messages)
		}
	}
}

// TestScannerBlankLines checks that blank lines, which hold no record, are
// skipped and counted in every text format: a table pasted with an empty
// line before or after it reads as the table.
func TestScannerBlankLines(t *testing.T) {
	for _, file := range []string{"proc.txt", "conntrack-L-extended-id.txt", "conntrack-E.txt", "xml-L.txt", "xml-E.txt", "save-L.txt"} {
		data := readFile(t, "../testdata/corpus/"+file)
		want, _, err := scanAll(t, bytes.NewReader(data), format.Dialect{Format: format.Auto})
		if err != nil || len(want) == 0 {
			t.Fatalf("%s: %d flows, %v", file, len(want), err)
		}
		lines := strings.SplitAfter(string(data), "\n")
		blanks := []string{"\n", "\r\n", "  \t \n"}
		var b strings.Builder
		for i, l := range lines {
			b.WriteString(blanks[i%len(blanks)]) // before the first line and after the last too
			b.WriteString(l)
		}
		sc, _ := format.NewScanner(strings.NewReader(b.String()), format.Dialect{Format: format.Auto})
		var got []format.Flow
		for f, ferr := range sc.Flows() {
			if err = ferr; err != nil {
				break
			}
			got = append(got, *f)
		}
		if err != nil {
			t.Errorf("%s with blank lines: %v", file, err)
			continue
		}
		if d := cmp.Diff(want, got, cmpOpts...); d != "" {
			t.Errorf("%s with blank lines: flows differ:\n%s", file, d)
		}
		if sc.Blank() != len(lines) {
			t.Errorf("%s: Blank() = %d, want %d", file, sc.Blank(), len(lines))
		}
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		text string
		want format.Format
	}{
		{good, format.Proc},
		{goodV6, format.Proc},
		{"tcp      6 117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=32775 dport=22 [UNREPLIED] src=192.168.1.9 dst=192.168.1.6 sport=22 dport=32775 use=2 ", format.IPLegacy},
		{"unknown  2 232 src=192.168.3.1 dst=224.0.0.251 packets=7 bytes=224 [UNREPLIED] src=224.0.0.251 dst=192.168.3.1 packets=0 bytes=0 mark=0 use=2", format.IPLegacy},
		{"unknown  2 579 src=0.0.0.0 dst=224.0.0.1 [UNREPLIED] src=224.0.0.1 dst=0.0.0.0 mark=0 use=1", format.Conntrack},
		// A protocol an older conntrack did not name, as ip_conntrack prints
		// one it has no tracker for: the kernel's, unless a line is IPv6.
		{"unknown  47 599 src=192.0.2.1 dst=192.0.2.2 src=192.0.2.2 dst=192.0.2.1 mark=0 use=1", format.IPLegacy},
		{"unknown  47 599 src=192.0.2.1 dst=192.0.2.2 src=192.0.2.2 dst=192.0.2.1 mark=0 use=1\nunknown  33 9 src=192.0.2.1 dst=192.0.2.3 src=192.0.2.3 dst=192.0.2.1 mark=0 use=1\nunknown  47 599 src=2001:db8::1 dst=2001:db8::2 src=2001:db8::2 dst=2001:db8::1 mark=0 use=1", format.Conntrack},
		{"    [NEW] tcp      6 120 SYN_SENT src=127.0.0.1 dst=127.0.0.1 sport=38868 dport=2121 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=2121 dport=38868 helper=ftp", format.Conntrack},
		{"conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\nudp      17 29 src=::1 dst=::2 sport=1 dport=2 [UNREPLIED] src=::2 dst=::1 sport=2 dport=1 mark=0 use=1", format.Conntrack},
		{"ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 use=1 id=12", format.Conntrack},
		// Detection looks past the lines pasted around the records.
		{"root@gw:~# conntrack -L\n$ \n^C\n```\n" + good, format.Proc},
		{"# conntrack -L -o xml\n<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<conntrack>\n", format.XML},
		{"$ conntrack -L -o save\n-A -s 10.0.0.1 -d 10.0.0.2 -p udp --sport 1 --dport 2 -t 29\n", format.Save},
		{"    -A -s 10.0.0.1 -d 10.0.0.2 -p udp --sport 1 --dport 2 -t 29\n", format.Save},
		{"\t-I\t-s 10.0.0.1 -d 10.0.0.2 -p udp --sport 1 --dport 2 -t 29\n", format.Restore},
		// A record wrapped over lines, and a byte-order mark.
		{"tcp 6 117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=32775\n  dport=22 [UNREPLIED] src=192.168.1.9 dst=192.168.1.6 sport=22 dport=32775\n  use=2\n", format.IPLegacy},
		{"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<conntrack>\n", format.XML},
		// Where no line reads, the first that looks like a record says
		// the format, so that reading it says what is wrong.
		{"      tcp      6 src=x.x.x.x dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=x.x.x.x sport=2 dport=1 [OFFLOAD] mark=0 use=1\n", format.Conntrack},
		{"for UDP\nudp      17 29 src=x.x.x.x dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=x.x.x.x sport=2 dport=1 mark=0 use=1\n", format.Conntrack},
		// conntrack -o extended prints /proc's line without zone=, and
		// ip_conntrack's without the family: use=1 says conntrack's, and
		// so does its message (conntrack -G prints use=2).
		{"ipv4     2 tcp      6 90 ESTABLISHED src=10.0.0.1 dst=10.0.1.1 sport=1001 dport=80 [UNREPLIED] src=10.0.1.1 dst=10.0.0.1 sport=80 dport=1001 [ASSURED] mark=0 use=1\n", format.Conntrack},
		{"ipv4     2 tcp      6 90 ESTABLISHED src=10.0.0.1 dst=10.0.1.1 sport=1001 dport=80 [UNREPLIED] src=10.0.1.1 dst=10.0.0.1 sport=80 dport=1001 [ASSURED] mark=0 use=2\n", format.Proc},
		{"conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\nipv4     2 tcp      6 99 ESTABLISHED src=10.0.0.1 dst=10.0.1.1 sport=1001 dport=80 [UNREPLIED] src=10.0.1.1 dst=10.0.0.1 sport=80 dport=1001 [ASSURED] mark=0 use=2\n", format.Conntrack},
		{"conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\ntcp      6 99 ESTABLISHED src=10.0.0.1 dst=10.0.1.1 sport=1001 dport=80 [UNREPLIED] src=10.0.1.1 dst=10.0.0.1 sport=80 dport=1001 [ASSURED] mark=0 use=2\n", format.Conntrack},
		{"tcp      6 99 ESTABLISHED src=10.0.0.1 dst=10.0.1.1 sport=1001 dport=80 [UNREPLIED] src=10.0.1.1 dst=10.0.0.1 sport=80 dport=1001 [ASSURED] mark=0 use=2\n", format.IPLegacy},
		// conntrack 2>&1 of an empty table, or of no events: its message
		// alone says whose records the capture holds, none.
		{"conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n", format.Conntrack},
		{"$ conntrack -E\n^Cconntrack v1.4.7 (conntrack-tools): 0 flow events have been shown.\n", format.Conntrack},
		{"conntrack v1.4.7 (conntrack-tools): connection tracking table has been emptied.\n", format.Conntrack},
		{"conntrack v1.4.7 (conntrack-tools): 0 expectations have been shown.\n", format.ConntrackExpect},
		{"\nconntrack v1.4.7 (conntrack-tools): 0 expectation events have been shown.\n", format.ConntrackExpect},
		{"conntrack v1.4.7 (conntrack-tools): expectation table has been emptied.\n", format.ConntrackExpect},
	} {
		if got, err := format.Detect([]byte(c.text)); got != c.want || err != nil {
			t.Errorf("Detect(%.40q) = %v, %v; want %v", c.text, got, err, c.want)
		}
	}
	// A backslash that continues a blank line onto a blank one leaves
	// nothing to look at.
	for _, in := range []string{" \\\n\n", "\t\\\n  \n", " \\"} {
		if f, err := format.Detect([]byte(in)); err == nil && f != format.Auto {
			t.Errorf("Detect(%q) = %v", in, f)
		}
	}
	_, err := format.Detect([]byte("ipv4 flows, and then some\n"))
	if !errors.Is(err, format.ErrNoFormat) || !strings.Contains(err.Error(), "considered proc") || !strings.Contains(err.Error(), "iplegacy") {
		t.Errorf("err = %v", err)
	}
	// conntrackd -s, the daemon's statistics, which ctconv does not read,
	// is named: every -s of the real captures that prints anything.
	stats, _ := filepath.Glob("../testdata/conntrackd/*conntrackd-s*.txt")
	named := 0
	for _, file := range stats {
		data, _ := os.ReadFile(file)
		if len(bytes.TrimSpace(data)) == 0 {
			continue // -s process of a daemon with no child, -s rsqueue outside FTFW
		}
		named++
		if _, err := format.Detect(data); !errors.Is(err, format.ErrNoFormat) || !strings.Contains(err.Error(), "conntrackd -s") {
			t.Errorf("%s: %v; want an error that names conntrackd -s", file, err)
		}
	}
	if named < 20 {
		t.Errorf("%d captures of conntrackd -s", named)
	}
}

// TestScannerGivenTwin reads expectations with the Scanner given the
// format of their producer's flows, as convert --to names both: it reads
// them as that producer's expectations, with their records whole, and,
// with workers too, reads nothing else anew: flows stay of the format
// given, and a format of another producer is not taken for it.
func TestScannerGivenTwin(t *testing.T) {
	read := func(file string) []byte {
		t.Helper()
		data, err := os.ReadFile(filepath.Join("..", "testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	for _, c := range []struct {
		file        string
		given, want format.Format
	}{
		{"corpus/conntrack-expect-L.txt", format.Conntrack, format.ConntrackExpect},
		{"corpus/conntrack-expect-E.txt", format.Conntrack, format.ConntrackExpect},
		{"corpus/proc-expect.txt", format.Proc, format.ProcExpect},
		{"corpus/xml-expect-L.txt", format.XML, format.XMLExpect},
		{"conntrackd/conntrackd-i-expect.txt", format.Conntrackd, format.ConntrackdExpect},
		{"conntrackd/conntrackd-i-expect-x.txt", format.ConntrackdXML, format.ConntrackdXMLExpect},
		{"corpus/conntrack-expect-L.txt", format.ConntrackExpect, format.ConntrackExpect},
		{"corpus/conntrack-L.txt", format.Conntrack, format.Conntrack},
		{"corpus/proc.txt", format.Conntrack, format.Conntrack},
		{"corpus/conntrack-expect-L.txt", format.Proc, format.Proc},
	} {
		data := read(c.file)
		for _, workers := range []int{0, 2} {
			sc, err := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: c.given}, format.WithWorkers(workers))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := sc.Detect(); got != c.want || err != nil {
				t.Errorf("%s given %v: Detect = %v, %v; want %v", c.file, c.given, got, err, c.want)
				continue
			}
			if c.want != c.given || c.want.Expectations() {
				want, err := format.Detect(data)
				if err != nil || want != c.want {
					t.Fatalf("%s: detected as %v, %v", c.file, want, err)
				}
				n := 0
				for _, err := range sc.Expects() {
					if err != nil {
						t.Fatalf("%s given %v: %v", c.file, c.given, err)
					}
					n++
				}
				if n == 0 {
					t.Errorf("%s given %v: no expectations", c.file, c.given)
				}
			}
			// After Reset, the format given holds again.
			sc.Reset(bytes.NewReader(data))
			if got, _ := sc.Detect(); got != c.want {
				t.Errorf("%s given %v, reset: Detect = %v; want %v", c.file, c.given, got, c.want)
			}
		}
	}
}

// TestScannerLineEnds checks that a record read from a line that ended
// with CR LF has QuirkCRLF, and only such a record, and that a Writer ends
// each record's line as it was: a capture whose line ends are mixed prints
// back as it was. A record cut in two by conntrack's message ends as its
// second part does.
func TestScannerLineEnds(t *testing.T) {
	cut := "udp      17 50 src=0:0:1:: dst=2001:db8::99 sport=107 dport=9 packets=0 bytes=0 [UNREPLIED] src=2001:db8::99 dst=0:"
	rest := "0:1:: sport=9 dport=107 packets=0 bytes=0 mark=0 delta-time=10 use=1"
	whole := "udp      17 50 src=0:0:1:: dst=2001:db8::99 sport=107 dport=9 packets=0 bytes=0 [UNREPLIED] src=2001:db8::99 dst=0:0:1:: sport=9 dport=107 packets=0 bytes=0 mark=0 delta-time=10 use=1"
	for _, c := range []struct {
		name    string
		fm      format.Format
		in, out string
		crlf    []bool
	}{
		{"proc", format.Proc, good + "\r\n" + good + "\n" + good + "\r\n" + good, good + "\r\n" + good + "\n" + good + "\r\n" + good + "\n", []bool{true, false, true, false}},
		{"cut LF, rest CRLF", format.Conntrack, cut + "conntrack v1.4.7 (conntrack-tools): 27 flow entries have been shown.\n" + rest + "\r\n" + whole + "\n", whole + "\r\n" + whole + "\n", []bool{true, false}},
		{"cut CRLF, rest LF", format.Conntrack, cut + "conntrack v1.4.7 (conntrack-tools): 27 flow entries have been shown.\r\n" + rest + "\n" + whole + "\r\n", whole + "\n" + whole + "\r\n", []bool{false, true}},
	} {
		sc, _ := format.NewScanner(strings.NewReader(c.in), format.Dialect{Format: c.fm})
		var out bytes.Buffer
		w := format.NewWriter(&out, format.Dialect{Format: c.fm})
		var got []bool
		for f, err := range sc.Flows() {
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			got = append(got, f.Quirks&format.QuirkCRLF != 0)
			if err := w.Write(f); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(got, c.crlf) || out.String() != c.out {
			t.Errorf("%s: CRLF %v, want %v; printed\n%q\nwant\n%q", c.name, got, c.crlf, out.String(), c.out)
		}
	}
}

// TestIterators checks, on every capture of the corpus, the pasted ones
// with their bad lines, and the counters, that a loop that goes on after a
// bad line reads every record and the bad lines' errors in their place,
// alike whether the reader gives the input at once or a byte at a time;
// that Skipped counts the bad lines yielded; and that a loop that stops
// at an error stops the reading.
func TestIterators(t *testing.T) {
	files := corpusFiles(t)
	for _, dir := range []string{"../testdata/pasted/*.txt", "../testdata/pasted/more/*.txt", "../testdata/stats/*.txt"} {
		more, _ := filepath.Glob(dir)
		files = append(files, more...)
	}
	checked, withBad := 0, 0
	for _, file := range files {
		data := readFile(t, file)
		sc, _ := format.NewScanner(iotest.OneByteReader(bytes.NewReader(data)), format.Dialect{Location: time.UTC})
		fm, err := sc.Detect()
		if err != nil {
			continue // not a capture of one format: not the question here
		}
		want, _ := readAll(sc, fm)
		it, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Location: time.UTC})
		got, bad := readAll(it, fm)
		if !slices.Equal(got, want) {
			t.Errorf("%s: read at once\n%s\nread a byte at a time\n%s", file, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if it.Skipped() != bad || it.Dialect() != sc.Dialect() {
			t.Errorf("%s: %d bad lines, skipped %d; dialect %+v, a byte at a time %+v", file, bad, it.Skipped(), it.Dialect(), sc.Dialect())
		}
		checked++
		if bad == 0 {
			continue
		}
		withBad++
		// A loop that stops at the first error reads no further.
		first := slices.IndexFunc(got, func(s string) bool { return strings.HasPrefix(s, "error ") })
		it, _ = format.NewScanner(bytes.NewReader(data), format.Dialect{Location: time.UTC})
		n := 0
		for _, err := range it.Flows() {
			if n++; err != nil {
				break
			}
		}
		if fm.Expectations() || fm.Statistics() {
			first = 0 // the kind's error, at once
		}
		if n != first+1 || it.Skipped() > 1 {
			t.Errorf("%s: a loop that stopped at the first error went on: %d iterations, want %d, %d skipped", file, n, first+1, it.Skipped())
		}
	}
	if checked < len(files)*3/4 || withBad < 10 {
		t.Errorf("%d of %d captures compared, %d with bad lines", checked, len(files), withBad)
	}
}

// readAll reads the records of sc, of format fm, to the end, going on
// after bad lines, and returns them printed, with the errors in their
// place, and the number of bad lines.
func readAll(sc *format.Scanner, fm format.Format) (got []string, bad int) {
	add := func(v any, err error) {
		var pe *format.ParseError
		switch {
		case errors.As(err, &pe):
			got = append(got, "error "+err.Error())
			bad++
		case err != nil:
			got = append(got, "end "+err.Error())
		default:
			got = append(got, fmt.Sprint(v))
		}
	}
	switch {
	case fm.Expectations():
		for e, err := range sc.Expects() {
			add(deref(e), err)
		}
	case fm.Statistics():
		for s, err := range sc.Stats() {
			add(deref(s), err)
		}
	default:
		for f, err := range sc.Flows() {
			add(deref(f), err)
		}
	}
	return got, bad
}

// deref returns *p, or nil for a nil p.
func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestWrappedThenContinued reads a record that a paste wraps without a
// backslash and then continues with backslashes, as FuzzPaste's seeds of
// the corpus have it: both ways of cutting a record join in one.
func TestWrappedThenContinued(t *testing.T) {
	const line = "ipv4     2 icmp     1 28 src=10.0.0.1 dst=10.0.0.2 type=13 code=0 id=65535 src=10.0.0.2 dst=10.0.0.1 type=14 code=0 id=65535 mark=0 zone=0 use=2"
	paste := "ipv4     2 icmp     1 \\\n28 \n   src=10.0.0.1 \\\ndst=10.0.0.2 type=13 code=0 \\\n    id=65535 src=10.0.0.2 \\\n\tdst=10.0.0.1 \\\n  type=14 \\\n  code=0 id=65535 \\\n  mark=0 zone=0 use=2\n"
	d := format.Dialect{Format: format.Proc, Location: time.UTC}
	var want format.Flow
	if err := d.Parse([]byte(line), &want); err != nil {
		t.Fatal(err)
	}
	sc, _ := format.NewScanner(strings.NewReader(paste+paste), d)
	n := 0
	for f, err := range sc.Flows() {
		if err != nil {
			t.Fatal(err)
		}
		if n++; f.String() != want.String() {
			t.Errorf("record %d: %s", n, f)
		}
	}
	if n != 2 || sc.Line() != 18 {
		t.Errorf("%d records, to line %d", n, sc.Line())
	}
}

// TestScannerResetAllocs checks that a Scanner reset to read more inputs
// of expectations makes nothing again: its records keep the strings they
// were given (helper, policy, program names), which the next reuse.
func TestScannerResetAllocs(t *testing.T) {
	for file, fm := range map[string]format.Format{"conntrack-expect-L.txt": format.ConntrackExpect, "proc-expect.txt": format.ProcExpect, "xml-expect-L.txt": format.XMLExpect} {
		data := readFile(t, "../testdata/corpus/"+file)
		r := bytes.NewReader(data)
		sc, _ := format.NewScanner(r, format.Dialect{Format: fm})
		n := 0
		if a := testing.AllocsPerRun(10, func() {
			r.Reset(data)
			sc.Reset(r)
			for _, err := range sc.Expects() {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
		}); a != 0 || n == 0 {
			t.Errorf("%s: %d expectations, %v allocations an input", file, n, a)
		}
	}
}
