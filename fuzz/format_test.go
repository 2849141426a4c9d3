package fuzz

import (
	"bufio"
	"bytes"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
)

var cmpOpts = []cmp.Option{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
}

// corpusLines adds every line of the corpus files whose names start with
// prefix and a dash or dot as a seed.
func corpusLines(f *testing.F, prefix string) {
	files, _ := filepath.Glob("../testdata/corpus/" + prefix + "[-.]*txt")
	more, _ := filepath.Glob("../format/testdata/" + prefix + "[-.]*txt")
	for _, file := range append(files, more...) {
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
// never panics, and errors render; a line that parses prints back to
// itself, as each parser takes only the form its producer prints (but for
// the padding before conntrack's event types, printed right); and the
// printed line parses to the same record and prints the same again.
func lineProperties(t *testing.T, fm format.Format, line []byte) {
	if bytes.IndexByte(line, '\n') >= 0 {
		return
	}
	p := format.Parser{Format: fm, Location: time.UTC}
	var f format.Flow
	var e format.Expect
	var err error
	if fm.Expectations() {
		err = p.ParseExpect(line, &e)
	} else {
		err = p.Parse(line, &f)
	}
	if err != nil {
		pe, ok := err.(*format.ParseError)
		if !ok {
			t.Fatalf("error %v is a %T, not a *ParseError", err, err)
		}
		if pe.Col < 1 || pe.Col > len(line)+1 {
			t.Fatalf("column %d outside a line of %d bytes", pe.Col, len(line))
		}
		_ = pe.Error()
		_ = pe.Underline()
		return
	}
	if rewrittenXML(t, fm, line, &f, &e) {
		return
	}
	pr := format.Printer{Format: fm, Options: p.Options(), Location: time.UTC}
	print := func() []byte {
		var out []byte
		var err error
		if fm.Expectations() {
			out, err = pr.AppendExpect(nil, &e)
		} else {
			out, err = pr.Append(nil, &f)
		}
		if err != nil {
			t.Fatalf("parsed but does not print: %v", err)
		}
		return out
	}
	out := print()
	if string(out) != string(line)+"\n" && !((fm == format.Conntrack || fm == format.ConntrackExpect) && sameBut(line, out[:len(out)-1], "]")) {
		t.Fatalf("round trip differs:\n in: %q\nout: %q", line, out)
	}
	f0, e0 := f, e
	if fm.Expectations() {
		err = p.ParseExpect(out[:len(out)-1], &e)
	} else {
		err = p.Parse(out[:len(out)-1], &f)
	}
	if err != nil {
		t.Fatalf("printed line does not parse: %v\n%q", err, out)
	}
	if d := cmp.Diff(f0, f, cmpOpts...); d != "" {
		t.Fatalf("parse-print-parse differs:\n%s", d)
	}
	if d := cmp.Diff(e0, e, cmpOpts...); d != "" {
		t.Fatalf("parse-print-parse differs:\n%s", d)
	}
	if again := print(); string(again) != string(out) {
		t.Fatalf("printing again differs:\n%q\n%q", out, again)
	}
}

// sameBut reports whether a and b are equal after what precedes the first
// sep in each, which is padding the parser reads leniently.
func sameBut(a, b []byte, sep string) bool {
	i, j := bytes.Index(a, []byte(sep)), bytes.Index(b, []byte(sep))
	return i >= 0 && j >= 0 && bytes.Equal(a[i:], b[j:]) && len(bytes.TrimLeft(a[:i], " ")) == len(bytes.TrimLeft(b[:j], " "))
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
	files, _ := filepath.Glob("../testdata/corpus/*.txt")
	pr := format.Printer{Format: format.Restore}
	for _, file := range files {
		data, _ := os.ReadFile(file)
		sc, _ := format.NewScanner(bytes.NewReader(data), format.Auto, format.WithLocation(time.UTC))
		var fl format.Flow
		for sc.Scan(&fl) {
			if line, err := pr.Append(nil, &fl); err == nil {
				f.Add(bytes.TrimSuffix(line, []byte("\n")))
			}
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) { lineProperties(t, format.Restore, line) })
}

// FuzzExpect drives the three expectation formats; the first byte picks one.
func FuzzExpect(f *testing.F) {
	for i, prefix := range []string{"proc-expect", "conntrack-expect", "xml-expect"} {
		files, _ := filepath.Glob("../testdata/corpus/" + prefix + "*.txt")
		for _, file := range files {
			data, _ := os.ReadFile(file)
			for _, line := range bytes.Split(data, []byte("\n")) {
				f.Add(append([]byte{byte(i)}, line...))
			}
		}
	}
	formats := []format.Format{format.ProcExpect, format.ConntrackExpect, format.XMLExpect}
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

// FuzzScanner checks that a stream gives the same flows and errors however
// the reader splits it, as a pipe from conntrack -E would, and whatever the
// format detection decides.
func FuzzScanner(f *testing.F) {
	files, _ := filepath.Glob("../testdata/corpus/*.txt")
	reserialised, _ := filepath.Glob("../format/testdata/xml-reserialised/*.xml") // XML over many lines
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
	sc, err := format.NewScanner(r, format.Auto, format.WithMaxLine(512),
		format.WithSkip(func(e *format.ParseError) { errs = append(errs, e.Error()) }))
	if err != nil {
		panic(err)
	}
	var flows []format.Flow
	var f format.Flow
	var e format.Expect
	if fm, err := sc.Detect(); err == nil && fm.Expectations() {
		for sc.ScanExpect(&e) {
			flows = append(flows, format.Flow{Family: e.Family, Proto: e.Proto, Orig: e.Tuple, Reply: e.Master})
		}
	}
	for sc.Scan(&f) {
		flows = append(flows, f)
	}
	if sc.Err() != nil {
		errs = append(errs, sc.Err().Error())
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
