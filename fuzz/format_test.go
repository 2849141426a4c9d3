package fuzz

import (
	"bufio"
	"bytes"
	"io"
	"iter"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
)

var cmpOpts = []cmp.Option{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.AllowUnexported(format.Stats{}),
}

// corpusLines adds every line of the corpus files, and of the older
// producers' layouts (testdata/pasted/older), whose names start with
// prefix and a dash or dot as a seed.
func corpusLines(f *testing.F, prefix string) {
	files := corpustest.Paths(f, prefix+`[\-.]*txt`)
	for _, dir := range []string{"../format/testdata/", "../testdata/pasted/older/"} {
		more, _ := filepath.Glob(dir + prefix + `[\-.]*txt`)
		files = append(files, more...)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			f.Add(bytes.Clone(sc.Bytes()))
		}
	}
}

// lineProperties checks what must hold for any line of format fm: parsing
// never panics, and errors render; a line that parses strictly prints back
// to itself, as the strict parser takes only the form its producer prints
// (but for the padding before conntrack's event types, printed right); a
// line that parses only in another layout prints its tokens back, in its
// producer's layout, which the strict parser reads as the same record; and
// the printed line parses to the same record and prints the same again.
func lineProperties(t *testing.T, fm format.Format, line []byte) {
	if bytes.IndexByte(line, '\n') >= 0 {
		return
	}
	var f format.Flow
	var e format.Expect
	tolerant := format.Dialect{Format: fm, Location: time.UTC}
	relaid := parse(&tolerant, line, &f, &e) == nil
	p := format.Dialect{Format: fm, Location: time.UTC, Strict: true}
	err := parse(&p, line, &f, &e)
	if err != nil && relaid {
		// Another layout: the tolerant parser reads what the strict one
		// reads of the same tokens in the producer's layout.
		p.Strict = false
		err = parse(&p, line, &f, &e)
		if err != nil {
			t.Fatalf("parsed once, then not: %v", err)
		}
		if offloadExcused(fm, &f) || rewrittenXML(t, fm, line, &f, &e) {
			return // XML re-serialised: conntrack's bytes, not the line's tokens
		}
		out := printRecord(t, format.Dialect{Format: fm, Options: p.Options, Location: time.UTC}, &f, &e)
		if !slices.EqualFunc(blankFields(line), blankFields(out[:len(out)-1]), bytes.Equal) {
			t.Fatalf("tokens differ:\n in: %q\nout: %q", line, out)
		}
		if exactLayout(fm, line) && string(out) != string(line)+"\n" {
			t.Fatalf("a line in its producer's layout prints otherwise:\n in: %q\nout: %q", line, out)
		}
		// The printed line is in the producer's layout: it reads as the
		// same record, strictly but for unknown tokens.
		p.Strict = f.Extras.Len() == 0
		readsBack(t, &p, out, &f, &e)
		return
	}
	if err != nil {
		pe, ok := err.(*format.ParseError)
		if !ok {
			t.Fatalf("error %v is a %T, not a *ParseError", err, err)
		}
		if pe.Col < 1 || pe.Col > len(line)+1 {
			t.Fatalf("column %d outside a line of %d bytes", pe.Col, len(line))
		}
		if pe.Text != string(line) {
			t.Fatalf("the error shows %q, not the line", pe.Text)
		}
		_ = pe.Error()
		_ = pe.Underline()
		return
	}
	if offloadExcused(fm, &f) {
		return
	}
	pr := format.Dialect{Format: fm, Options: p.Options, Location: time.UTC}
	out := printRecord(t, pr, &f, &e)
	if fm == format.XML && outsideMeta(line) {
		// Printed in today's layout, whose independent meta says the
		// status too: that reads back, and prints the same again.
		var f2 format.Flow
		if err := parse(&p, out[:len(out)-1], &f2, &e); err != nil {
			t.Fatalf("printed line does not parse: %v\n%q", err, out)
		}
		if again := printRecord(t, pr, &f2, &e); string(again) != string(out) {
			t.Fatalf("printing again differs:\n%q\n%q", out, again)
		}
		return
	}
	if string(out) != string(line)+"\n" {
		t.Fatalf("round trip differs:\n in: %q\nout: %q", line, out)
	}
	readsBack(t, &p, out, &f, &e)
	if again := printRecord(t, pr, &f, &e); string(again) != string(out) {
		t.Fatalf("printing again differs:\n%q\n%q", out, again)
	}
}

// outsideMeta reports whether line, of conntrack's XML, has an element of
// the independent meta right after the reply's, outside any meta, as
// libnetfilter_conntrack 0.9.0 and before printed it where the flow had no
// status: it is read, and printed inside the independent meta
// (docs/OLDER-PRODUCERS.md, item 11).
func outsideMeta(line []byte) bool {
	for _, tag := range []string{"</meta><id>", "</meta><secmark>", "</meta><zone>"} {
		if bytes.Contains(line, []byte(tag)) {
			return true
		}
	}
	return false
}

// offloadExcused reports whether f, read from format fm, is a TCP flow of
// a table without its state, which XML and -o save read but their printers
// refuse: they show no offload, which alone excuses the missing state.
func offloadExcused(fm format.Format, f *format.Flow) bool {
	return (fm == format.XML || fm == format.Save) && f.Proto == format.TCP && !f.Has(format.FieldState) && f.Event == format.EventNone
}

// printRecord prints f, or e for an expectation format, with pr.
func printRecord(t *testing.T, pr format.Dialect, f *format.Flow, e *format.Expect) []byte {
	t.Helper()
	out, err := appendRecord(pr, f, e)
	if err != nil {
		t.Fatalf("parsed but does not print: %v", err)
	}
	return out
}

// readsBack parses out, a printed record of f or e, with p into f or e:
// it must read as the same record.
func readsBack(t *testing.T, p *format.Dialect, out []byte, f *format.Flow, e *format.Expect) {
	t.Helper()
	f0, e0 := *f, *e
	if err := parse(p, out[:len(out)-1], f, e); err != nil {
		t.Fatalf("printed line does not parse: %v\n%q", err, out)
	}
	if d := cmp.Diff(f0, *f, cmpOpts...); d != "" {
		t.Fatalf("parse-print-parse differs:\n%s", d)
	}
	if d := cmp.Diff(e0, *e, cmpOpts...); d != "" {
		t.Fatalf("parse-print-parse differs:\n%s", d)
	}
}

// records returns copies of the records of seq up to its first error, and
// the error.
func records[T any](seq iter.Seq2[*T, error]) ([]T, error) {
	var all []T
	for r, err := range seq {
		if err != nil {
			return all, err
		}
		all = append(all, *r)
	}
	return all, nil
}

// exactLayout reports whether a Scanner reads line, a record, without
// laying it out anew.
func exactLayout(fm format.Format, line []byte) bool {
	sc, err := format.NewScanner(bytes.NewReader(line), format.Dialect{Format: fm, Location: time.UTC})
	if err != nil {
		panic(err)
	}
	if fm.Expectations() {
		_, err = records(sc.Expects())
	} else {
		_, err = records(sc.Flows())
	}
	return err == nil && sc.Normalized() == 0
}

// blankFields splits a line at runs of spaces and TABs, the blanks of a
// pasted line.
func blankFields(line []byte) [][]byte {
	return bytes.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' })
}

func FuzzProc(f *testing.F) {
	corpusLines(f, "proc")
	f.Fuzz(func(t *testing.T, line []byte) { lineProperties(t, format.Proc, line) })
}

func FuzzIPLegacy(f *testing.F) {
	corpusLines(f, "iplegacy")
	f.Fuzz(func(t *testing.T, line []byte) { lineProperties(t, format.IPLegacy, line) })
}

func FuzzConntrack(f *testing.F) {
	corpusLines(f, "conntrack")
	f.Fuzz(func(t *testing.T, line []byte) { lineProperties(t, format.Conntrack, line) })
}

func FuzzXML(f *testing.F) {
	corpusLines(f, "xml")
	f.Fuzz(func(t *testing.T, line []byte) {
		lineProperties(t, format.XML, line)
		reserialisedXML(t, format.XML, line)
	})
}

func FuzzSave(f *testing.F) {
	corpusLines(f, "save")
	f.Fuzz(func(t *testing.T, line []byte) { lineProperties(t, format.Save, line) })
}

// FuzzRestore reads conntrack -R's input; its seeds are the corpus's
// flows, printed as ctconv prints them for conntrack -R.
func FuzzRestore(f *testing.F) {
	files := corpustest.Paths(f, "*")
	pr := format.Dialect{Format: format.Restore}
	for _, file := range files {
		data, _ := os.ReadFile(file)
		sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Auto, Location: time.UTC})
		for fl, err := range sc.Flows() {
			if err != nil {
				break
			}
			if line, err := pr.Append(nil, fl); err == nil {
				f.Add(bytes.TrimSuffix(line, []byte("\n")))
			}
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) { lineProperties(t, format.Restore, line) })
}

// conntrackdLines adds every line of testdata/conntrackd's captures whose
// names match pattern as a seed, after the byte which.
func conntrackdLines(f *testing.F, pattern string, which byte) {
	files, _ := filepath.Glob("../testdata/conntrackd/" + pattern)
	for _, file := range files {
		data, _ := os.ReadFile(file)
		for _, line := range bytes.Split(data, []byte("\n")) {
			f.Add(append([]byte{which}, line...))
		}
	}
}

// FuzzConntrackd drives conntrackd's formats of flows, conntrackd -i and
// -e and their -x; the first byte picks one.
func FuzzConntrackd(f *testing.F) {
	conntrackdLines(f, "*conntrackd-[ie].txt", 0)
	conntrackdLines(f, "conntrackd-[ie]-x.txt", 1)
	formats := []format.Format{format.Conntrackd, format.ConntrackdXML}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		lineProperties(t, formats[int(in[0])%len(formats)], in[1:])
	})
}

// FuzzExpect drives the expectation formats; the first byte picks one.
func FuzzExpect(f *testing.F) {
	conntrackdLines(f, "conntrackd-[ie]-expect.txt", 3)
	conntrackdLines(f, "conntrackd-[ie]-expect-x.txt", 4)
	for i, prefix := range []string{"proc-expect", "conntrack-expect", "xml-expect"} {
		files := corpustest.Paths(f, prefix+"*.txt")
		for _, file := range files {
			data, _ := os.ReadFile(file)
			for _, line := range bytes.Split(data, []byte("\n")) {
				f.Add(append([]byte{byte(i)}, line...))
			}
		}
	}
	// Older producers' layouts (docs/OLDER-PRODUCERS.md), of proc-expect
	// and conntrack-expect.
	for file, i := range olderExpect {
		data, _ := os.ReadFile(file)
		for _, line := range bytes.Split(data, []byte("\n")) {
			f.Add(append([]byte{byte(i)}, line...))
		}
	}
	formats := []format.Format{format.ProcExpect, format.ConntrackExpect, format.XMLExpect, format.ConntrackdExpect, format.ConntrackdXMLExpect}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		fm := formats[int(in[0])%len(formats)]
		lineProperties(t, fm, in[1:])
		if fm == format.XMLExpect {
			reserialisedXML(t, fm, in[1:])
		}
	})
}

// olderExpect are the files of older producers' expectation layouts, with
// the index of their format in FuzzExpect's formats: ip_conntrack's (of
// proc-expect; 2.4's EXPECTING: lines among connections) and older
// libnetfilter_conntrack's (of conntrack-expect).
var olderExpect = map[string]int{
	"../testdata/pasted/older/proc-ip_conntrack_expect-2.6.18.txt":  0,
	"../testdata/pasted/older/proc-ip_conntrack-2.4.0.txt":          0,
	"../testdata/pasted/older/proc-ip_conntrack-2.4.32.txt":         0,
	"../testdata/pasted/older/conntrack-L-expect-libnfct-0.9.txt":   1,
	"../testdata/pasted/older/conntrack-L-expect-libnfct-1.0.0.txt": 1,
}

// FuzzScanner checks that a stream gives the same flows and errors however
// the reader splits it, as a pipe from conntrack -E would, and whatever the
// format detection decides.
func FuzzScanner(f *testing.F) {
	files := corpustest.Paths(f, "*")
	reserialised, _ := filepath.Glob("../format/testdata/xml-reserialised/*.xml")                                                          // XML over many lines
	files = append(files, "../testdata/pasted/older/proc-ip_conntrack-2.4.0.txt", "../testdata/pasted/older/proc-ip_conntrack-2.4.32.txt") // EXPECTING: lines
	conntrackd, _ := filepath.Glob("../testdata/conntrackd/*conntrackd-[ie]*.txt")
	files = append(files, conntrackd...)
	for _, file := range append(append(files, reserialised...), "../format/testdata/iplegacy.txt") {
		data, _ := os.ReadFile(file)
		data = data[:min(len(data), 2048)] // the mutator is slow on large inputs
		f.Add(data, []byte{1, 7, 200})
		f.Add(data[:len(data)/3], []byte{13})
	}
	f.Fuzz(func(t *testing.T, data, splits []byte) {
		want, wantErr := scan(bytes.NewReader(data))
		got, gotErr := scan(&chunkReader{data: data, sizes: splits})
		if d := cmp.Diff(want, got, cmpOpts...); d != "" {
			t.Fatalf("flows differ with splits %v:\n%s", splits, d)
		}
		if wantErr != gotErr {
			t.Fatalf("errors differ with splits %v:\n%s\n%s", splits, wantErr, gotErr)
		}
	})
}

func scan(r io.Reader) ([]format.Flow, string) {
	var errs []string
	sc, err := format.NewScanner(r, format.Dialect{Format: format.Auto}, format.WithMaxLine(512))
	if err != nil {
		panic(err)
	}
	var flows []format.Flow
	// A bad line's error is kept, and the loop goes on; any other error
	// ends the records.
	switch fm, err := sc.Detect(); {
	case err != nil:
		errs = append(errs, err.Error())
	case fm.Expectations():
		for e, err := range sc.Expects() {
			if err != nil {
				errs = append(errs, err.Error())
				continue
			}
			flows = append(flows, format.Flow{Family: e.Family, Proto: e.Proto, Orig: e.Tuple, Reply: e.Master})
		}
	default:
		for f, err := range sc.Flows() {
			if err != nil {
				errs = append(errs, err.Error())
				continue
			}
			flows = append(flows, *f)
		}
	}
	if n := sc.Others(); n > 0 { // lines of the other kind passed over
		errs = append(errs, strconv.Itoa(n)+" others")
	}
	return flows, strings.Join(errs, "\n")
}

// chunkReader returns data in pieces whose sizes come from the fuzzer.
type chunkReader struct {
	data  []byte
	sizes []byte
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(c.sizes) > 0 {
		n = int(c.sizes[c.i%len(c.sizes)]) + 1
		c.i++
	}
	n = min(n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// FuzzRelayout lays out valid records again as pastes do (runs of spaces,
// TABs and spaces of Unicode between tokens, indentation, trailing blanks, padding collapsed)
// and checks that each reads as the same record and prints the original
// line. Seeds: the lines of the corpus and of testdata/pasted, each with a
// format and a layout; the bytes of the layout pick the blanks.
func FuzzRelayout(f *testing.F) {
	formats := []format.Format{format.Proc, format.IPLegacy, format.Conntrack, format.Save, format.ProcExpect, format.ConntrackExpect,
		format.Conntrackd, format.ConntrackdExpect}
	for file, i := range map[string]int{"*conntrackd-[ie].txt": 6, "conntrackd-[ie]-expect.txt": 7} {
		files, _ := filepath.Glob("../testdata/conntrackd/" + file)
		for _, file := range files {
			data, _ := os.ReadFile(file)
			for j, line := range bytes.Split(data, []byte("\n")) {
				if j < 40 {
					f.Add(byte(i), line, []byte{byte(j), 0, 1, 2, 9, 32, 200})
				}
			}
		}
	}
	for i, fm := range formats {
		files := corpustest.Paths(f, fm.String()+`[\-.]*txt`)
		more, _ := filepath.Glob("../testdata/pasted/older/*" + fm.String() + "*.txt")
		more2, _ := filepath.Glob("../format/testdata/" + fm.String() + "*.txt")
		for _, file := range append(append(files, more...), more2...) {
			data, _ := os.ReadFile(file)
			for j, line := range bytes.Split(data, []byte("\n")) {
				if j < 40 {
					f.Add(byte(i), line, []byte{byte(j), 0, 1, 2, 9, 32, 200})
				}
			}
		}
	}
	for file, i := range olderExpect {
		data, _ := os.ReadFile(file)
		for j, line := range bytes.Split(data, []byte("\n")) {
			f.Add(byte(4+i), line, []byte{byte(j), 0, 1, 2, 9, 32, 200})
		}
	}
	// Lines whose layout has more than single spaces between tokens.
	f.Add(byte(2), []byte("[DESTROY] ipv4     2 tcp      6 120 CLOSE src=127.0.0.1 dst=127.0.0.1 sport=48180 dport=1 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=1 dport=48180 [start=Thu Nov  5 22:54:29 2026] [stop=Thu Nov  5 22:54:29 2026] id=3575694783"), []byte{3, 7})
	f.Add(byte(5), []byte("[1368612345.123   ]\t [UPDATE] 300 proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=10000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=127.0.0.1 master-dst=127.0.0.1 sport=40704 dport=2121 class=0 helper=ftp"), []byte{1, 250})
	f.Fuzz(func(t *testing.T, which byte, line, layout []byte) {
		fm := formats[int(which)%len(formats)]
		if bytes.IndexByte(line, '\n') >= 0 || len(layout) == 0 {
			return
		}
		want, ok := parseStrict(fm, line, true)
		if !ok || bytes.ContainsFunc(line, func(r rune) bool { return r > 0x7f && unicode.Is(unicode.Zs, r) }) {
			return // a token's own space of Unicode is not told from a paste's
		}
		// A record whose runs of blanks carry content (a label of two
		// words, a vendor's bracket token) is its own layout: the single-
		// spaced line must read as the same, or it is left out.
		if got, ok := parseStrict(fm, bytes.Join(blankFields(line), []byte(" ")), false); !ok || !sameRecord(want, got) {
			return
		}
		blanks := func(i int, min int) []byte {
			b := layout[i%len(layout)]
			n := min + int(b&3)
			var run []byte
			for k := range n {
				switch {
				case b>>(2+k%6)&1 != 0:
					run = append(run, '\t')
				case k == 0 && b>>6 == 1:
					run = append(run, "\u00a0"...) // a web page's no-break space
				case k == 0 && b>>6 == 2:
					run = append(run, "\u3000"...) // an ideographic space
				default:
					run = append(run, ' ')
				}
			}
			return run
		}
		toks := blankFields(line)
		relaid := blanks(0, 0)
		for i, tok := range toks {
			if i > 0 {
				relaid = append(relaid, blanks(i, 1)...)
			}
			relaid = append(relaid, tok...)
		}
		relaid = append(relaid, blanks(len(toks), 0)...)
		got, ok := parseStrict(fm, relaid, false)
		if !ok {
			t.Fatalf("re-laid line does not read: %v\n%q\n%q", got.err, line, relaid)
		}
		if _, strict := parseStrict(fm, relaid, true); strict {
			return // the producer's grammar itself takes it (padding before an event)
		}
		if !sameRecord(want, got) {
			t.Fatalf("re-laid line reads otherwise:\n%q\n%q\n%s%s", line, relaid, cmp.Diff(want.f, got.f, cmpOpts...), cmp.Diff(want.e, got.e, cmpOpts...))
		}
		if !bytes.Equal(want.out, got.out) {
			t.Fatalf("re-laid line prints otherwise:\n%q\n%q", want.out, got.out)
		}
	})
}

type record struct {
	f   format.Flow
	e   format.Expect
	out []byte
	err error
}

// parseStrict parses line, strictly or not, and prints what it read.
func parseStrict(fm format.Format, line []byte, strict bool) (record, bool) {
	var r record
	p := format.Dialect{Format: fm, Strict: strict, Location: time.UTC}
	pr := format.Dialect{Format: fm, Location: time.UTC}
	if fm.Expectations() {
		if r.err = p.ParseExpect(line, &r.e); r.err == nil {
			pr.Options = p.Options
			r.out, r.err = pr.AppendExpect(nil, &r.e)
		}
	} else if r.err = p.Parse(line, &r.f); r.err == nil {
		pr.Options = p.Options
		r.out, r.err = pr.Append(nil, &r.f)
	}
	return r, r.err == nil
}

func sameRecord(a, b record) bool {
	return cmp.Equal(a.f, b.f, cmpOpts...) && cmp.Equal(a.e, b.e, cmpOpts...)
}
