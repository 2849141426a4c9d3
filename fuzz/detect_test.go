package fuzz

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
)

// FuzzDetect reads an input with each explicit format, strictly (no field
// it does not know), and with auto detection: where some format reads the
// whole input, detection succeeds, picks one that does, and reads the same
// records as it.
func FuzzDetect(f *testing.F) {
	files := corpustest.Paths(f, "*")
	older, _ := filepath.Glob("../testdata/pasted/older/*.txt") // older producers' layouts; 2.4's mixed files
	conntrackd, _ := filepath.Glob("../testdata/conntrackd/*conntrackd-[ie]*.txt")
	files = append(files, conntrackd...)
	for _, file := range append(append(files, older...), "../format/testdata/iplegacy.txt") {
		data, _ := os.ReadFile(file)
		if len(data) > 1024 { // whole lines, for inputs that read
			data = data[:bytes.LastIndexByte(data[:1024], '\n')+1]
		}
		f.Add(data)
	}
	f.Add([]byte(" \\\n\n")) // a blank line continued onto a blank one: Detect indexed past it
	stats, _ := filepath.Glob("../testdata/stats/*.txt")
	for _, file := range stats {
		data, _ := os.ReadFile(file)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		reads := map[format.Format][]any{}
		for _, fm := range format.Formats() {
			if fm.Statistics() {
				continue // FuzzStats
			}
			if recs, _, err := readAll(data, fm); err == nil && len(recs) > 0 {
				reads[fm] = recs
			}
		}
		if len(reads) == 0 {
			return
		}
		auto, detected, err := readAll(data, format.Auto)
		if err != nil {
			t.Fatalf("%d formats read the input, auto detection fails: %v", len(reads), err)
		}
		want, ok := reads[detected]
		if !ok {
			t.Fatalf("auto detection picks %v, which does not read the input", detected)
		}
		if d := cmp.Diff(want, auto, cmpOpts...); d != "" {
			t.Fatalf("%v and auto detection read different records:\n%s", detected, d)
		}
	})
}

// readAll reads every record of data in format fm, strictly, flows or
// expectations, and returns the format read.
func readAll(data []byte, fm format.Format) ([]any, format.Format, error) {
	sc, err := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: fm, Location: time.UTC, Strict: true}, format.WithMaxLine(4096))
	if err != nil {
		return nil, fm, err
	}
	if fm, err = sc.Detect(); err != nil {
		return nil, fm, err
	}
	var recs []any
	if fm.Expectations() {
		es, err := records(sc.Expects())
		for _, e := range es {
			recs = append(recs, e)
		}
		return recs, fm, err
	}
	fs, err := records(sc.Flows())
	for _, f := range fs {
		recs = append(recs, f)
	}
	return recs, fm, err
}
