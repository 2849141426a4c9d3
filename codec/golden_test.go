package codec_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
)

var update = flag.Bool("update", false, "rewrite the golden JSON files of the corpus")

// TestGolden checks each corpus file against the JSON Lines file beside it,
// both ways: the text encodes to the golden JSON, and the golden JSON
// prints as the text. The pairs are a conformance suite for other
// implementations of the schema.
func TestGolden(t *testing.T) {
	for _, c := range corpustest.Captures(t) {
		file, golden := c.Path, c.Golden
		text, _ := os.ReadFile(file)

		// Text to JSON.
		sc, _ := format.NewScanner(bytes.NewReader(text), format.Dialect{Format: format.Auto, Location: time.UTC})
		fm, err := sc.Detect()
		if err != nil {
			t.Fatal(err)
		}
		var js []byte
		if fm.Expectations() {
			for e, err := range sc.Expects() {
				if err != nil {
					t.Fatal(err)
				}
				if js, err = codec.AppendJSONExpect(js, e); err != nil {
					t.Fatal(err)
				}
			}
		} else {
			for f, err := range sc.Flows() {
				if err != nil {
					t.Fatal(err)
				}
				if js, err = codec.AppendJSON(js, f); err != nil {
					t.Fatal(err)
				}
			}
		}
		if *update {
			os.WriteFile(golden, js, 0o644)
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./codec -update)", err)
		}
		if !bytes.Equal(js, want) {
			t.Errorf("%s: the JSON differs from %s", file, golden)
		}

		// JSON to text, with the options the text shows.
		if got := printJSON(t, want, sc.Dialect()); !bytes.Equal(got, text) {
			t.Errorf("%s prints differently from %s", golden, file)
		}
	}
}

// printJSON prints JSON Lines in Dialect d, the text's.
func printJSON(t *testing.T, jsonl []byte, text format.Dialect) []byte {
	t.Helper()
	var out bytes.Buffer
	text.Location, text.CRLF = time.UTC, false // the records' quirks say how each line ends
	fm := text.Format
	w := format.NewWriter(&out, text)
	var d codec.JSONDecoder
	var f format.Flow
	var e format.Expect
	for line := range bytes.Lines(jsonl) {
		var err error
		if fm.Expectations() {
			if err = d.DecodeExpect(line, &e); err == nil {
				err = w.WriteExpect(&e)
			}
		} else if err = d.DecodeFlow(line, &f); err == nil {
			err = w.Write(&f)
		}
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
	}
	w.Close()
	return out.Bytes()
}

// TestCompatGolden reads the JSON Lines that earlier versions wrote, kept
// in testdata/compat/VERSION/ (testdata/compat/README.md): each must
// decode and encode back byte for byte, and print as the text it was made
// from, kept beside it (NAME.txt; JSON Lines made from JSON Lines have
// none). The goldens of e844bb4
// changed where they recorded a bug (ICMP echo replies of -o save as type
// 9; DCCP ports 0 that conntrack invents for kernels without the DCCP
// tracker): the JSON that version wrote still reads as it did.
func TestCompatGolden(t *testing.T) {
	files, _ := filepath.Glob("../testdata/compat/*/*.jsonl")
	if len(files) == 0 {
		t.Fatal("no compatibility goldens")
	}
	for _, file := range files {
		old, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		source := strings.TrimSuffix(file, ".jsonl") + ".txt"
		text, err := os.ReadFile(source)
		var fm format.Format
		var sc *format.Scanner
		expectations := bytes.Contains(old, []byte(`"tuple":`)) && !bytes.Contains(old, []byte(`"tuple-orig":`))
		if err == nil {
			sc, _ = format.NewScanner(bytes.NewReader(text), format.Dialect{Format: format.Auto, Location: time.UTC})
			if fm, err = sc.Detect(); err != nil {
				t.Fatalf("%s: %v", source, err)
			}
			expectations = fm.Expectations()
		} else if !strings.HasPrefix(filepath.Base(file), "json-") {
			t.Fatalf("%s: no text: %v", file, err)
		}
		var js []byte
		var d codec.JSONDecoder
		var f format.Flow
		var e format.Expect
		var s format.Stats
		counters := bytes.HasPrefix(old, []byte(`{"cpu":`))
		var text2 bytes.Buffer // what the counters print as
		w := format.NewWriter(&text2, format.Dialect{Format: fm})
		for line := range bytes.Lines(old) {
			if counters {
				if err = d.DecodeStats(line, &s); err == nil {
					js, err = codec.AppendJSONStats(js, &s)
				}
				if err == nil && sc != nil {
					err = w.WriteStats(&s)
				}
			} else if expectations {
				if err = d.DecodeExpect(line, &e); err == nil {
					js, err = codec.AppendJSONExpect(js, &e)
				}
			} else if err = d.DecodeFlow(line, &f); err == nil {
				js, err = codec.AppendJSON(js, &f)
			}
			if err != nil {
				t.Fatalf("%s: %q: %v", file, line, err)
			}
		}
		if !bytes.Equal(js, old) {
			t.Errorf("%s does not encode back as it was", file)
		}
		if sc == nil {
			continue
		}
		if counters {
			if !bytes.Equal(text2.Bytes(), text) {
				t.Errorf("%s prints differently from %s", file, source)
			}
			continue
		}
		if fm.Expectations() { // for the options the text shows
			for range sc.Expects() {
			}
		} else {
			for range sc.Flows() {
			}
		}
		if got := printJSON(t, old, sc.Dialect()); !bytes.Equal(got, text) {
			t.Errorf("%s prints differently from %s", file, source)
		}
	}
}
