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

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
)

var cmpOpts = []cmp.Option{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b format.Extras) bool { return cmp.Equal(extras(a), extras(b)) }),
}

type extra struct {
	Slot format.Slot
	Tok  string
}

func extras(e format.Extras) []extra {
	var l []extra
	for s, tok := range e.All() {
		l = append(l, extra{s, tok})
	}
	return l
}

// corpusLines adds every line of the corpus files whose names start with
// prefix as a seed.
func corpusLines(f *testing.F, prefix string) {
	files, _ := filepath.Glob("../testdata/corpus/" + prefix + "*.txt")
	files = append(files, "../format/testdata/"+prefix+".txt")
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
// never panics; a line that parses prints back to itself, because each
// parser accepts only the canonical form of every token; and the printed
// line parses to the same flow. Errors render without panicking.
func lineProperties(t *testing.T, fm format.Format, line []byte) {
	var f format.Flow
	if err := fm.Parse(line, &f); err != nil {
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
	out, err := fm.Append(nil, &f)
	if err != nil {
		t.Fatalf("parsed but does not print: %v", err)
	}
	if string(out) != string(line)+"\n" {
		t.Fatalf("round trip differs:\n in: %q\nout: %q", line, out)
	}
	var g format.Flow
	if err := fm.Parse(out[:len(out)-1], &g); err != nil {
		t.Fatalf("printed line does not parse: %v", err)
	}
	if d := cmp.Diff(f, g, cmpOpts...); d != "" {
		t.Fatalf("parse-print-parse differs:\n%s", d)
	}
}

func FuzzProc(f *testing.F) {
	corpusLines(f, "proc")
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.IndexByte(line, '\n') >= 0 {
			return
		}
		lineProperties(t, format.Proc, line)
	})
}

func FuzzIPLegacy(f *testing.F) {
	corpusLines(f, "iplegacy")
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.IndexByte(line, '\n') >= 0 {
			return
		}
		lineProperties(t, format.IPLegacy, line)
	})
}

// FuzzScanner checks that a stream gives the same flows and errors however
// the reader splits it, as a pipe from conntrack -E would, and whatever the
// format detection decides.
func FuzzScanner(f *testing.F) {
	for _, file := range []string{"../testdata/corpus/proc.txt", "../format/testdata/iplegacy.txt"} {
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
