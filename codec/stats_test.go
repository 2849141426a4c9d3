package codec_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
)

// statsCaptures returns the captures of the table's counters in
// testdata/stats (and older/), with their format, by file.
func statsCaptures(t *testing.T) map[string]format.Format {
	t.Helper()
	files, _ := filepath.Glob("../testdata/stats/*.txt")
	older, _ := filepath.Glob("../testdata/stats/older/*.txt")
	out := map[string]format.Format{}
	for _, file := range append(files, older...) {
		data, _ := os.ReadFile(file)
		sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Auto})
		if fm, err := sc.Detect(); err == nil && fm.Statistics() {
			out[file] = fm
		}
	}
	if len(out) < 15 {
		t.Fatalf("only %d captures of counters", len(out))
	}
	return out
}

// readCaptureStats reads every record of counters of data, in format fm.
func readCaptureStats(t *testing.T, data []byte, fm format.Format) []format.Stats {
	t.Helper()
	sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: fm})
	var all []format.Stats
	for s, err := range sc.Stats() {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, *s)
	}
	return all
}

var statsEqual = cmp.Comparer(func(a, b format.Stats) bool {
	if a.CPU != b.CPU {
		return false
	}
	for st := format.StatSearched; st <= format.StatExpectDelete; st++ {
		av, aok := a.Value(st)
		bv, bok := b.Value(st)
		if av != bv || aok != bok {
			return false
		}
	}
	return true
})

// TestStatsGolden encodes each capture of counters as JSON Lines and
// checks it against testdata/stats/json/NAME.jsonl, both ways: the text
// encodes to the golden, and the golden decodes to records that print as
// the text, byte for byte. Each record goes through msgpack unchanged too.
func TestStatsGolden(t *testing.T) {
	for file, fm := range statsCaptures(t) {
		text, _ := os.ReadFile(file)
		rel, _ := filepath.Rel("../testdata/stats", file)
		golden := filepath.Join("../testdata/stats/json", strings.ReplaceAll(strings.TrimSuffix(rel, ".txt"), "/", "-")+".jsonl")
		all := readCaptureStats(t, text, fm)
		var js []byte
		var err error
		for i := range all {
			if js, err = codec.AppendJSONStats(js, &all[i]); err != nil {
				t.Fatal(err)
			}
		}
		if *update {
			os.MkdirAll(filepath.Dir(golden), 0o755)
			os.WriteFile(golden, js, 0o644)
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./codec -update)", err)
		}
		if !bytes.Equal(js, want) {
			t.Errorf("%s: the JSON differs from %s:\n%s", file, golden, js)
		}

		var out bytes.Buffer
		w := format.NewWriter(&out, format.Dialect{Format: fm})
		var d codec.JSONDecoder
		var s format.Stats
		var back []format.Stats
		for line := range bytes.Lines(want) {
			if err := d.DecodeStats(line, &s); err != nil {
				t.Fatalf("%s: %q: %v", golden, line, err)
			}
			back = append(back, s)
			if err := w.WriteStats(&s); err != nil {
				t.Fatal(err)
			}
		}
		w.Close()
		if !bytes.Equal(out.Bytes(), text) {
			t.Errorf("%s prints otherwise than %s:\n%s", golden, file, out.Bytes())
		}

		var buf bytes.Buffer
		enc := codec.NewMsgpackEncoder(&buf)
		for i := range all {
			if err := enc.EncodeStats(&all[i]); err != nil {
				t.Fatal(err)
			}
		}
		dec := codec.NewMsgpackDecoder(&buf)
		var got []format.Stats
		for {
			k, err := dec.DecodeRecord(nil, nil, &s)
			if err == io.EOF {
				break
			}
			if err != nil || k != codec.KindStats {
				t.Fatalf("%s: msgpack record %d: %v, %v", file, len(got), k, err)
			}
			got = append(got, s)
		}
		if d := cmp.Diff(all, got, statsEqual); d != "" || cmp.Diff(all, back, statsEqual) != "" {
			t.Errorf("%s: msgpack or JSON changes the records:\n%s", file, d)
		}
	}
}

// TestStatsSchema validates the golden JSON of the counters against
// stats.schema.json, and checks that the schema tells counters from flows
// and expectations: it rejects their lines, and theirs reject counters.
func TestStatsSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	for _, name := range []string{"flow.schema.json", "expect.schema.json", "stats.schema.json"} {
		f, _ := os.Open(name)
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		c.AddResource("https://github.com/ctconv/ctconv/codec/"+name, doc)
	}
	schema := map[string]*jsonschema.Schema{}
	for _, name := range []string{"flow", "expect", "stats"} {
		s, err := c.Compile("https://github.com/ctconv/ctconv/codec/" + name + ".schema.json")
		if err != nil {
			t.Fatal(err)
		}
		schema[name] = s
	}
	validate := func(kind, line string) error {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(line))
		if err != nil {
			t.Fatal(err)
		}
		return schema[kind].Validate(v)
	}
	files, _ := filepath.Glob("../testdata/stats/json/*.jsonl")
	n := 0
	for _, file := range files {
		data, _ := os.ReadFile(file)
		for line := range strings.Lines(string(data)) {
			if err := validate("stats", line); err != nil {
				t.Errorf("%s: %v", file, err)
			}
			if validate("flow", line) == nil || validate("expect", line) == nil {
				t.Errorf("%s: a flow's or expectation's schema takes %s", file, line)
			}
			n++
		}
	}
	if n < 25 {
		t.Errorf("only %d lines validated", n)
	}
	for _, other := range []string{"../testdata/corpus/conntrack-L.jsonl", "../testdata/corpus/proc-expect.jsonl"} {
		data, _ := os.ReadFile(other)
		line, _, _ := strings.Cut(string(data), "\n")
		if validate("stats", line) == nil {
			t.Errorf("the counters' schema takes %s", line)
		}
	}
	for _, bad := range []string{`{"cpu":0}`, `{"cpu":-1,"found":1}`, `{"found":1}`, `{"cpu":0,"found":4294967296}`, `{"cpu":0,"icmp_error":1}`} {
		if validate("stats", bad) == nil {
			t.Errorf("the counters' schema takes %s", bad)
		}
	}
}

// TestDecodeStats checks the JSON decoder of counters on lines a writer
// does not write: it takes members in any order and skips those it does
// not know (a later version's counters), and rejects the rest with the
// sentinel error.
func TestDecodeStats(t *testing.T) {
	for _, c := range []struct {
		line    string
		want    string // the line as AppendJSONStats writes the record back
		wantErr error
	}{
		{line: `{"cpu":1,"invalid":4,"found":2}`, want: `{"cpu":1,"found":2,"invalid":4}`},
		{line: ` { "cpu" : null , "entries" : 59 } `, want: `{"cpu":null,"entries":59}`},
		{line: `{"cpu":0,"drop":1,"later_counter":7,"later":{"a":[1]}}`, want: `{"cpu":0,"drop":1}`},
		{line: `{"cpu":0}`, wantErr: format.ErrMissing},
		{line: `{"found":1}`, wantErr: format.ErrMissing},
		{line: `{"cpu":0,"found":1,"found":2}`, wantErr: format.ErrDuplicate},
		{line: `{"cpu":0,"cpu":1,"found":2}`, wantErr: format.ErrDuplicate},
		{line: `{"cpu":-1,"found":1}`, wantErr: format.ErrRange},
		{line: `{"cpu":0,"found":4294967296}`, wantErr: format.ErrRange},
		{line: `{"cpu":0,"found":"1"}`, wantErr: format.ErrSyntax},
		{line: `{"cpu":0,"found":1}x`, wantErr: format.ErrSyntax},
		{line: `{"cpu":0,"found":1`, wantErr: format.ErrMissing},
	} {
		var d codec.JSONDecoder
		var s format.Stats
		err := d.DecodeStats([]byte(c.line), &s)
		var pe *format.ParseError
		if c.wantErr != nil {
			if !errors.Is(err, c.wantErr) || !errors.As(err, &pe) {
				t.Errorf("%s: %v, want %v", c.line, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.line, err)
			continue
		}
		if got, _ := codec.AppendJSONStats(nil, &s); string(got) != c.want+"\n" {
			t.Errorf("%s reads as %s", c.line, got)
		}
	}
	if _, err := codec.AppendJSONStats(nil, &format.Stats{}); err == nil {
		t.Error("a record without counters encodes")
	}
}

// TestMsgpackStatsLater checks what a reader does with a stream that holds
// counters: Decode, for flows, skips them, as readers before them do; a
// counters record with values of later counters reads without them; one
// holding only later counters is skipped; a bad one is corrupt.
func TestMsgpackStatsLater(t *testing.T) {
	var buf bytes.Buffer
	enc := codec.NewMsgpackEncoder(&buf)
	var s format.Stats
	s.CPU = 3
	s.Set(format.StatInvalid, 400)
	s.Set(format.StatChainTooLong, 2)
	enc.EncodeStats(&s)
	m := msgpack.NewEncoder(&buf)
	m.UseCompactInts(true)
	// A later writer's: invalid, then a counter at bit 21, then one at 30.
	m.Encode([]any{4, 1, 1<<4 | 1<<21 | 1<<30, 9, 77, 88})
	m.Encode([]any{4, 2, 1 << 21, 77}) // only a later counter: skipped
	flows := corpus(t)["../testdata/corpus/conntrack-L.txt"]
	enc.EncodeFlow(&flows[0])
	enc.EncodeEnd(1)
	data := buf.Bytes()

	dec := codec.NewMsgpackDecoder(bytes.NewReader(data))
	var f format.Flow
	if k, err := dec.Decode(&f, nil); k != codec.KindFlow || err != nil {
		t.Fatalf("Decode: %v, %v; want the flow after the counters", k, err)
	}
	dec = codec.NewMsgpackDecoder(bytes.NewReader(data))
	var kinds []codec.Kind
	var got []string
	for {
		k, err := dec.DecodeRecord(&f, nil, &s)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, k)
		if k == codec.KindStats {
			js, _ := codec.AppendJSONStats(nil, &s)
			got = append(got, string(js))
		}
	}
	want := []string{"{\"cpu\":3,\"invalid\":400,\"chaintoolong\":2}\n", "{\"cpu\":1,\"invalid\":9}\n"}
	if d := cmp.Diff(want, got); d != "" || len(kinds) != 4 {
		t.Errorf("kinds %v, counters:\n%s", kinds, d)
	}
	for _, bad := range [][]any{{4, 0, 0}, {4, -2, 2, 1}, {4, 0, 1 << 4, 1 << 32}, {4, 0, 1 << 4}} {
		var b bytes.Buffer
		msgpack.NewEncoder(&b).Encode(bad)
		_, err := codec.NewMsgpackDecoder(&b).DecodeRecord(nil, nil, &s)
		if !errors.Is(err, codec.ErrCorrupt) {
			t.Errorf("%v: %v, want corrupt", bad, err)
		}
	}
}

// TestStatsZeroAlloc pins that JSON and msgpack encode and decode a
// record of counters, into reused buffers and structs, without
// allocating.
func TestStatsZeroAlloc(t *testing.T) {
	data, _ := os.ReadFile("../testdata/stats/proc-stat.txt")
	s := readCaptureStats(t, data, format.ProcStats)[1]
	buf, _ := codec.AppendJSONStats(make([]byte, 0, 1024), &s)
	if n := testing.AllocsPerRun(100, func() { buf, _ = codec.AppendJSONStats(buf[:0], &s) }); n != 0 {
		t.Errorf("JSON encode allocates %v times", n)
	}
	var d codec.JSONDecoder
	var got format.Stats
	if n := testing.AllocsPerRun(100, func() {
		if err := d.DecodeStats(buf, &got); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("JSON decode allocates %v times", n)
	}
	enc := codec.NewMsgpackEncoder(io.Discard)
	if n := testing.AllocsPerRun(100, func() { enc.EncodeStats(&s) }); n != 0 {
		t.Errorf("msgpack encode allocates %v times", n)
	}
	var stream bytes.Buffer
	enc = codec.NewMsgpackEncoder(&stream)
	for range 200 {
		enc.EncodeStats(&s)
	}
	r := bytes.NewReader(stream.Bytes())
	dec := codec.NewMsgpackDecoder(r)
	dec.DecodeRecord(nil, nil, &got)
	if n := testing.AllocsPerRun(100, func() {
		if _, err := dec.DecodeRecord(nil, nil, &got); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("msgpack decode allocates %v times", n)
	}
}
