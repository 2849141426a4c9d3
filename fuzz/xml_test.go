package fuzz

import (
	"bytes"
	"hash/fnv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
)

// rewrittenXML checks a line of XML that parses only as XML laid out
// otherwise than conntrack prints it: it prints as conntrack would, which
// parses in the exact layout to the same record. It reports whether the
// line was such a line.
func rewrittenXML(t *testing.T, fm format.Format, line []byte, f *format.Flow, e *format.Expect) bool {
	if fm != format.XML && fm != format.XMLExpect {
		return false
	}
	strict := format.Dialect{Format: fm, Strict: true, Location: time.UTC}
	var f2 format.Flow
	var e2 format.Expect
	if parse(&strict, line, &f2, &e2) == nil {
		return false
	}
	p := format.Dialect{Format: fm, Location: time.UTC}
	parse(&p, line, &f2, &e2) // the options the line shows
	if offloadExcused(fm, f) {
		return true
	}
	pr := format.Dialect{Format: fm, Options: p.Options, Location: time.UTC}
	out, err := appendRecord(pr, f, e)
	if err != nil {
		t.Fatalf("rewritten XML parsed but does not print: %v", err)
	}
	if err := parse(&strict, out[:len(out)-1], &f2, &e2); err != nil {
		t.Fatalf("rewritten XML prints what does not parse exactly: %v\n%q", err, out)
	}
	if d := cmp.Diff(*f, f2, cmpOpts...); fm == format.XML && d != "" {
		t.Fatalf("rewritten XML reads otherwise than what it prints:\n%s", d)
	}
	if d := cmp.Diff(*e, e2, cmpOpts...); fm == format.XMLExpect && d != "" {
		t.Fatalf("rewritten XML reads otherwise than what it prints:\n%s", d)
	}
	return true
}

func parse(p *format.Dialect, line []byte, f *format.Flow, e *format.Expect) error {
	if p.Format.Expectations() {
		return p.ParseExpect(line, e)
	}
	return p.Parse(line, f)
}

func appendRecord(pr format.Dialect, f *format.Flow, e *format.Expect) ([]byte, error) {
	if pr.Format.Expectations() {
		return pr.AppendExpect(nil, e)
	}
	return pr.Append(nil, f)
}

// reserialisedXML checks that a record of conntrack's XML, laid out as an
// XML tool might write it out again (indented over many lines, attributes
// in another order and quotes, characters as references, empty elements
// written otherwise), reads through a Scanner as the same record, and
// prints as the line. The line's hash picks the layout.
func reserialisedXML(t *testing.T, fm format.Format, line []byte) {
	strict := format.Dialect{Format: fm, Strict: true, Location: time.UTC}
	var f, f2 format.Flow
	var e, e2 format.Expect
	if bytes.IndexByte(line, '\n') >= 0 || parse(&strict, line, &f, &e) != nil {
		return
	}
	h := fnv.New64a()
	h.Write(line)
	doc := reserialise(line, h.Sum64())
	sc, err := format.NewScanner(bytes.NewReader(doc), format.Dialect{Format: fm, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if fm.Expectations() {
		var es []format.Expect
		es, err = records(sc.Expects())
		if n = len(es); n > 0 {
			e2 = es[0]
		}
	} else {
		var fs []format.Flow
		fs, err = records(sc.Flows())
		if n = len(fs); n > 0 {
			f2 = fs[0]
		}
	}
	if n == 0 {
		t.Fatalf("re-serialised record does not read: %v\n%s", err, doc)
	}
	if d := cmp.Diff(f, f2, cmpOpts...); d != "" {
		t.Fatalf("re-serialised record reads otherwise:\n%s\n%s", d, doc)
	}
	if d := cmp.Diff(e, e2, cmpOpts...); d != "" {
		t.Fatalf("re-serialised record reads otherwise:\n%s\n%s", d, doc)
	}
	if sc.Normalized() != 1 {
		t.Fatalf("re-serialised record counted %d times as normalised", sc.Normalized())
	}
	if n > 1 || err != nil {
		t.Fatalf("more after the record: %d records, %v\n%s", n, err, doc)
	}
	pr := format.Dialect{Format: fm, Options: sc.Dialect().Options, Location: time.UTC}
	out, err := appendRecord(pr, &f2, &e2)
	if err != nil || string(out) != string(line)+"\n" && !(fm == format.XML && outsideMeta(line)) {
		t.Fatalf("re-serialised record prints otherwise: %v\n%q\n%q", err, out, line)
	}
}

// reserialise lays a record of conntrack's XML out in another way, picked
// by the bits of seed: a line break and indentation before a tag, blanks
// in tags, the other quotes and order of attributes, <x /> or <x></x> for
// <x/>, and character references for some characters of text. The record
// comes in a document with a declaration and root of its own.
func reserialise(line []byte, seed uint64) []byte {
	bit := func() bool { b := seed&1 == 1; seed = seed>>1 | seed<<63; return b }
	root := "conntrack"
	if bytes.Contains(line, []byte("<expected>")) {
		root = "expect"
	}
	var b strings.Builder
	b.WriteString("<?xml version='1.0' encoding='UTF-8'?>\n<" + root + ">\n")
	depth := 1
	end := bytes.LastIndex(line, []byte("</flow>")) + len("</flow>")
	s := string(line[:end])
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i > 0 { // text: some characters as references
			for _, c := range []byte(s[:i]) {
				switch {
				case (c == '.' || c == ':' || c == '&' || c == '>') && bit():
					b.WriteString("&#" + itoa(int(c)) + ";")
				case c == '>' && bit():
					b.WriteString("&gt;")
				default:
					b.WriteByte(c)
				}
			}
			s = s[i:]
			continue
		}
		j := strings.IndexByte(s, '>') + 1
		tag := s[:j]
		s = s[j:]
		closing := strings.HasPrefix(tag, "</")
		if closing {
			depth--
		}
		// A line break before a tag but between a leaf's start and end.
		if prev := b.String(); bit() && !(closing && !strings.HasSuffix(prev, ">")) {
			b.WriteString("\n" + strings.Repeat("  ", max(depth, 0)))
		}
		switch {
		case strings.HasSuffix(tag, "/>"):
			name := tag[1 : len(tag)-2]
			switch {
			case bit():
				b.WriteString("<" + name + " />")
			case bit():
				b.WriteString("<" + name + "></" + name + ">")
			default:
				b.WriteString(tag)
			}
		case closing:
			b.WriteString(tag)
		default:
			depth++
			name, attrs, _ := strings.Cut(tag[1:len(tag)-1], " ")
			if name == "layer4" && strings.HasPrefix(s, "</layer4>") && bit() {
				b.WriteString("<" + name + " " + reattr(attrs, bit) + "/>")
				s = s[len("</layer4>"):]
				depth--
				continue
			}
			if attrs != "" {
				b.WriteString("<" + name + " " + reattr(attrs, bit) + ">")
			} else {
				b.WriteString(tag)
			}
		}
	}
	if rest := line[end:]; len(rest) > 0 { // [USERSPACE]: on the line, or the next
		if bit() {
			b.WriteString("\n  ")
		}
		b.Write(rest)
	}
	b.WriteString("\n</" + root + ">\n")
	return []byte(b.String())
}

// reattr returns the attributes a="x" b="y" in another order, quotes or
// blanks.
func reattr(attrs string, bit func() bool) string {
	parts := strings.Split(attrs, " ")
	if len(parts) == 2 && bit() {
		parts[0], parts[1] = parts[1], parts[0]
	}
	for i, p := range parts {
		if bit() {
			p = strings.ReplaceAll(p, `"`, "'")
		}
		if bit() {
			p = strings.Replace(p, "=", " = ", 1)
		}
		parts[i] = p
	}
	sep := " "
	if bit() {
		sep = "\n    "
	}
	return strings.Join(parts, sep)
}

func itoa(n int) string {
	if n >= 10 {
		return itoa(n/10) + string(rune('0'+n%10))
	}
	return string(rune('0' + n))
}
