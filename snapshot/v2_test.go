package snapshot_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

var golden = flag.Bool("golden", false, "rewrite testdata/v2 from the captures it was made of")

// goldenV2 are the files of testdata/v2: snapshots of version 2 and the
// captures they were made of, the first lines of one where lines is not
// 0. bulk takes two blocks.
var goldenV2 = []struct {
	name, source string
	lines        int
}{
	{"flows", "../testdata/corpus/proc.txt", 0},
	{"expectations", "../testdata/corpus/conntrack-expect-L.txt", 0},
	{"counters", "../testdata/stats/conntrack-S.txt", 0},
	{"bulk", "../testdata/corpus/proc-bulk-100k.txt.zst", 10000},
}

// TestVersion2Golden reads the snapshots of version 2 in testdata/v2 and
// checks that they decode to the JSON Lines beside them, which are the
// records of the captures they were made of; and that the Writer still
// writes them byte for byte, so that a change of what it writes is seen.
// The bulk capture's JSON is not kept: it is its capture's.
func TestVersion2Golden(t *testing.T) {
	for _, c := range goldenV2 {
		text := goldenSource(t, c.source, c.lines)
		snap, want := writeGolden(t, text)
		path := filepath.Join("testdata/v2", c.name)
		if *golden {
			os.WriteFile(path+".ctsnap", snap, 0o644)
			if c.name != "bulk" {
				os.WriteFile(path+".jsonl", want, 0o644)
			}
		}
		file, err := os.ReadFile(path + ".ctsnap")
		if err != nil {
			t.Fatalf("%v (go test ./snapshot -run Version2Golden -golden makes it)", err)
		}
		if c.name != "bulk" {
			if want, err = os.ReadFile(path + ".jsonl"); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(file, snap) {
			t.Errorf("%s: the Writer writes other bytes than the golden file's", c.name)
		}
		if string(file[8:10]) != "\x00\x02" {
			t.Errorf("%s: not a file of version 2", c.name)
		}
		got, err := jsonOf(bytes.NewReader(file))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: decodes to\n%s\nwant\n%s", c.name, firstDiff(got, want), firstDiff(want, got))
		}
	}
}

// goldenSource returns a capture, decompressed, its first lines only
// where lines is not 0.
func goldenSource(t *testing.T, path string, lines int) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".zst") {
		d, _ := zstd.NewReader(nil)
		defer d.Close()
		if data, err = d.DecodeAll(data, nil); err != nil {
			t.Fatal(err)
		}
	}
	if lines > 0 {
		data = bytes.Join(bytes.SplitAfter(data, []byte("\n"))[:lines], nil)
	}
	return data
}

// writeGolden writes the records of a capture to a snapshot with a header
// of fixed values, and returns it with the records as JSON Lines.
func writeGolden(t *testing.T, text []byte) (snap, js []byte) {
	in, err := snapshot.Open(bytes.NewReader(text), snapshot.Text(format.Auto), format.Dialect{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var buf bytes.Buffer
	h := snapshot.Header{Created: time.Unix(1795643845, 0), Host: "lab", Source: in.Encoding(), Location: "UTC",
		Expectations: in.Expectations(), Tool: "ctconv golden"}
	out, err := snapshot.NewOutput(&buf, snapshot.File, format.Dialect{}, h)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case in.Statistics():
		for s, err := range in.Stats() {
			if err == nil {
				err = out.WriteStats(s)
			}
			if err != nil {
				t.Fatal(err)
			}
			js, _ = codec.AppendJSONStats(js, s)
		}
	case in.Expectations():
		for e, err := range in.Expects() {
			if err == nil {
				err = out.WriteExpect(e)
			}
			if err != nil {
				t.Fatal(err)
			}
			js, _ = codec.AppendJSONExpect(js, e)
		}
	default:
		for f, err := range in.Flows() {
			if err == nil {
				err = out.Write(f)
			}
			if err != nil {
				t.Fatal(err)
			}
			js, _ = codec.AppendJSON(js, f)
		}
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), js
}

// jsonOf reads a snapshot's records as JSON Lines, the counters it carries
// before the flows or expectations.
func jsonOf(r *bytes.Reader) ([]byte, error) {
	sr, err := snapshot.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer sr.Close()
	var js []byte
	for _, c := range sr.CarriedStats() {
		js, _ = codec.AppendJSONStats(js, &c)
	}
	h := sr.Header()
	switch {
	case h.Stats:
		for s, err := range sr.Stats() {
			if err != nil {
				return nil, err
			}
			js, _ = codec.AppendJSONStats(js, s)
		}
	case h.Expectations:
		for e, err := range sr.Expects() {
			if err != nil {
				return nil, err
			}
			js, _ = codec.AppendJSONExpect(js, e)
		}
	default:
		for f, err := range sr.Flows() {
			if err != nil {
				return nil, err
			}
			js, _ = codec.AppendJSON(js, f)
		}
	}
	return js, nil
}
