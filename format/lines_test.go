package format_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
)

// tutorial is the iptables tutorial's example (section 7.2) on one line,
// and wrapped is the same as the tutorial prints it: wrapped with a
// backslash, the continuation lines indented by 5 spaces.
const (
	tutorial = "tcp      6 117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=32775 dport=22 [UNREPLIED] src=192.168.1.9 dst=192.168.1.6 sport=22 dport=32775 [ASSURED] use=2"
	wrapped  = "tcp      6 117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=32775 \\\n" +
		"     dport=22 [UNREPLIED] src=192.168.1.9 dst=192.168.1.6 sport=22 \\\n" +
		"     dport=32775 [ASSURED] use=2\n"
)

// TestScannerContinuation checks that a record wrapped with backslashes,
// as documentation prints long lines, reads as the record on one line.
func TestScannerContinuation(t *testing.T) {
	want, _, err := scanAll(t, strings.NewReader(tutorial+"\n"), format.Dialect{Format: format.IPLegacy})
	if err != nil || len(want) != 1 {
		t.Fatalf("one line: %d flows, %v", len(want), err)
	}
	for _, c := range []struct {
		name, in string
		n        int
	}{
		{"tutorial", wrapped, 1},
		{"twice, with a blank line after", wrapped + wrapped + "     \n", 2},
		{"CR LF", strings.ReplaceAll(wrapped, "\n", "\r\n"), 1},
		{"blanks after the backslash", strings.ReplaceAll(wrapped, "\\\n", "\\  \t\n"), 1},
		{"TAB indentation", strings.ReplaceAll(wrapped, "\n     ", "\n\t"), 1},
		{"no newline at the end", strings.TrimSuffix(wrapped, "\n"), 1},
		{"a line of its own", strings.Replace(wrapped, "sport=22 \\\n", "sport=22 \\\n  \\\n", 1), 1},
	} {
		got, bad, err := scanAll(t, strings.NewReader(c.in), format.Dialect{Format: format.IPLegacy})
		if err != nil || len(bad) > 0 || len(got) != c.n {
			t.Errorf("%s: %d flows, bad %v, err %v", c.name, len(got), bad, err)
			continue
		}
		for i := range got {
			got[i].Quirks &^= format.QuirkCRLF
			if d := cmp.Diff(want[0], got[i], cmpOpts...); d != "" {
				t.Errorf("%s: flow %d differs:\n%s", c.name, i, d)
			}
		}
	}
	// Auto detection reads past the wrap too.
	if got, _, err := scanAll(t, strings.NewReader(wrapped), format.Dialect{Format: format.Auto}); err != nil || len(got) != 1 {
		t.Errorf("auto: %d flows, %v", len(got), err)
	}
}

// TestScannerContinuationErrors checks that an error in a joined record
// points into the physical line that holds the bad bytes, and says that
// the record was joined; and that what is not a continuation is not
// joined.
func TestScannerContinuationErrors(t *testing.T) {
	for _, c := range []struct {
		name, in  string
		strict    bool
		line, col int
		text, msg string
	}{
		{"bad port on line 2", "\n" + strings.Replace(wrapped, "sport=22 ", "sport=99999 ", 1), false,
			3, 65, "     dport=22 [UNREPLIED] src=192.168.1.9 dst=192.168.1.6 sport=99999 \\", "(in a record joined from lines 2 to 4)"},
		{"missing field at the end", strings.Replace(wrapped, " use=2", "", 1), false,
			3, 27, "     dport=32775 [ASSURED]", "joined from lines 1 to 3"},
		{"strict: not joined", wrapped, true,
			1, 69, "tcp      6 117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=32775 \\", "a backslash line continuation"},
		{"backslash at the end of the input", strings.SplitAfter(wrapped, "\n")[0], false,
			1, 69, "tcp      6 117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=32775 \\", "a backslash line continuation"},
		{"no blank before the backslash", strings.Replace(wrapped, "32775 \\", "32775\\", 1), false,
			1, 68, "tcp      6 117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=32775\\", "backslash"},
	} {
		sc, _ := format.NewScanner(strings.NewReader(c.in), format.Dialect{Format: format.IPLegacy, Strict: c.strict}, format.WithName("p.txt"))
		_, _, err := readTo(sc.Flows())
		var pe *format.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: err %v", c.name, err)
			continue
		}
		if pe.File != "p.txt" || pe.Line != c.line || pe.Col != c.col || pe.Text != c.text || !strings.Contains(pe.Msg, c.msg) {
			t.Errorf("%s: %s\n%q, want line %d col %d %q, %q", c.name, pe, pe.Text, c.line, c.col, c.text, c.msg)
		}
		if u := pe.Underline(); !strings.HasPrefix(u, c.text+"\n") {
			t.Errorf("%s: underline\n%s", c.name, u)
		}
	}
}

// retyped is the tutorial's example as a PDF manual re-typesets it (004 of
// testdata/pasted): blanks collapsed, wrapped without backslashes, the
// last line holding use=2 alone.
const retyped = "tcp 6 117 SYN_SENT src=192.168.1.6 dst=192.168.1.9 sport=32775 dport=22\n" +
	"[UNREPLIED] src=192.168.1.9 dst=192.168.1.6 sport=22 dport=32775 [ASSURED]\n" +
	"use=2\n"

// TestScannerRetyped checks that a record that a document wrapped without
// backslashes reads as the record on one line where each line after the
// first starts with a key or a [FLAG], which no record starts with; and
// that such records count as normalised.
func TestScannerRetyped(t *testing.T) {
	want, _, err := scanAll(t, strings.NewReader(tutorial+"\n"), format.Dialect{Format: format.IPLegacy})
	if err != nil || len(want) != 1 {
		t.Fatalf("one line: %d flows, %v", len(want), err)
	}
	for _, c := range []struct {
		name, in string
		f        format.Format
		n        int
	}{
		{"PDF (004)", retyped, format.IPLegacy, 1},
		{"auto", retyped, format.Auto, 1},
		{"twice", retyped + retyped, format.IPLegacy, 2},
		{"indented", strings.ReplaceAll(retyped, "\n", "\n   \t"), format.IPLegacy, 1},
		{"CR LF", strings.ReplaceAll(retyped, "\n", "\r\n"), format.IPLegacy, 1},
		{"no newline at the end", strings.TrimSuffix(retyped, "\n"), format.IPLegacy, 1},
		{"after a backslash wrap", strings.Replace(retyped, "SYN_SENT ", "SYN_SENT \\\n  ", 1), format.IPLegacy, 1},
		{"before a prompt", retyped + "# conntrack -L\n" + retyped, format.IPLegacy, 2},
		{"one record of two wrapped", tutorial + "\n" + retyped, format.IPLegacy, 2},
	} {
		for _, r := range []struct {
			name string
			r    io.Reader
		}{{"", strings.NewReader(c.in)}, {", one byte at a time", iotest.OneByteReader(strings.NewReader(c.in))}} {
			sc, _ := format.NewScanner(r.r, format.Dialect{Format: c.f})
			var got []format.Flow
			var err error
			for f, ferr := range sc.Flows() {
				if err = ferr; err != nil {
					break
				}
				f.Quirks &^= format.QuirkCRLF
				got = append(got, *f)
			}
			if err != nil || len(got) != c.n {
				t.Errorf("%s%s: %d flows, %v", c.name, r.name, len(got), err)
				continue
			}
			for i := range got {
				if d := cmp.Diff(want[0], got[i], cmpOpts...); d != "" {
					t.Errorf("%s%s: flow %d differs:\n%s", c.name, r.name, i, d)
				}
			}
			if want := strings.Count(c.in, "[UNREPLIED]") - strings.Count(c.in, tutorial); sc.Normalized() != want {
				t.Errorf("%s%s: %d normalised, want %d", c.name, r.name, sc.Normalized(), want)
			}
		}
	}
}

// TestScannerRetypedErrors checks what a wrap without backslashes does not
// join: a line that can start a record, a line after a record that reads
// without it and not with it, and anything under WithStrict; and that an
// error in a joined record is placed on its own line.
func TestScannerRetypedErrors(t *testing.T) {
	cut := strings.SplitAfter(retyped, "\n")
	for _, c := range []struct {
		name, in string
		strict   bool
		flows    int
		bad      []string
	}{
		{"bad port on line 2", strings.Replace(retyped, "sport=22 ", "sport=x22 ", 1), false, 0,
			[]string{"p.txt:2:51: reply sport: unexpected 'x' in a number (want 0 to 65535) (in a record joined from lines 1 to 3)"}},
		{"cut short before a record", cut[0] + tutorial + "\n", false, 1,
			[]string{"p.txt:1:72: reply tuple: line ends where reply tuple (src=...) was expected (truncated line?)"}},
		{"cut short at the end of the input", cut[0] + cut[1], false, 0,
			[]string{"p.txt:2:75: use: line ends where use (use=...) was expected (truncated line?) (in a record joined from lines 1 to 2)"}},
		{"cut short before an event", "    [NEW] " + cut[0] + "    [NEW] " + tutorial + "\n", false, 1,
			[]string{"p.txt:1:82: reply tuple: line ends where reply tuple (src=...) was expected (truncated line?)"}},
		{"a flag after a whole record", tutorial + "\n[UNREPLIED] use=2\n", false, 1,
			[]string{`p.txt:2:1: protocol: unknown protocol name "[UNREPLIED]" (a protocol without a name is printed as "unknown")`}},
		{"strict", retyped, true, 0, []string{
			`p.txt:1:4: protocol: expected 6 spaces after "tcp" (names are padded to 8 columns), found 1`,
			`p.txt:2:1: protocol: unknown protocol name "[UNREPLIED]" (a protocol without a name is printed as "unknown")`,
			`p.txt:3:1: protocol: unknown protocol name "use=2" (a protocol without a name is printed as "unknown")`}},
	} {
		fm := format.IPLegacy
		if strings.Contains(c.in, "[NEW]") {
			fm = format.Conntrack
		}
		got, bad, err := scanAll(t, strings.NewReader(c.in), format.Dialect{Format: fm, Strict: c.strict}, format.WithName("p.txt"))
		if err != nil || len(got) != c.flows || !cmp.Equal(bad, c.bad) {
			t.Errorf("%s: %d flows, err %v, bad\n%s\nwant\n%s", c.name, len(got), err, strings.Join(bad, "\n"), strings.Join(c.bad, "\n"))
		}
	}
}

// TestScannerContinuationAllocs pins the Scanner's steady state at no
// allocation for wrapped records, as for records on one line.
func TestScannerContinuationAllocs(t *testing.T) {
	data := strings.Repeat(wrapped, 300)
	r := strings.NewReader(data)
	sc, _ := format.NewScanner(r, format.Dialect{Format: format.IPLegacy})
	if n := testing.AllocsPerRun(10, func() {
		r.Reset(data)
		sc.Reset(r)
		for _, err := range sc.Flows() {
			if err != nil {
				t.Fatal(err)
			}
		}
	}); n != 0 {
		t.Errorf("reading 300 wrapped records allocates %v times", n)
	}
}

// TestScannerNotRecords checks which lines around pasted records are
// skipped and counted as not records, and that every other line that is
// not a record stays an error: a line is skipped only where it has a shape
// that holds no data (a shell prompt with the command typed, ^C, a
// markdown fence and the HTML around it, watch's head).
func TestScannerNotRecords(t *testing.T) {
	skipped := []string{
		"root@gw:~# conntrack -L",
		"$ cat /proc/net/nf_conntrack",
		"# conntrack -E",
		"[root@host ~]# conntrack -L -o extended",
		"router> ",
		"#",
		"# ",
		"    $ conntrack -E ",
		"      vyos@FlowTables:~$",
		"root@vhd1jpcnf5ej7kj0wz7h9y7mta ~ # conntrack -L",
		"~$ sudo tail -n 1 /proc/net/ip_conntrack",
		"nuttx> conntrack -E",
		"root@r4:/home/vyos# conntrack -L && echo \"\" && ./my_connatrack_list.py",
		"# cat nf_conntrack |grep 192.168.13.152       ",
		"conntrack -L |grep 8125",
		"sudo conntrack -L -p UDP --orig-port-dst 10001",
		"^C",
		"  ^C^C ",
		"```",
		"```txt",
		"~~~",
		// The HTML that folds a long output in a GitHub issue.
		"<details>",
		"<details open>",
		"<details><summary>conntrack -L</summary>",
		"<summary>Output of <code>conntrack -L -o extended</code></summary>",
		"</details>",
		"<pre>",
		"</pre>",
		// The head of watch's screen.
		"Every 2.0s: conntrack -L                          gw: Sat Dec  5 03:18:00 2026",
		"Every 1s: cat /proc/net/nf_conntrack",
	}
	bad := []string{
		"for UDP",
		"Here is the output:",
		"/proc/net/ip_conntrack",
		"...",
		"> > [NEW] " + tutorial,
		"root@gw:~# " + tutorial,
		"# grep src=192.168.1.6 /proc/net/nf_conntrack",
		"$ conntrack -L -o xml <in.xml",
		"onntrack v1.4.3 (conntrack-tools): 364 flow entries have been shown.",
		"cpu=0 found=0 invalid=130 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=10",
		"PASS: send a packet",
		"^C" + tutorial,
		"``` " + tutorial,
		"<pre>" + tutorial + "</pre>",
		"<summary>the flow of src=10.0.0.1</summary>",
		"<details>" + tutorial,
		"<table>",
		"Every 2.0s: conntrack -L -s 10.0.0.1 -d 10.0.0.2",
		"Every day, the table fills",
		"I0815 12:15:14.637712       1 conntrack.go:71] \"Conntrack entries deleted\" output=<",
		// A comment that holds an -o save record (more/089).
		"# Example of pre entry: -A -t 431996 -u SEEN_REPLY,ASSURED -s 71.34.64.4 -d 172.31.26.253 -p tcp --sport 47202 --dport 8080",
		"# entry: -D -s 10.0.0.1 -d 10.0.0.2 -p udp --sport 1 --dport 2",
	}
	var in strings.Builder
	for _, l := range skipped {
		in.WriteString(l + "\n" + tutorial + "\n")
	}
	for _, fm := range []format.Format{format.Auto, format.IPLegacy, format.Conntrack} {
		sc, _ := format.NewScanner(strings.NewReader(in.String()), format.Dialect{Format: fm})
		n, _, err := readTo(sc.Flows())
		if err != nil || n != len(skipped) || sc.NotRecords() != len(skipped) {
			t.Errorf("%v: %d flows, %d lines not records, err %v; want %d", fm, n, sc.NotRecords(), err, len(skipped))
		}
	}
	for _, l := range skipped {
		// --strict skips none of them.
		sc, _ := format.NewScanner(strings.NewReader(l+"\n"+tutorial+"\n"), format.Dialect{Format: format.IPLegacy, Strict: true})
		var pe *format.ParseError
		if n, _, err := readTo(sc.Flows()); n != 0 || !errors.As(err, &pe) || pe.Line != 1 {
			t.Errorf("strict: %q: err %v", l, err)
		}
	}
	for _, l := range bad {
		_, errs, err := scanAll(t, strings.NewReader(tutorial+"\n"+l+"\n"+tutorial+"\n"), format.Dialect{Format: format.IPLegacy})
		if err != nil || len(errs) != 1 || !strings.HasPrefix(errs[0], "2:") {
			t.Errorf("%q: errors %q, %v; want one on line 2", l, errs, err)
		}
	}
	// Folded in a GitHub issue, the HTML comes first: the capture is
	// detected from the records, text or XML.
	xml := `<?xml version="1.0" encoding="utf-8"?>
<conntrack>
<flow><meta direction="original"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.1</src><dst>10.0.0.2</dst></layer3><layer4 protonum="17" protoname="udp"><sport>1</sport><dport>2</dport></layer4></meta><meta direction="reply"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.2</src><dst>10.0.0.1</dst></layer3><layer4 protonum="17" protoname="udp"><sport>2</sport><dport>1</dport></layer4></meta><meta direction="independent"><timeout>30</timeout><mark>0</mark><use>1</use><id>1</id><unreplied/></meta></flow>
</conntrack>`
	for want, paste := range map[format.Format]string{format.IPLegacy: tutorial, format.XML: xml} {
		folded := "<details><summary>conntrack -L</summary>\n\n```\n" + paste + "\n```\n\n</details>\n"
		sc, _ := format.NewScanner(strings.NewReader(folded), format.Dialect{})
		n, _, err := readTo(sc.Flows())
		if got, _ := sc.Detect(); n != 1 || err != nil || got != want || sc.NotRecords() != 4 {
			t.Errorf("folded in <details>: %v, %d flows, %d lines not records, %v; want %v", got, n, sc.NotRecords(), err, want)
		}
	}
	// conntrack's message after ^C, as conntrack -E prints it when
	// interrupted, or indented with the rest of a paste, is a message; in
	// /proc's layouts too, which conntrack -L's lines can read as.
	for _, fm := range []format.Format{format.Conntrack, format.IPLegacy} {
		for _, m := range []string{"^Cconntrack v1.4.7 (conntrack-tools): 1 flow events have been shown.", "      conntrack v1.4.6 (conntrack-tools): 5 flow entries have been shown."} {
			sc, _ := format.NewScanner(strings.NewReader(tutorial+"\n"+m+"\n"), format.Dialect{Format: fm})
			if _, _, err := readTo(sc.Flows()); err != nil || sc.Messages() != 1 {
				t.Errorf("%v: %q: %d messages, err %v", fm, m, sc.Messages(), err)
			}
		}
	}
}

// TestScannerByteOrderMark checks that a capture that an editor saved with
// a UTF-8 byte-order mark reads as without it, its first record counted as
// normalised where it is on the mark's line; WithStrict rejects the mark,
// and says so.
func TestScannerByteOrderMark(t *testing.T) {
	for _, file := range []string{"conntrack-L.txt", "proc.txt", "xml-L.txt", "conntrack-expect-L.txt"} {
		data, err := os.ReadFile("../testdata/corpus/" + file)
		if err != nil {
			t.Fatal(err)
		}
		marked := append([]byte("\xef\xbb\xbf"), data...)
		want := scanRecords(t, data, format.Dialect{Format: format.Auto})
		got := scanRecords(t, marked, format.Dialect{Format: format.Auto})
		if got.err != nil || !cmp.Equal(got.out, want.out) || got.normalized != want.normalized+boolInt(!strings.HasPrefix(file, "xml")) {
			t.Errorf("%s: %v, %d records normalised; want %d, and the records read without the mark", file, got.err, got.normalized, want.normalized)
		}
		var pe *format.ParseError
		if strict := scanRecords(t, marked, format.Dialect{Format: format.Auto, Strict: true}); !errors.As(strict.err, &pe) ||
			pe.Line != 1 || pe.Col != 1 || pe.Len != 3 || !strings.Contains(pe.Msg, "byte-order mark") {
			t.Errorf("%s: WithStrict: %v; want an error that names the byte-order mark", file, strict.err)
		}
	}
}

// scanned is what scanRecords read.
type scanned struct {
	out        []string // records printed back
	normalized int
	err        error
}

// scanRecords reads every record of data, detecting its format, and prints
// each back.
func scanRecords(t *testing.T, data []byte, d format.Dialect, opts ...format.ScanOption) scanned {
	sc, err := format.NewScanner(bytes.NewReader(data), d, opts...)
	if err != nil {
		t.Fatal(err)
	}
	fm, err := sc.Detect()
	if err != nil {
		return scanned{err: err}
	}
	var r scanned
	for out, err := range printed(t, sc, fm) {
		if r.err = err; err != nil {
			break
		}
		r.out = append(r.out, string(out))
	}
	r.normalized = sc.Normalized()
	return r
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
