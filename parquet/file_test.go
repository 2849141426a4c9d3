package parquet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/gen"
)

// TestWrittenSchema checks that the schema a file's footer declares is
// the one of its kind's rows, as testdata/*.schema.txt pins it: the
// writer lays out the schema's elements itself.
func TestWrittenSchema(t *testing.T) {
	for _, k := range []Kind{Flows, Expectations, Stats} {
		var b bytes.Buffer
		if err := NewWriter(&b, k, Meta{}).Close(); err != nil {
			t.Fatal(err)
		}
		f, err := pq.OpenFile(bytes.NewReader(b.Bytes()), int64(b.Len()))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("testdata", k.String()+".schema.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Schema().String() + "\n"; got != string(want) {
			t.Errorf("%v: the file declares\n%s", k, got)
		}
		if f.NumRows() != 0 {
			t.Errorf("%v: an empty file of %d rows", k, f.NumRows())
		}
	}
}

// TestStatistics checks each column chunk's statistics in the footer
// against its values, read back: the NULLs, and the least and greatest
// values in the order of the column's type (unsigned for counters), which
// engines trust to skip row groups.
func TestStatistics(t *testing.T) {
	big, _ := convert(t, "../testdata/corpus/conntrack-L-extended-id.txt", Meta{Host: "h", CapturedAt: time.Unix(1e9, 0)})
	files := map[string][]byte{"conntrack-L-extended-id": big}
	for _, name := range []string{"corpus/conntrack-expect-L.txt", "stats/conntrack-S-after.txt", "corpus/xml-E.txt"} {
		files[name], _ = convert(t, "../testdata/"+name, Meta{})
	}
	// Counters past 2^63 are negative as signed integers, and two row
	// groups.
	var b bytes.Buffer
	w := NewWriter(&b, Flows, Meta{})
	g := gen.New(3)
	var f format.Flow
	for i := range RowGroupRows + 100 {
		g.Flow(&f)
		if i%1000 == 0 {
			f.OrigCounters.Bytes = math.MaxUint64 - uint64(i)
		}
		if err := w.Write(&f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files["generated"] = b.Bytes()
	for name, file := range files {
		pf, err := pq.OpenFile(bytes.NewReader(file), int64(len(file)))
		if err != nil {
			t.Fatal(err)
		}
		for i, rg := range pf.RowGroups() {
			for j, cc := range rg.ColumnChunks() {
				st := pf.Metadata().RowGroups[i].Columns[j].MetaData.Statistics
				lo, hi, nulls := chunkBounds(t, cc)
				path := pf.Schema().Columns()[j]
				if st.NullCount != nulls {
					t.Errorf("%s: group %d, %v: %d NULLs, the footer says %d", name, i, path, nulls, st.NullCount)
				}
				if lo.IsNull() {
					if st.MinValue != nil || st.MaxValue != nil {
						t.Errorf("%s: group %d, %v: bounds of no values", name, i, path)
					}
					continue
				}
				if st.MinValue == nil && len(hi.Bytes()) > maxStatBytes {
					continue
				}
				if !bytes.Equal(st.MinValue, lo.Bytes()) || !bytes.Equal(st.MaxValue, hi.Bytes()) {
					t.Errorf("%s: group %d, %v: values from %v to %v, the footer says %x to %x", name, i, path, lo, hi, st.MinValue, st.MaxValue)
				}
			}
		}
	}
}

// chunkBounds reads the values of a column chunk, and returns the least
// and greatest, and the number of NULLs.
func chunkBounds(t *testing.T, cc pq.ColumnChunk) (lo, hi pq.Value, nulls int64) {
	t.Helper()
	typ := cc.Type()
	pages := cc.Pages()
	defer pages.Close()
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return lo, hi, nulls
		}
		if err != nil {
			t.Fatal(err)
		}
		vals := make([]pq.Value, p.NumValues())
		n, err := p.Values().ReadValues(vals)
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		for _, v := range vals[:n] {
			switch {
			case v.IsNull():
				nulls++
			case lo.IsNull():
				lo, hi = v.Clone(), v.Clone()
			case typ.Compare(v, lo) < 0:
				lo = v.Clone()
			case typ.Compare(v, hi) > 0:
				hi = v.Clone()
			}
		}
	}
}

// failAfter fails every write past its first n bytes.
type failAfter struct{ n int }

var errFull = errors.New("disk full")

func (w *failAfter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		n := w.n
		w.n = 0
		return n, errFull
	}
	w.n -= len(p)
	return len(p), nil
}

// TestWriterErrors checks that an error of the underlying writer comes
// back from Write or Close, whichever row group it hits, and that a
// Writer is not used after Close.
func TestWriterErrors(t *testing.T) {
	if testing.Short() { // 14 s under the race detector: smaller groups write sooner
		defer func(n int) { maxGroupBytes = n }(maxGroupBytes)
		maxGroupBytes = 256 << 10
	}
	g := gen.New(5)
	var f format.Flow
	for _, n := range []int{0, 100, 1 << 20, 3 << 20} {
		w := NewWriter(&failAfter{n}, Flows, Meta{})
		var err error
		for range 2*RowGroupRows + 10 {
			g.Flow(&f)
			if err = w.Write(&f); err != nil {
				break
			}
		}
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if !errors.Is(err, errFull) {
			t.Errorf("failing after %d bytes: %v", n, err)
		}
		if err := w.Close(); !errors.Is(err, errClosed) {
			t.Errorf("a second Close: %v", err)
		}
		if err := w.Write(&f); !errors.Is(err, errClosed) {
			t.Errorf("Write after Close: %v", err)
		}
	}
}

// TestGroupBytes checks that a row group ends early once its strings
// pass maxGroupBytes, and that its rows read back.
func TestGroupBytes(t *testing.T) {
	defer func(n int) { maxGroupBytes = n }(maxGroupBytes)
	maxGroupBytes = 64 << 10
	var b bytes.Buffer
	w := NewWriter(&b, Flows, Meta{})
	g := gen.New(9)
	var f format.Flow
	var want []byte
	for i := range 300 {
		g.Flow(&f)
		f.Secctx = strings.Repeat(strconv.Itoa(i), 1000/len(strconv.Itoa(i))+1)
		f.Fields |= format.FieldSecctx
		var err error
		if want, err = codec.AppendJSON(want, &f); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(&f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := readJSON(t, b.Bytes()); got != string(want) {
		t.Errorf("the flows read back differ from those written")
	}
	pf, err := pq.OpenFile(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	// 64 KiB of secctx is some 64 rows: 300 rows make at least 4 groups.
	if n := len(pf.RowGroups()); n < 4 {
		t.Errorf("%d row groups of 300 rows of 1 KB strings, with groups of 64 KiB", n)
	}
}

// TestOtherWriter reads files of another writer's schema: its columns in
// another order, some missing (NULL), some wider than the fields they fill
// (a value out of the field's range is a ColumnError of its row, and the
// rows after it read on).
func TestOtherWriter(t *testing.T) {
	type row struct {
		OrigDport *int32 `parquet:"orig_dport"`
		OrigSport *int32 `parquet:"orig_sport"`
		ProtoNum  int32  `parquet:"proto_num"`
		Proto     string `parquet:"proto"`
		Family    string `parquet:"family"`
		OrigSrc   string `parquet:"orig_src"`
	}
	port := func(p int32) *int32 { return &p }
	var b bytes.Buffer
	w := pq.NewGenericWriter[row](&b)
	if _, err := w.Write([]row{
		{port(80), port(1234), 6, "tcp", "ipv4", "10.0.0.1"},
		{port(80), port(70000), 6, "tcp", "ipv4", "10.0.0.2"},
		{port(-1), port(1), 6, "tcp", "ipv4", "10.0.0.3"},
		{nil, nil, 17, "udp", "ipv6", "::1"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for f, err := range r.Flows() {
		if err != nil {
			var ce *ColumnError
			if !errors.As(err, &ce) {
				t.Fatalf("%v (%T), not a ColumnError", err, err)
			}
			got = append(got, fmt.Sprintf("row %d: %s", ce.Row, ce.Column))
			continue
		}
		got = append(got, fmt.Sprintf("%v %v %s:%d>%d", f.Family, f.Proto, f.Orig.Src, f.Orig.SrcPort, f.Orig.DstPort))
	}
	want := []string{"ipv4 tcp 10.0.0.1:1234>80", "row 1: orig_sport", "row 2: orig_dport", "ipv6 udp ::1:0>0"}
	if !slices.Equal(got, want) {
		t.Errorf("read %q, want %q", got, want)
	}
}

// goldenSources are the captures of testdata/golden's files, by kind of
// records (events: XML of events, whose closing tag the footer keeps).
var goldenSources = map[string]string{
	"flows":        "../testdata/corpus/conntrack-L-extended-id-ktimestamp-labels.txt",
	"expectations": "../testdata/corpus/conntrack-expect-L.txt",
	"stats":        "../testdata/stats/conntrack-S-after.txt",
	"events":       "../testdata/corpus/xml-E.txt",
}

// goldenWriter is the date of the writer of today's golden files: a
// change to what Writer writes is a new golden file, of a new date, and
// the files of every date before are still read.
const goldenWriter = "2026-12-02"

// TestGolden reads the files that each version of Writer wrote (named by
// its date: 2026-12-01 is parquet-go's writer) back to their capture's
// JSON Lines and Meta, and checks that Writer writes today's file byte for
// byte.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.parquet")
	if err != nil || len(files) < 2*len(goldenSources) {
		t.Fatalf("%d golden files (%v)", len(files), err)
	}
	wantMeta := Meta{Host: "gw1", CapturedAt: time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC), Location: "UTC"}
	for _, file := range files {
		kind, date, _ := strings.Cut(strings.TrimSuffix(filepath.Base(file), ".parquet"), "-")
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile("testdata/golden/" + kind + ".jsonl")
		if err != nil {
			t.Fatal(err)
		}
		got, r := readJSON(t, b)
		if got != string(want) {
			t.Errorf("%s reads back otherwise:\n%.300s", file, got)
		}
		m := r.Meta()
		m.Source, m.Options = "", 0 // the source's, as the capture says
		if m != wantMeta {
			t.Errorf("%s: Meta %+v, want %+v", file, m, wantMeta)
		}
		if date != goldenWriter {
			continue
		}
		pf, _ := convert(t, goldenSources[kind], Meta{Host: "gw1", CapturedAt: wantMeta.CapturedAt, Location: "UTC",
			Source: r.Meta().Source, Options: r.Meta().Options})
		if *update {
			if err := os.WriteFile(file, pf, 0o644); err != nil {
				t.Fatal(err)
			}
		} else if !bytes.Equal(pf, b) {
			t.Errorf("%s: Writer writes it otherwise (go test -update rewrites it: then date it anew)", file)
		}
	}
}
