package format_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// TestLabelsRead: what conntrack cannot print is refused where it is read,
// for what ctconv would print of it could not be read back (labels=a,,b
// was read, and its JSON then refused: "a label name is empty").
func TestLabelsRead(t *testing.T) {
	const (
		text = "tcp      6 94 NONE src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 mark=0 use=1 labels="
		xml  = `<flow><meta direction="original"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.1</src><dst>10.0.0.2</dst></layer3><layer4 protonum="17" protoname="udp"><sport>1</sport><dport>2</dport></layer4></meta><meta direction="reply"><layer3 protonum="2" protoname="ipv4"><src>10.0.0.2</src><dst>10.0.0.1</dst></layer3><layer4 protonum="17" protoname="udp"><sport>2</sport><dport>1</dport></layer4></meta><meta direction="independent"><timeout>29</timeout><mark>0</mark><labels>LABELS</labels><use>1</use><unreplied/></meta></flow>`
		save = "-I -t 29 -u UNSET -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p udp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1 -m 0 --label-add "
	)
	many := func(n int) []string {
		names := make([]string, n)
		for i := range names {
			names[i] = "l" + strings.Repeat("x", i%3)
		}
		return names
	}
	xmlLabels := func(names ...string) string {
		return strings.Replace(xml, "LABELS", "<label>"+strings.Join(names, "</label><label>")+"</label>", 1)
	}
	for _, c := range []struct {
		name string
		fm   format.Format
		line string
		ok   bool
	}{
		{"text", format.Conntrack, text + "a,b c", true},
		{"text, an empty name", format.Conntrack, text + "a,,b", false},
		{"text, a trailing comma", format.Conntrack, text + "a,", false},
		{"text, 128 labels", format.Conntrack, text + strings.Join(many(128), ","), true},
		{"text, 129 labels", format.Conntrack, text + strings.Join(many(129), ","), false},
		{"XML", format.XML, xmlLabels("a", "b c"), true},
		{"XML, an empty name", format.XML, xmlLabels("a", "", "b"), false},
		{"XML, 129 labels", format.XML, xmlLabels(many(129)...), false},
		{"restore", format.Restore, save + "a,b", true},
		{"restore, an empty name", format.Restore, save + "a,,b", false},
		{"restore, an escape", format.Restore, save + "a\x1b[31m", false},
		// C1 controls are as much a terminal's as C0: U+009B is CSI.
		{"text, C1 (CSI) in a name", format.Conntrack, text + "a,b\u009b31m", false},
		{"text, NEL (U+0085) in a name", format.Conntrack, text + "a\u0085b", false},
		{"text, a name past C1", format.Conntrack, text + "a,\u00a1été", true},
		{"XML, C1 in a name", format.XML, xmlLabels("a", "b\u0080"), false},
		{"XML, past C1", format.XML, xmlLabels("a", "\u00a0é"), true},
		{"restore, C1", format.Restore, save + "a\u009f", false},
	} {
		var f format.Flow
		err := new(format.Dialect{Format: c.fm}).Parse([]byte(c.line), &f)
		var pe *format.ParseError
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case !c.ok && !errors.As(err, &pe):
			t.Errorf("%s: read as labels %q, want a *ParseError", c.name, f.Labels)
		case c.ok:
			if _, err := (format.Dialect{Format: c.fm}).Append(nil, &f); err != nil {
				t.Errorf("%s: does not print back: %v", c.name, err)
			}
		}
	}
}

// TestCheckText: printers refuse text that no producer prints, so that a
// hand-built or decoded flow never prints as a line that forges another, or
// that reaches a terminal's escape sequences.
func TestCheckText(t *testing.T) {
	var base format.Flow
	if err := new(format.Dialect{Format: format.Conntrack}).Parse([]byte("udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 use=1"), &base); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, field string
		set         func(*format.Flow)
	}{
		{"a newline in the helper", "helper", func(f *format.Flow) { f.Fields |= format.FieldHelper; f.Helper = "ftp\nudp 17 FAKE" }},
		{"an escape in secctx", "secctx", func(f *format.Flow) { f.Fields |= format.FieldSecctx; f.Secctx = "\x1b]0;x\x07" }},
		{"NUL in a label", "labels", func(f *format.Flow) { f.Fields |= format.FieldLabels; f.Labels = "a\x00b" }},
		{"an empty label", "labels", func(f *format.Flow) { f.Fields |= format.FieldLabels; f.Labels = "a,,b" }},
		{"an empty helper", "helper", func(f *format.Flow) { f.Fields |= format.FieldHelper; f.Helper = "" }},
		{"invalid UTF-8", "progname", func(f *format.Flow) { f.Fields |= format.FieldProgname; f.Progname = "\xff" }},
		{"a control byte in an unknown field", "extras", func(f *format.Flow) { f.Extras = f.Extras.Add(format.SlotUse, "x=\x1b") }},
		{"a newline in the namespace", "netns", func(f *format.Flow) { f.Netns = "blue\nudp 17 FAKE" }},
		// C1 controls (U+0080 to U+009F) are as much a terminal's as C0.
		{"CSI (U+009B) in the helper", "helper", func(f *format.Flow) { f.Fields |= format.FieldHelper; f.Helper = "ftp\u009b31m" }},
		{"NEL (U+0085) in secctx", "secctx", func(f *format.Flow) { f.Fields |= format.FieldSecctx; f.Secctx = "a\u0085b" }},
		{"U+0080 in a label", "labels", func(f *format.Flow) { f.Fields |= format.FieldLabels; f.Labels = "a,b\u0080" }},
		{"U+009F in progname", "progname", func(f *format.Flow) { f.Fields |= format.FieldProgname; f.Progname = "x\u009f" }},
		{"C1 in an unknown field", "extras", func(f *format.Flow) { f.Extras = f.Extras.Add(format.SlotUse, "x=\u009b") }},
		{"C1 in the namespace", "netns", func(f *format.Flow) { f.Netns = "blue\u009d" }},
	} {
		f := base
		c.set(&f)
		if field, reason := f.CheckText(); field != c.field || reason == "" {
			t.Errorf("%s: CheckText = %q, %q; want field %q", c.name, field, reason, c.field)
		}
		for _, fm := range []format.Format{format.Proc, format.Conntrack, format.XML, format.Save} {
			if out, err := (format.Dialect{Format: fm}).Append(nil, &f); err == nil {
				t.Errorf("%s: %s printed %q", c.name, fm, out)
			}
		}
	}
	if field, reason := base.CheckText(); field != "" || reason != "" {
		t.Errorf("a sound flow: %q, %q", field, reason)
	}
	base.Netns = "pid 1"
	if field, reason := base.CheckText(); field != "" || reason != "" {
		t.Errorf("a flow of a namespace: %q, %q", field, reason)
	}
	base.Fields |= format.FieldHelper
	base.Helper = "ftp-\u00a0é\u00ff" // the first characters past C1
	if field, reason := base.CheckText(); field != "" || reason != "" {
		t.Errorf("a helper past C1: %q, %q", field, reason)
	}
}

// TestCheckExpectText: an expectation's names are held to a flow's rule
// (TestCheckText), by CheckText, which the decoders call, and by every
// printer of expectations.
func TestCheckExpectText(t *testing.T) {
	var base format.Expect
	if err := new(format.Dialect{Format: format.ConntrackExpect}).ParseExpect([]byte("296 proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=10000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=127.0.0.1 master-dst=127.0.0.1 sport=40704 dport=2121 class=0 helper=ftp"), &base); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, field string
		set         func(*format.Expect)
	}{
		{"ESC in the helper", "helper", func(x *format.Expect) { x.Helper = "ftp\x1b[31m" }},
		{"a newline in the helper", "helper", func(x *format.Expect) { x.Helper = "ftp\n296 proto=6 FAKE" }},
		{"DEL in the helper", "helper", func(x *format.Expect) { x.Helper = "ftp\x7f" }},
		{"CSI (U+009B) in the helper", "helper", func(x *format.Expect) { x.Helper = "ftp\u009b31m" }},
		{"NEL (U+0085) in the policy", "policy", func(x *format.Expect) { x.Fields |= format.ExpectPolicy; x.Policy = "a\u0085" }},
		{"invalid UTF-8 in progname", "progname", func(x *format.Expect) { x.Fields |= format.ExpectProgname; x.Progname = "\xff" }},
	} {
		x := base
		c.set(&x)
		if field, reason := x.CheckText(); field != c.field || reason == "" {
			t.Errorf("%s: CheckText = %q, %q; want field %q", c.name, field, reason, c.field)
		}
		bad := map[string]string{"helper": x.Helper, "policy": x.Policy, "progname": x.Progname}[c.field]
		for _, fm := range []format.Format{format.ProcExpect, format.ConntrackExpect, format.XMLExpect, format.ConntrackdExpect, format.ConntrackdXMLExpect} {
			// Refused, or left out, as conntrackd leaves out progname.
			out, err := (format.Dialect{Format: fm}).AppendExpect(nil, &x)
			if err == nil && strings.Contains(string(out), bad) || err != nil && !errors.Is(err, format.ErrUnprintable) {
				t.Errorf("%s: %s printed %q, %v", c.name, fm, out, err)
			}
		}
	}
	base.Helper = "ftp-\u00a0é" // past C1
	if field, reason := base.CheckText(); field != "" || reason != "" {
		t.Errorf("a sound expectation: %q, %q", field, reason)
	}
}

// TestLongLine: a line a printer would make longer than a Scanner reads is
// a *PrintError, so that what ctconv prints reads back. Unknown fields,
// kept verbatim, are what makes a line grow so.
func TestLongLine(t *testing.T) {
	var f format.Flow
	line := "udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 use=1"
	if err := new(format.Dialect{Format: format.Conntrack}).Parse([]byte(line), &f); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < format.DefaultMaxLine/8; i++ {
		f.Extras = f.Extras.Add(format.SlotUse, "vendor=1")
	}
	for _, fm := range []format.Format{format.Proc, format.Conntrack} {
		out, err := format.Dialect{Format: fm}.Append(nil, &f)
		if !errors.Is(err, format.ErrUnprintable) || len(out) != 0 {
			t.Errorf("%s: printed %d bytes, error %v; want a *PrintError and nothing", fm, len(out), err)
		}
	}
}
