package codec_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
)

// TestSchema validates every line of the corpus's golden JSON, and of the
// JSON Lines earlier versions wrote, against the schema that documents it, and checks that the schema rejects what the
// decoder rejects.
func TestSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	for _, name := range []string{"flow.schema.json", "expect.schema.json", "stats.schema.json"} {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("https://github.com/ctconv/ctconv/codec/"+name, doc); err != nil {
			t.Fatal(err)
		}
	}
	flow, err := c.Compile("https://github.com/ctconv/ctconv/codec/flow.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	expect, err := c.Compile("https://github.com/ctconv/ctconv/codec/expect.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	stats, err := c.Compile("https://github.com/ctconv/ctconv/codec/stats.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, c := range corpustest.Captures(t) {
		files = append(files, c.Golden)
	}
	// What earlier versions wrote fits too: the schema only grows.
	old, _ := filepath.Glob("../testdata/compat/*/*.jsonl")
	files = append(files, old...)
	n := 0
	for _, file := range files {
		schema := flow
		if strings.Contains(file, "expect") {
			schema = expect
		}
		data, _ := os.ReadFile(file)
		if bytes.HasPrefix(data, []byte(`{"cpu":`)) {
			schema = stats // the table's counters
		}
		for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(v); err != nil {
				t.Errorf("%s:%d: %v", file, i+1, err)
			}
			n++
		}
	}
	if n < 500 {
		t.Errorf("only %d lines validated", n)
	}
	// conntrackd's flows and expectations, with its times, and those of
	// -e without a reply tuple.
	for _, file := range conntrackdFiles(t) {
		data, _ := os.ReadFile(file)
		sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Auto})
		fm, _ := sc.Detect()
		var lines [][]byte
		schema := flow
		if fm.Expectations() {
			schema = expect
			for e, err := range sc.Expects() {
				if err != nil {
					break
				}
				line, err := codec.AppendJSONExpect(nil, e)
				if err != nil {
					t.Fatal(err)
				}
				lines = append(lines, line)
			}
		} else {
			for f, err := range sc.Flows() {
				if err != nil {
					break
				}
				line, err := codec.AppendJSON(nil, f)
				if err != nil {
					t.Fatal(err)
				}
				lines = append(lines, line)
			}
		}
		for _, line := range lines {
			v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(line))
			if err := schema.Validate(v); err != nil {
				t.Errorf("%s: %s: %v", file, line, err)
			}
		}
	}
	for _, bad := range []string{
		`{"family":"ipv5","proto":"tcp","proto-num":6,"tuple-orig":{"src":"1.2.3.4","dst":"1.2.3.4"},"tuple-reply":{"src":"1.2.3.4","dst":"1.2.3.4"}}`,
		`{"family":"ipv4","proto":"tcp","proto-num":6,"tuple-orig":{"src":"1.2.3.4","dst":"1.2.3.4","proto-src-port":70000,"proto-dst-port":1},"tuple-reply":{"src":"1.2.3.4","dst":"1.2.3.4"}}`,
		`{"family":"ipv4","proto":"tcp","proto-num":6,"tuple-orig":{"src":"1.2.3.4"},"tuple-reply":{"src":"1.2.3.4","dst":"1.2.3.4"}}`,
		`{"family":"ipv4","proto":"tcp","proto-num":6,"tuple-orig":{"src":"1.2.3.4","dst":"1.2.3.4"},"tuple-reply":{"src":"1.2.3.4","dst":"1.2.3.4"},"status":["hot"]}`,
	} {
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if flow.Validate(v) == nil {
			t.Errorf("schema accepts %s", bad)
		}
	}
}
