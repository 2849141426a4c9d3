package fuzz

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
)

// pasteFormats are the formats FuzzPaste wraps records of.
var pasteFormats = []format.Format{format.Proc, format.IPLegacy, format.Conntrack, format.XML, format.Save}

// pasteLines are the lines FuzzPaste puts between records, by kind: they
// are not records, and a Scanner skips and counts them.
var pasteLines = []struct {
	line string
	kind int // 0 NotRecords, 1 Blank, 2 Messages
}{
	{"root@gw:~# conntrack -L", 0},
	{"[root@host ~]# cat /proc/net/nf_conntrack", 0},
	{"$ ", 0},
	{"router> ", 0},
	{"^C", 0},
	{"```", 0},
	{"sudo conntrack -E", 0},
	{"", 1},
	{"  \t", 1},
	{"conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.", 2},
}

// continues reports whether the record's rest, rest, starts with a token
// that a record wrapped without a backslash is joined at: a key=value, or
// a [FLAG] that is not an event type.
func continues(rest []byte) bool {
	tok := rest
	if i := bytes.IndexAny(rest, " \t"); i >= 0 { // a token ends at a blank, as the Scanner's do
		tok = rest[:i]
	}
	if len(tok) > 2 && tok[0] == '[' && tok[1] >= 'A' && tok[1] <= 'Z' && tok[len(tok)-1] == ']' {
		return !slices.Contains([]string{"[NEW]", "[UPDATE]", "[DESTROY]"}, string(tok))
	}
	k, v, ok := bytes.Cut(tok, []byte("="))
	return ok && len(k) > 0 && len(v) > 0 && !bytes.ContainsFunc(k, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	})
}

// readsCollapsed reports whether line, read as want, reads the same
// through a Scanner with its runs of blanks between tokens made one, as a
// wrapped record is laid out again: not where a token the parser keeps as
// it is holds such a run (a progname, which conntrack prints as it is and
// last, or a vendor's "[0  ]"), which is the re-layout's rule, not a
// wrap's loss.
func readsCollapsed(p format.Dialect, line []byte, want *format.Flow) bool {
	lead := len(line) - len(bytes.TrimLeft(line, " \t"))
	trail := len(bytes.TrimRight(line, " \t"))
	if lead >= trail {
		return true
	}
	text := string(line[:lead]) + strings.Join(strings.Fields(string(line[lead:trail])), " ") + string(line[trail:])
	sc, err := format.NewScanner(strings.NewReader(text+"\n"), p)
	if err != nil {
		return false
	}
	got, err := records(sc.Flows())
	return err == nil && len(got) == 1 && cmp.Diff(*want, got[0], cmpOpts...) == ""
}

// readsWhole reports whether a record's first line, head, reads whole,
// and how many tokens its parser does not know it holds.
func readsWhole(p format.Dialect, head []byte) (bool, int) {
	var f format.Flow
	return p.Parse(head, &f) == nil, f.Extras.Len()
}

// quotes are the markers that FuzzPaste may quote its lines with; "" for
// none.
var quotes = []string{"", "", "", "> ", ">> ", "> > ", ">", ">\t"}

// FuzzPaste checks the Scanner's reading of pasted records: a valid record
// wrapped with a backslash and a newline at token boundaries, each
// continuation indented, or, in the formats of lines, wrapped without a
// backslash before a key=value or a [FLAG], as documents re-typeset
// records, reads as the same Flow as the record on one line (but where its
// first line reads whole, and the lines after it hold a token its parser
// does not know or a backslash, which then are no part of it: the harness
// wraps no such record); and lines that are not records (prompts, ^C,
// fences, blank lines, conntrack's messages) between the records change
// nothing but the counts of lines skipped, nor does quoting every line, as
// a reply by mail quotes them. The first byte of choices picks the format,
// the others the wraps, the indentation, the lines between and the quote.
func FuzzPaste(f *testing.F) {
	for i, fm := range pasteFormats {
		files, _ := filepath.Glob("../testdata/corpus/" + fm.String() + `[\-.]*txt`)
		for _, file := range files {
			data, _ := os.ReadFile(file)
			for j, line := range bytes.Split(data, []byte("\n")) {
				if j < 3 {
					f.Add(line, []byte{byte(i), 7, 3, 200, 14, 0, 9, byte(j)})
					// One wrap, without a backslash, before the line's last
					// token, as a page too narrow for the line wraps it:
					// choices longer than the line, to repeat no wrap.
					last := bytes.LastIndexByte(line, ' ')
					if last > 0 {
						late := bytes.Repeat([]byte{2}, len(line)+2)
						late[0], late[last+1] = byte(i), 1
						f.Add(line, late)
					}
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, line, choices []byte) {
		if len(choices) == 0 || bytes.ContainsAny(line, "\n\r") || bytes.Contains(line, []byte("conntrack v")) ||
			bytes.HasSuffix(bytes.TrimRight(line, " \t"), []byte("\\")) {
			return
		}
		fm := pasteFormats[int(choices[0])%len(pasteFormats)]
		p := format.Dialect{Format: fm, Location: time.UTC}
		var want format.Flow
		if p.Parse(line, &want) != nil || !readsCollapsed(p, line, &want) {
			return
		}
		choice := func(i int) int { return int(choices[(i+1)%len(choices)]) }
		// Wrap at every boundary where a blank is followed by a token,
		// where the choices say so.
		var wrapped strings.Builder
		c, whole := 0, false
		for i := range len(line) {
			wrapped.WriteByte(line[i])
			if line[i] == ' ' && i+1 < len(line) && line[i+1] != ' ' && line[i+1] != '\t' {
				indent := strings.Repeat(" ", choice(c+1)%7) + strings.Repeat("\t", choice(c+2)%2)
				switch choice(c) % 3 {
				case 0:
					if !whole {
						wrapped.WriteString("\\\n" + indent)
					}
				case 1:
					if fm == format.XML || fm == format.Save || !continues(line[i+1:]) {
						break
					}
					// Where what comes before reads as a record of its own,
					// the Scanner joins the line only if the join adds no
					// field it does not know, after a backslash's join too.
					h, extras := readsWhole(p, line[:i])
					if h && extras != want.Extras.Len() {
						break
					}
					whole = whole || h
					wrapped.WriteString("\n" + indent)
				}
			}
			c++
		}
		// Three records, with lines that are not records around them.
		var in strings.Builder
		var counts [3]int
		for r := range 3 {
			for k := range choice(100+r) % 3 {
				pl := pasteLines[choice(200+3*r+k)%len(pasteLines)]
				in.WriteString(pl.line + "\n")
				counts[pl.kind]++
			}
			in.WriteString(wrapped.String() + "\n")
		}
		// Quoted in a reply by mail, or in a markdown block quote.
		if q := quotes[choice(300)%len(quotes)]; q != "" && fm != format.XML {
			lines := strings.SplitAfter(in.String(), "\n")
			in.Reset()
			for _, l := range lines[:len(lines)-1] {
				in.WriteString(q + l)
			}
		}
		sc, err := format.NewScanner(strings.NewReader(in.String()), format.Dialect{Format: fm, Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		got, err := records(sc.Flows())
		for i, g := range got {
			if d := cmp.Diff(want, g, cmpOpts...); d != "" {
				t.Fatalf("record %d differs:\n%s\nread from\n%s", i+1, d, in.String())
			}
		}
		if err != nil || len(got) != 3 {
			t.Fatalf("%d records, err %v; read from\n%s", len(got), err, in.String())
		}
		if got := [3]int{sc.NotRecords(), sc.Blank(), sc.Messages()}; got != counts {
			t.Fatalf("skipped %v, want %v; read from\n%s", got, counts, in.String())
		}
	})
}
