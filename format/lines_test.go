package format_test

import (
	"errors"
	"strings"
	"testing"

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
	want, _, err := scanAll(t, strings.NewReader(tutorial+"\n"), format.IPLegacy)
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
		got, bad, err := scanAll(t, strings.NewReader(c.in), format.IPLegacy)
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
	if got, _, err := scanAll(t, strings.NewReader(wrapped), format.Auto); err != nil || len(got) != 1 {
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
		opts := []format.ScanOption{format.WithName("p.txt")}
		if c.strict {
			opts = append(opts, format.WithStrict())
		}
		sc, _ := format.NewScanner(strings.NewReader(c.in), format.IPLegacy, opts...)
		var f format.Flow
		for sc.Scan(&f) {
		}
		var pe *format.ParseError
		if !errors.As(sc.Err(), &pe) {
			t.Errorf("%s: err %v", c.name, sc.Err())
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

// TestScannerContinuationAllocs pins the Scanner's steady state at no
// allocation for wrapped records, as for records on one line.
func TestScannerContinuationAllocs(t *testing.T) {
	sc, _ := format.NewScanner(strings.NewReader(strings.Repeat(wrapped, 300)), format.IPLegacy)
	var f format.Flow
	if n := testing.AllocsPerRun(200, func() {
		if !sc.Scan(&f) {
			t.Fatal(sc.Err())
		}
	}); n != 0 {
		t.Errorf("Scan of a wrapped record allocates %v times", n)
	}
}
