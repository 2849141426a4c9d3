package fuzz

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
)

// FuzzStats reads the table's counters (conntrack -S, -S expect, -C, older
// conntrack's list, /proc/net/stat/nf_conntrack of every kernel layout)
// and checks that reading does not depend on how the input is split, that
// every record read prints, and that what is printed reads back as the
// same records and prints the same bytes again. Seeds: the captures of
// testdata/stats and the pasted 050.
func FuzzStats(f *testing.F) {
	files, _ := filepath.Glob("../testdata/stats/*.txt")
	older, _ := filepath.Glob("../testdata/stats/older/*.txt")
	for _, file := range append(append(files, older...), "../testdata/pasted/050-fedora-magazine-nat-part2-conntrack-S-stats.txt") {
		data, _ := os.ReadFile(file)
		f.Add(data, []byte{3, 40})
	}
	f.Fuzz(func(t *testing.T, data, splits []byte) {
		want, fm, wantErr := scanStats(bytes.NewReader(data), format.Auto)
		got, _, gotErr := scanStats(&chunkReader{data: data, sizes: splits}, format.Auto)
		if d := cmp.Diff(want, got, cmp.AllowUnexported(format.Stats{})); d != "" || wantErr != gotErr {
			t.Fatalf("reading depends on splits %v:\n%s%s\n%s", splits, d, wantErr, gotErr)
		}
		if !fm.Statistics() || len(want) == 0 {
			return
		}
		var out bytes.Buffer
		w := format.NewWriter(&out, format.Dialect{Format: fm})
		for i := range want {
			if err := w.WriteStats(&want[i]); err != nil {
				t.Fatalf("record %d of %v read, not printed: %v\n%q", i, fm, err, data)
			}
		}
		again, _, err := scanStats(bytes.NewReader(out.Bytes()), fm)
		// Lines of older conntrack's list, a counter a line, that a bad
		// line parted read back as one block, the lines being next to
		// each other once printed.
		want = joinLists(want)
		if err != "" || !cmp.Equal(want, again, cmp.AllowUnexported(format.Stats{})) {
			t.Fatalf("printed %v reads otherwise: %s\n%s\n%q", fm, err, cmp.Diff(want, again, cmp.AllowUnexported(format.Stats{})), out.Bytes())
		}
		var out2 bytes.Buffer
		w = format.NewWriter(&out2, format.Dialect{Format: fm})
		for i := range again {
			w.WriteStats(&again[i])
		}
		if !bytes.Equal(out.Bytes(), out2.Bytes()) {
			t.Fatalf("prints otherwise the second time:\n%q\n%q", out.Bytes(), out2.Bytes())
		}
	})
}

// scanStats reads the counters of r, skipping bad lines.
func scanStats(r io.Reader, f format.Format) ([]format.Stats, format.Format, string) {
	var errs string
	sc, err := format.NewScanner(r, format.Dialect{Format: f}, format.WithMaxLine(512))
	if err != nil {
		panic(err)
	}
	fm, err := sc.Detect()
	if err != nil || !fm.Statistics() {
		return nil, fm, errs
	}
	var all []format.Stats
	for st, err := range sc.Stats() {
		var pe *format.ParseError
		switch {
		case errors.As(err, &pe):
			errs += err.Error() + "\n" // a bad line, skipped
		case err != nil:
			errs += err.Error()
		default:
			all = append(all, *st)
		}
	}
	return all, fm, errs
}

// FuzzStatsJSON decodes a JSON line as a record of the table's counters:
// what decodes encodes to JSON that decodes to the same record and
// encodes the same again, and goes through msgpack unchanged; what does
// not gives a *format.ParseError inside the line. Seeds: the goldens of
// testdata/stats/json.
func FuzzStatsJSON(f *testing.F) {
	files, _ := filepath.Glob("../testdata/stats/json/*.jsonl")
	for _, file := range files {
		data, _ := os.ReadFile(file)
		for line := range bytes.Lines(data) {
			f.Add(bytes.TrimSuffix(line, []byte("\n")))
		}
	}
	f.Add([]byte(`{"cpu":0,"found":1,"invalid":400,"netns":"blue"}`)) // of a capture of several namespaces
	f.Fuzz(func(t *testing.T, line []byte) {
		var d codec.JSONDecoder
		var s format.Stats
		err := d.DecodeStats(line, &s)
		checkJSON(t, line, err, &s, func(b []byte, v *format.Stats) ([]byte, error) { return codec.AppendJSONStats(b, v) },
			func(b []byte, v *format.Stats) error { return d.DecodeStats(b, v) })
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := codec.NewMsgpackEncoder(&buf).EncodeStats(&s); err != nil {
			t.Fatalf("decoded but does not encode as msgpack: %v", err)
		}
		var again format.Stats
		if k, err := codec.NewMsgpackDecoder(&buf).DecodeRecord(nil, nil, &again); k != codec.KindStats || err != nil {
			t.Fatalf("msgpack record does not decode: %v, %v", k, err)
		}
		if d := cmp.Diff(s, again, cmp.AllowUnexported(format.Stats{})); d != "" {
			t.Fatalf("msgpack changes the record:\n%s", d)
		}
	})
}

// FuzzMsgpackStats decodes a msgpack stream with records of counters
// among flows: it never panics, each error wraps codec.ErrCorrupt or is an
// end of input, and each record of counters encodes and decodes back to
// itself.
func FuzzMsgpackStats(f *testing.F) {
	data, _ := os.ReadFile("../testdata/stats/proc-stat.txt")
	sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.ProcStats})
	var seed bytes.Buffer
	enc := codec.NewMsgpackEncoder(&seed)
	for s, err := range sc.Stats() {
		if err != nil {
			f.Fatal(err)
		}
		enc.EncodeStats(s)
		s.Netns = "pid 42" // and as a capture of several namespaces carries them
		enc.EncodeStats(s)
	}
	enc.EncodeEnd(0)
	f.Add(seed.Bytes())
	var s format.Stats
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := codec.NewMsgpackDecoder(bytes.NewReader(data))
		var fl format.Flow
		var e format.Expect
		for {
			k, err := dec.DecodeRecord(&fl, &e, &s)
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.Is(err, codec.ErrCorrupt) {
					t.Fatalf("error %v (%T) is not corruption", err, err)
				}
				return
			}
			if k != codec.KindStats {
				continue
			}
			var buf bytes.Buffer
			if err := codec.NewMsgpackEncoder(&buf).EncodeStats(&s); err != nil {
				t.Fatalf("decoded but does not encode: %v", err)
			}
			var again format.Stats
			if _, err := codec.NewMsgpackDecoder(&buf).DecodeRecord(nil, nil, &again); err != nil {
				t.Fatalf("encoded record does not decode: %v", err)
			}
			if d := cmp.Diff(s, again, cmp.AllowUnexported(format.Stats{})); d != "" {
				t.Fatalf("record differs after encoding again:\n%s", d)
			}
		}
	})
}

// joinLists joins the records of older conntrack's list (no CPU, not
// conntrack -C's count) that follow each other and hold other counters, as
// a Scanner reads such lines as one record.
func joinLists(all []format.Stats) []format.Stats {
	var out []format.Stats
	list := func(s *format.Stats) bool {
		n := 0
		for st := range s.All() {
			if st != format.StatEntries {
				n++
			}
		}
		return s.CPU < 0 && n > 0
	}
	for i := range all {
		s := all[i]
		if k := len(out) - 1; k >= 0 && list(&out[k]) && list(&s) {
			disjoint := true
			for st := range s.All() {
				disjoint = disjoint && !out[k].Has(st)
			}
			if disjoint {
				for st, v := range s.All() {
					out[k].Set(st, v)
				}
				continue
			}
		}
		out = append(out, s)
	}
	return out
}
