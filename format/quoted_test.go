package format_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// TestScannerQuoted reads captures quoted in a reply by mail, or in a
// markdown block quote, as the netfilter and netdev lists quote them:
// the quote markers are read past, at any depth, the records counted as
// pasted, wrapped records joined across quoted lines, errors placed in
// the line as it is, with its markers. WithStrict reads none of them, and
// a diff's "< " is no quote.
func TestScannerQuoted(t *testing.T) {
	const (
		list = "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=22 src=10.0.0.2 dst=10.0.0.1 sport=22 dport=40000 [ASSURED] mark=0 use=1"
		// list wrapped at 72 columns, as a mail client wraps it.
		wrapA = "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=40000"
		wrapB = "dport=22 src=10.0.0.2 dst=10.0.0.1 sport=22 dport=40000 [ASSURED]"
		wrapC = "mark=0 use=1"
		event = "    [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.2 sport=53 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=53"
	)
	for _, c := range []struct {
		name, in string
		flows    int
		errs     []string // FILE:LINE:COL of each bad line
		blank    int
		pasted   int // of the flows, those read quoted
	}{
		{"once", "> " + list + "\n> " + list + "\n", 2, nil, 0, 2},
		{"nested", "> > " + list + "\n>> " + list + "\n>>> " + list + "\n", 3, nil, 0, 3},
		{"without a blank", ">" + list + "\n", 1, nil, 0, 1},
		{"with a TAB", ">\t" + list + "\n", 1, nil, 0, 1},
		{"quoted blank lines", ">\n> " + list + "\n> > \n", 1, nil, 2, 1},
		{"among lines not quoted", list + "\n> " + list + "\n" + list + "\n", 3, nil, 0, 1},
		{"an event keeps its padding", "> " + event + "\n", 1, nil, 0, 1},
		{"wrapped by the mail", "> " + wrapA + "\n> " + wrapB + "\n> " + wrapC + "\n> " + list + "\n", 2, nil, 0, 2},
		{"wrapped with backslashes", "> " + wrapA + " \\\n>     " + wrapB + " \\\n>     " + wrapC + "\n", 1, nil, 0, 1},
		{"bad line", "> " + list + "\n> > " + strings.Replace(list, "10.0.0.2", "10.0.0.256", 1) + "\n", 1, []string{"in:2:52"}, 0, 1},
		{"bad wrapped line", "> " + wrapA + "\n> " + strings.Replace(wrapB, "dport=22", "dport=70000", 1) + "\n> " + wrapC + "\n", 0, []string{"in:2:9"}, 0, 0},
		{"prose", "> Here is the table:\n> " + list + "\n", 1, []string{"in:1:3"}, 0, 1},
		{"a diff's lines", "< " + list + "\n", 0, []string{"in:1:1"}, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc, _ := format.NewScanner(strings.NewReader(c.in), format.Dialect{Format: format.Auto}, format.WithName("in"))
			if f, err := sc.Detect(); f != format.Conntrack && c.flows > 0 {
				t.Fatalf("detected %v, %v", f, err)
			}
			flows := 0
			var errs []string
			lines := strings.Split(c.in, "\n")
			for f, err := range sc.Flows() {
				var pe *format.ParseError
				if errors.As(err, &pe) {
					errs = append(errs, fmt.Sprintf("%s:%d:%d", pe.File, pe.Line, pe.Col))
					if pe.Text != lines[pe.Line-1] {
						t.Errorf("error shows %q, not its line %q", pe.Text, lines[pe.Line-1])
					}
					continue
				} else if err != nil {
					t.Fatal(err)
				}
				flows++
				out, err := format.Dialect{Format: format.Conntrack}.Append(nil, f)
				if err != nil {
					t.Fatal(err)
				}
				if want := strings.Fields(strings.ReplaceAll(string(sc.Bytes()), ">", "")); strings.Join(want, " ") != strings.Join(strings.Fields(string(out)), " ") {
					t.Errorf("prints %q, read from %q", out, sc.Bytes())
				}
			}
			if flows != c.flows || strings.Join(errs, " ") != strings.Join(c.errs, " ") || sc.Blank() != c.blank {
				t.Errorf("%d flows, errors %v, %d blank lines; want %d, %v, %d", flows, errs, sc.Blank(), c.flows, c.errs, c.blank)
			}
			if sc.Normalized() != c.pasted {
				t.Errorf("%d records counted as pasted, want %d", sc.Normalized(), c.pasted)
			}
			// WithStrict reads the lines as they are: each quoted one is
			// bad, its quote marker named.
			sc, _ = format.NewScanner(strings.NewReader(c.in), format.Dialect{Format: format.Conntrack, Strict: true})
			n, _, err := readTo(sc.Flows())
			if n != 0 && strings.HasPrefix(c.in, ">") || err == nil && c.flows > 0 {
				t.Errorf("strict: %d flows, %v", n, err)
			}
			if pe := (*format.ParseError)(nil); strings.HasPrefix(c.in, ">") && (!errors.As(err, &pe) || pe.Col != 1 || !strings.HasPrefix(pe.Msg, "a quote marker")) {
				t.Errorf("strict: %v", err)
			}
		})
	}
}

// TestDetectPrefixed detects lines that hold a record after something a
// log, grep -n, cat -n or diff puts before each line: no format, and an
// error that says where the record starts, and underlines what stands
// before it. Lines of no record, and a count alone, which many a line
// ends with, name no prefix; nor does a line Detect tried every suffix of
// as a prefix, which it did at every depth.
func TestDetectPrefixed(t *testing.T) {
	const list = "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=22 src=10.0.0.2 dst=10.0.0.1 sport=22 dport=40000 [ASSURED] mark=0 use=1"
	for _, c := range []struct{ name, prefix, rest string }{
		{"syslog", "Dec  5 04:00:00 gw conntrack[812]: ", "[NEW] " + list},
		{"kubectl logs --timestamps", "2026-12-05T04:00:00.123456789Z ", list},
		{"grep -n", "12:", list},
		{"cat -n", "     1\t", list},
		{"diff", "< ", list},
		{"no record", "", "Here is the table, src=10.0.0.1 dport=22"},
		{"a count at the end", "", "the table had this many lines: 8125"},
		{"damage of the machine-translated tutorial", "", "TCP SYN_SENT 6117 src = dst = this sport 32775 = dport = 22 [UNREPLIED] src = dst = this sport = 22 dport = 32775 use = 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := strings.Repeat(c.prefix+c.rest+"\n", 3)
			sc, _ := format.NewScanner(strings.NewReader(in), format.Dialect{Format: format.Auto}, format.WithName("in"))
			_, err := sc.Detect()
			var pe *format.ParseError
			if !errors.As(err, &pe) || !errors.Is(err, format.ErrNoFormat) {
				t.Fatalf("%v", err)
			}
			said := strings.Contains(pe.Msg, fmt.Sprintf("a record starts after %q", c.prefix))
			if c.prefix != "" && (!said || pe.Col != 1 || pe.Len != len(c.prefix)) || c.prefix == "" && strings.Contains(pe.Msg, "a record starts after") {
				t.Errorf("%v (column %d, %d bytes)", pe, pe.Col, pe.Len)
			}
		})
	}
}
