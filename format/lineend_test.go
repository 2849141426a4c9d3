package format_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
)

// TestParseLineEnd: Parse takes a record with the newline every Append
// writes, and with CR LF, which it records as QuirkCRLF as a Scanner
// does: Parse(Append(r)) gives r back, for every format, without
// allocating.
func TestParseLineEnd(t *testing.T) {
	formats := map[format.Format]bool{}
	for _, s := range samples(t) {
		p := format.Dialect{Format: s.f, Location: time.UTC}
		var r record
		if err := s.parse(p, &r); err != nil {
			t.Fatal(err)
		}
		line, err := s.print(nil, &r)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		check(t, s.name, s.f, line, r, p)
		if s.f.Expectations() {
			continue
		}
		// The flow in every format of flows that prints it.
		for _, f := range format.Formats() {
			line, err := (&format.Dialect{Format: f, Options: s.opts, Location: time.UTC}).Append(nil, &r.f)
			if f.Expectations() || err != nil {
				continue
			}
			formats[f] = true
			p := format.Dialect{Format: f, Location: time.UTC}
			var want record
			if err := p.Parse(bytes.TrimSuffix(line, []byte("\n")), &want.f); err != nil {
				t.Fatalf("%s as %s: %v", s.name, f, err)
			}
			check(t, s.name+" as "+f.String(), f, line, want, p)
		}
	}
	for _, f := range format.Formats() {
		if !f.Expectations() && !f.Statistics() && !formats[f] {
			t.Errorf("no flow printed as %s", f)
		}
	}
}

// check parses line, a record of format f with its newline, as is and
// with CR LF, and compares with want, without allocating.
func check(t *testing.T, name string, f format.Format, line []byte, want record, p format.Dialect) {
	t.Helper()
	crlf := append(bytes.TrimSuffix(bytes.Clone(line), []byte("\n")), "\r\n"...)
	for _, c := range []struct {
		line  []byte
		quirk format.Quirks
	}{{line, 0}, {crlf, format.QuirkCRLF}} {
		s := sample{f: f, line: c.line}
		var got record
		if err := s.parse(p, &got); err != nil {
			t.Errorf("%s: %q: %v", name, c.line, err)
			continue
		}
		w := want
		if f.Expectations() {
			w.e.Quirks |= c.quirk
		} else {
			w.f.Quirks |= c.quirk
		}
		if got.f != w.f || got.e != w.e {
			t.Errorf("%s: %q reads as\n%+v\nwant\n%+v", name, c.line, got, w)
		}
		if n := testing.AllocsPerRun(20, func() { s.parse(p, &got) }); n != 0 {
			t.Errorf("%s: %q: parse allocates %v times", name, c.line, n)
		}
	}
}
