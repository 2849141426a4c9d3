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
)

var update = flag.Bool("update", false, "rewrite the golden JSON files of the corpus")

// TestGolden checks each corpus file against the JSON Lines file beside it,
// both ways: the text encodes to the golden JSON, and the golden JSON
// prints as the text. The pairs are a conformance suite for other
// implementations of the schema.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("../testdata/corpus/*.txt")
	for _, file := range files {
		text, _ := os.ReadFile(file)
		golden := strings.TrimSuffix(file, ".txt") + ".jsonl"

		// Text to JSON.
		sc, _ := format.NewScanner(bytes.NewReader(text), format.Auto, format.WithLocation(time.UTC))
		fm, err := sc.Detect()
		if err != nil {
			t.Fatal(err)
		}
		var js []byte
		var f format.Flow
		var e format.Expect
		for fm.Expectations() && sc.ScanExpect(&e) {
			if js, err = codec.AppendJSONExpect(js, &e); err != nil {
				t.Fatal(err)
			}
		}
		for !fm.Expectations() && sc.Scan(&f) {
			if js, err = codec.AppendJSON(js, &f); err != nil {
				t.Fatal(err)
			}
		}
		if sc.Err() != nil {
			t.Fatal(sc.Err())
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
		var out bytes.Buffer
		w := format.NewWriter(&out, format.Printer{Format: fm, Options: sc.Options(), Location: time.UTC})
		w.Footer = sc.Footer()
		var d codec.JSONDecoder
		for _, line := range bytes.SplitAfter(want, []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			if fm.Expectations() {
				if err := d.DecodeExpect(line, &e); err != nil {
					t.Fatalf("%s: %v", golden, err)
				}
				err = w.WriteExpect(&e)
			} else {
				if err := d.DecodeFlow(line, &f); err != nil {
					t.Fatalf("%s: %v", golden, err)
				}
				err = w.Write(&f)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		w.Close()
		if !bytes.Equal(out.Bytes(), text) {
			t.Errorf("%s prints differently from %s", golden, file)
		}
	}
}
