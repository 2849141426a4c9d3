package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

// TestDiffEscapes: diff prints for a person, so a flow that reaches it with
// text no producer prints (a program's, or an older version's snapshot)
// never forges a line or reaches the terminal, and a flow that conntrack's
// printer refuses is shown in another form, never as an empty "+ ".
func TestDiffEscapes(t *testing.T) {
	var base format.Flow
	if err := new(format.Dialect{Format: format.Conntrack}).Parse([]byte("udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 use=1"), &base); err != nil {
		t.Fatal(err)
	}
	forged := base
	forged.Fields |= format.FieldHelper
	forged.Helper = "ftp\n+ tcp 6 FAKE INJECTED LINE\x1b]0;owned\x07"
	odd := base
	odd.Family = 7 // no text format prints it
	for _, c := range []struct {
		name string
		ch   snapshot.Change
	}{
		{"a helper with a newline and OSC", snapshot.Change{Op: snapshot.Added, New: &forged}},
		{"a changed helper", snapshot.Change{Op: snapshot.Changed, Old: &base, New: &forged,
			Fields: []snapshot.FieldChange{{Field: "helper", Old: "ftp", New: forged.Helper}}}},
		{"a flow conntrack and /proc refuse", snapshot.Change{Op: snapshot.Removed, Old: &odd}},
	} {
		var out bytes.Buffer
		bw := bufio.NewWriter(&out)
		p := &diffPrinter{w: bw, pr: format.Dialect{Format: format.Conntrack, Location: time.UTC}}
		if err := p.change(&c.ch); err != nil {
			t.Fatal(err)
		}
		bw.Flush()
		got := out.String()
		if strings.Count(got, "\n") != 1 || strings.ContainsAny(strings.TrimSuffix(got, "\n"), "\n\x1b\x07") {
			t.Errorf("%s: printed %q", c.name, got)
		}
		if len(strings.TrimSpace(got)) <= 2 {
			t.Errorf("%s: printed an empty flow %q", c.name, got)
		}
	}
}

// TestDiffEscapesFlowLines: the flow of a "+", "-" or "~" line is escaped
// as a changed field's values are: a control character (C0, DEL, or C1,
// such as U+009B, which a terminal takes as CSI) or invalid UTF-8 of a
// flow that no reader would take, one of the kernel's over netlink, never
// reaches the terminal raw, whichever printer ends up showing the flow.
func TestDiffEscapesFlowLines(t *testing.T) {
	var base format.Flow
	if err := new(format.Dialect{Format: format.Conntrack}).Parse([]byte("tcp      6 431996 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=40704 dport=2121 src=127.0.0.1 dst=127.0.0.1 sport=2121 dport=40704 [ASSURED] mark=0 helper=ftp use=1"), &base); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, helper, secctx string }{
		{name: "CSI (U+009B) in the helper", helper: "ftp\u009b31m"},
		{name: "every C1 control in secctx", secctx: "a\u0080\u0085\u008d\u009f"},
		{name: "DEL in the helper", helper: "ftp\x7f"},
		{name: "invalid UTF-8 in the helper", helper: "ftp\xc2"},
	} {
		evil := base
		if c.helper != "" {
			evil.Helper = c.helper
		}
		if c.secctx != "" {
			evil.Fields |= format.FieldSecctx
			evil.Secctx = c.secctx
		}
		moved := evil
		moved.Orig.SrcPort, moved.Reply.DstPort = 40705, 40705
		for _, ch := range []snapshot.Change{
			{Op: snapshot.Added, New: &moved},
			{Op: snapshot.Removed, Old: &moved},
			{Op: snapshot.Changed, Old: &base, New: &evil,
				Fields: []snapshot.FieldChange{{Field: "helper", Old: base.Helper, New: evil.Helper}}},
		} {
			var out bytes.Buffer
			bw := bufio.NewWriter(&out)
			p := &diffPrinter{w: bw, pr: format.Dialect{Format: format.Conntrack, Location: time.UTC}}
			if err := p.change(&ch); err != nil {
				t.Fatal(err)
			}
			bw.Flush()
			got := strings.TrimSuffix(out.String(), "\n")
			if len(got) <= 2 || strings.Contains(got, "\n") {
				t.Errorf("%s, %s: printed %q", c.name, ch.Op, got)
			}
			for _, r := range got {
				if r < 0x20 || r >= 0x7f && r < 0xa0 || r == utf8.RuneError {
					t.Errorf("%s, %s: printed U+%04X raw: %q", c.name, ch.Op, r, got)
					break
				}
			}
		}
	}
}

// TestPlain: plain, diff's shortcut past escaping, agrees with
// appendEscaped on the bytes at the edges of what it escapes.
func TestPlain(t *testing.T) {
	for _, s := range []string{"", "tcp 6 ESTABLISHED", "\x1f", " ", "~", "\x7f", "\u0080", "\u009f", "\u00a0",
		"a\xc2", "\xc2a", "\xc2\xc2\x9b", "\ufffd", "\xff", "été", "\u2028", "日本"} {
		want := string(appendEscaped(nil, s)) == s
		if got := plain([]byte(s)); got != want {
			t.Errorf("plain(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestInfoEscapes: snapshot --info prints a header's text escaped.
func TestInfoEscapes(t *testing.T) {
	name := filepath.Join(t.TempDir(), "evil.ctsnap")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w, err := snapshot.NewWriter(f, snapshot.Header{Created: time.Now(), Source: snapshot.Text(format.Proc),
		Host: "gw\x1b]0;owned\x07\u009b31m\nfile:     forged", Kernel: "6.1\r", Tool: "ctconv"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	text, err := infoText(name, true)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(text, "\x1b\x07\r\u009b") || strings.Count(text, "\nfile:") != 0 {
		t.Errorf("--info printed %q", text)
	}
}

// TestLongJSON: a text line near the default bound, with many unknown
// fields kept verbatim, converts to JSON and back byte for byte, although
// its JSON line is far longer than the text's.
func TestLongJSON(t *testing.T) {
	line := "udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0"
	line += strings.Repeat(" v=1", (format.DefaultMaxLine-len(line)-10)/4) + " use=1\n"
	code, js, errs := ctconv(t, line, "convert", "--from", "conntrack", "--to", "json")
	if code != 0 || len(js) <= format.DefaultMaxLine {
		t.Fatalf("to JSON: exit %d, %d bytes: %s", code, len(js), errs)
	}
	code, back, errs := ctconv(t, js, "convert", "--to", "conntrack")
	if code != 0 || back != line {
		t.Errorf("back: exit %d, equal %v: %.300s", code, back == line, errs)
	}
}
