package parquet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	pqformat "github.com/parquet-go/parquet-go/format"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/gen"
	"github.com/ctconv/ctconv/snapshot"
)

var update = flag.Bool("update", false, "rewrite testdata/*.schema.txt and today's golden files")

// TestSchemaGolden pins the columns of each kind of records: names, types
// and order. Later versions only add columns; a change here breaks the
// queries of users.
func TestSchemaGolden(t *testing.T) {
	for _, c := range []struct {
		kind   Kind
		schema *pq.Schema
	}{{Flows, kinds()[Flows].schema}, {Expectations, kinds()[Expectations].schema}, {Stats, kinds()[Stats].schema}} {
		file := filepath.Join("testdata", c.kind.String()+".schema.txt")
		got := c.schema.String() + "\n"
		if *update {
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s: the schema changed:\n%s", file, got)
		}
	}
}

// TestIssueColumns checks the names that issue 19 fixes, as the first
// columns of a file of flows.
func TestIssueColumns(t *testing.T) {
	want := strings.Fields(`host captured_at source_format family proto proto_num state timeout
		orig_src orig_dst orig_sport orig_dport reply_src reply_dst reply_sport reply_dport
		orig_packets orig_bytes reply_packets reply_bytes status mark zone labels id event event_time helper secctx`)
	flowSchema := kinds()[Flows].schema
	fields := flowSchema.Fields()
	for i, name := range want {
		if i >= len(fields) || fields[i].Name() != name {
			t.Fatalf("column %d is not %s", i, name)
		}
	}
	for _, name := range []string{"captured_at", "event_time"} {
		l, _ := flowSchema.Lookup(name)
		if ts := l.Node.Type().String(); ts != "TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)" {
			t.Errorf("%s is %v, not a TIMESTAMP in microseconds, in UTC", name, l.Node.Type())
		}
	}
}

// TestNoParquetBelow checks that the packages an embedder takes for
// parsing import nothing of Parquet.
func TestNoParquetBelow(t *testing.T) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(gobin, "list", "-deps", "../format", "../codec", "../snapshot").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.Contains(pkg, "parquet") {
			t.Errorf("format, codec or snapshot depends on %s", pkg)
		}
	}
	if !strings.Contains(string(out), "github.com/ctconv/ctconv/format") {
		t.Fatalf("go list listed nothing of ctconv:\n%s", out)
	}
}

// openCapture opens a capture of the corpus.
func openCapture(t *testing.T, file string) *snapshot.Input {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	in, err := snapshot.Open(f, snapshot.Text(format.Auto), format.Dialect{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Close)
	return in
}

// convert writes the records of file to a Parquet file, and returns it
// with their JSON Lines.
func convert(t *testing.T, file string, m Meta) (pqFile []byte, jsonl string) {
	t.Helper()
	in := openCapture(t, file)
	var b bytes.Buffer
	var js []byte
	kind := Flows
	switch {
	case in.Expectations():
		kind = Expectations
	case in.Statistics():
		kind = Stats
	}
	w := NewWriter(&b, kind, m)
	var err error
	switch kind {
	case Flows:
		for f, rerr := range in.Flows() {
			if rerr != nil {
				t.Fatal(rerr)
			}
			if js, err = codec.AppendJSON(js, f); err != nil {
				t.Fatal(err)
			}
			if err := w.Write(f); err != nil {
				t.Fatal(err)
			}
		}
	case Expectations:
		for x, rerr := range in.Expects() {
			if rerr != nil {
				t.Fatal(rerr)
			}
			if js, err = codec.AppendJSONExpect(js, x); err != nil {
				t.Fatal(err)
			}
			if err := w.WriteExpect(x); err != nil {
				t.Fatal(err)
			}
		}
	case Stats:
		for s, rerr := range in.Stats() {
			if rerr != nil {
				t.Fatal(rerr)
			}
			if js, err = codec.AppendJSONStats(js, s); err != nil {
				t.Fatal(err)
			}
			if err := w.WriteStats(s); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), string(js)
}

// readJSON reads a Parquet file's records and returns their JSON Lines.
func readJSON(t *testing.T, file []byte) (string, *Reader) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	var js []byte
	fail := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	switch r.Kind() {
	case Flows:
		for f, err := range r.Flows() {
			fail(err)
			js, err = codec.AppendJSON(js, f)
			fail(err)
		}
	case Expectations:
		for x, err := range r.Expects() {
			fail(err)
			js, err = codec.AppendJSONExpect(js, x)
			fail(err)
		}
	case Stats:
		for s, err := range r.Stats() {
			fail(err)
			js, err = codec.AppendJSONStats(js, s)
			fail(err)
		}
	}
	return string(js), r
}

// TestRoundTrip writes the records of each capture of the corpus and
// reads them back: their JSON Lines are the same, and so is the capture's
// Meta.
func TestRoundTrip(t *testing.T) {
	var files []string
	for _, pat := range []string{"../testdata/corpus/*.txt", "../testdata/stats/conntrack-S*.txt", "../testdata/stats/proc-stat-[ab]*.txt", "../testdata/stats/proc-stat.txt"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if len(files) < 30 {
		t.Fatalf("found %d captures", len(files))
	}
	kinds := map[Kind]int{}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			m := Meta{Host: "gw1", CapturedAt: time.Date(2026, 12, 1, 22, 0, 0, 123456000, time.UTC), Source: "proc",
				Kernel: "6.18.44", NoFooter: strings.HasPrefix(filepath.Base(file), "xml"), Location: "Europe/Berlin", Options: format.OptID}
			b, want := convert(t, file, m)
			got, r := readJSON(t, b)
			if got != want {
				t.Errorf("the records read back differ:\n got %.300s\nwant %.300s", got, want)
			}
			if r.Meta() != m && want != "" {
				t.Errorf("Meta %+v, want %+v", r.Meta(), m)
			}
			kinds[r.Kind()]++
		})
	}
	if kinds[Flows] == 0 || kinds[Expectations] == 0 || kinds[Stats] == 0 {
		t.Errorf("kinds of records checked: %v", kinds)
	}
}

// TestUnprintable checks that a flow without a Parquet form is refused
// with an error the caller can pass over, and the file goes on.
func TestUnprintable(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b, Flows, Meta{})
	bad := format.Flow{Fields: format.FieldState, Family: format.IPv4, Proto: format.UDP, State: 3}
	if err := w.Write(&bad); !errors.Is(err, format.ErrUnprintable) {
		t.Errorf("a state without a name: %v", err)
	}
	if err := w.WriteExpect(&format.Expect{}); !errors.Is(err, ErrKind) {
		t.Errorf("an expectation to a file of flows: %v", err)
	}
	good := format.Flow{Family: format.IPv4, Proto: format.UDP}
	if err := w.Write(&good); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if js, r := readJSON(t, b.Bytes()); r.NumRows() != 1 || !strings.Contains(js, `"proto":"udp"`) {
		t.Errorf("read %d rows: %s", r.NumRows(), js)
	}
}

// TestReadText: a reader refuses the text that no producer prints, as
// format's readers do (format.Flow.CheckText): control characters, C0,
// DEL and C1 (U+009B is CSI to a terminal), in a flow's names, an
// expectation's, and a namespace of the table's counters.
func TestReadText(t *testing.T) {
	const udp = "udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 use=1"
	const ftp = "    86 proto=6 src=10.0.0.1 dst=10.0.0.2 sport=0 dport=35443 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.0.1 master-dst=10.0.0.2 sport=46540 dport=21 class=0 helper=ftp"
	for _, c := range []struct {
		name, text string
		ok         bool
	}{
		{"plain", "ftp", true},
		{"past C1", "ftp-\u00a0é", true},
		{"ESC", "ftp\x1b[31m", false},
		{"DEL", "ftp\x7f", false},
		{"CSI (U+009B)", "ftp\u009b31m", false},
		{"U+0080", "\u0080", false},
		{"U+009F", "a\u009f", false},
	} {
		read := func(kind Kind, write func(*Writer) error) error {
			var b bytes.Buffer
			w := NewWriter(&b, kind, Meta{})
			if err := write(w); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r, err := NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
			if err != nil {
				t.Fatal(err)
			}
			switch kind {
			case Flows:
				for _, err := range r.Flows() {
					return err
				}
			case Expectations:
				for _, err := range r.Expects() {
					return err
				}
			case Stats:
				for _, err := range r.Stats() {
					return err
				}
			}
			return errors.New("no record")
		}
		var f format.Flow
		if err := new(format.Dialect{Format: format.Conntrack}).Parse([]byte(udp), &f); err != nil {
			t.Fatal(err)
		}
		f.Fields |= format.FieldHelper
		f.Helper = c.text
		var x format.Expect
		if err := new(format.Dialect{Format: format.ConntrackExpect}).ParseExpect([]byte(ftp), &x); err != nil {
			t.Fatal(err)
		}
		x.Helper = c.text
		st := format.Stats{CPU: -1, Netns: c.text}
		st.Set(format.StatFound, 1)
		for _, r := range []struct {
			what string
			err  error
		}{
			{"a flow's helper", read(Flows, func(w *Writer) error { return w.Write(&f) })},
			{"an expectation's helper", read(Expectations, func(w *Writer) error { return w.WriteExpect(&x) })},
			{"a namespace", read(Stats, func(w *Writer) error { return w.WriteStats(&st) })},
		} {
			var ce *ColumnError
			switch {
			case c.ok && r.err != nil:
				t.Errorf("%s in %s: %v", c.name, r.what, r.err)
			case !c.ok && !errors.As(r.err, &ce):
				t.Errorf("%s in %s: %v, want a *ColumnError", c.name, r.what, r.err)
			}
		}
	}
}

// TestHostile checks that damaged and hostile files give typed errors,
// quickly and in little memory.
func TestHostile(t *testing.T) {
	good, _ := convert(t, "../testdata/corpus/conntrack-L-extended-id-ktimestamp-labels.txt", Meta{Host: "h"})
	footer := func(n uint32) []byte { // good, with a footer length of n
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint32(b[len(b)-8:], n)
		return b
	}
	for _, c := range []struct {
		name string
		file []byte
	}{
		{"empty", nil},
		{"short", []byte("PAR1PAR1")},
		{"wrong magic", append([]byte("PAR2"), good[4:]...)},
		{"no end", good[:len(good)-1]},
		{"cut in half", good[:len(good)/2]},
		{"footer beyond the file", footer(uint32(len(good)))},
		{"huge footer", footer(1<<32 - 1)},
		{"footer of zero", footer(0)},
		{"footer too short", footer(10)},
		{"pages zeroed", func() []byte {
			b := bytes.Clone(good)
			clear(b[4 : len(b)/2])
			return b
		}()},
		{"more rows declared", declareRows(t, good, 1000)},
		{"a huge chunk declared", func() []byte {
			return patchFooter(t, good, func(m *pqformat.FileMetaData) {
				m.RowGroups[0].Columns[0].MetaData.TotalUncompressedSize = 1 << 40
			})
		}()},
		{"a page of 1 GiB declared", patchPage(t, good, func(h *pqformat.PageHeader) { h.CompressedPageSize = 1 << 30 })},
		{"a page of 1 GiB uncompressed declared", patchPage(t, good, func(h *pqformat.PageHeader) { h.UncompressedPageSize = 1 << 30 })},
		{"a page of negative size", patchPage(t, good, func(h *pqformat.PageHeader) { h.CompressedPageSize = -5 })},
		{"pages flipped", func() []byte {
			b := bytes.Clone(good)
			for i := 4; i < len(b)/2; i += 7 {
				b[i] ^= 0x5a
			}
			return b
		}()},
	} {
		start := time.Now()
		before := allocated()
		done := make(chan error, 1)
		go func() { done <- readAll(c.file) }()
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still reading after 10 s", c.name)
		}
		if err == nil {
			t.Errorf("%s: read without error", c.name)
			continue
		}
		var fe *FileError
		var ce *ColumnError
		if !errors.Is(err, ErrNotParquet) && !errors.As(err, &fe) && !errors.As(err, &ce) {
			t.Errorf("%s: error %v is a %T", c.name, err, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: took %v", c.name, d)
		}
		if n := allocated() - before; n > 64<<20 {
			t.Errorf("%s: reading allocated %d MiB", c.name, n>>20)
		}
	}
}

// allocated returns the bytes allocated so far.
func allocated() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// patchPage returns file with the header of the data page of its first
// column chunk changed by patch (the pages after it move, as its length
// may change).
func patchPage(t *testing.T, file []byte, patch func(*pqformat.PageHeader)) []byte {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(file[len(file)-8:]))
	var m pqformat.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), file[len(file)-8-n:len(file)-8], &m); err != nil {
		t.Fatal(err)
	}
	pos := m.RowGroups[0].Columns[0].MetaData.DataPageOffset
	var h pqformat.PageHeader
	br := new(thrift.CompactProtocol).NewReaderFromBytes(file[pos:])
	if err := thrift.NewDecoder(br).Decode(&h); err != nil {
		t.Fatal(err)
	}
	end := pos + int64(br.(interface{ BytesRead() int }).BytesRead())
	patch(&h)
	b, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
	if err != nil {
		t.Fatal(err)
	}
	return slices.Concat(file[:pos], b, file[end:])
}

// patchFooter returns file with its footer changed by patch.
func patchFooter(t *testing.T, file []byte, patch func(*pqformat.FileMetaData)) []byte {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(file[len(file)-8:]))
	body, footer := file[:len(file)-8-n], file[len(file)-8-n:len(file)-8]
	var m pqformat.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), footer, &m); err != nil {
		t.Fatal(err)
	}
	patch(&m)
	b, err := thrift.Marshal(new(thrift.CompactProtocol), &m)
	if err != nil {
		t.Fatal(err)
	}
	out := append(bytes.Clone(body), b...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(b)))
	return append(out, Magic...)
}

// declareRows returns file with a footer that declares n rows more than
// its pages hold.
func declareRows(t *testing.T, file []byte, n int64) []byte {
	return patchFooter(t, file, func(m *pqformat.FileMetaData) {
		m.NumRows += n
		m.RowGroups[0].NumRows += n
	})
}

// readAll reads every record of a file, and returns the first error.
func readAll(file []byte) error {
	r, err := NewReader(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		return err
	}
	for _, err := range r.Flows() {
		if err != nil {
			return err
		}
	}
	return nil
}

// TestFooterStatistics checks that the footer holds each column chunk's
// minimum and maximum, which engines skip row groups by, and that a file
// is compressed with zstd.
func TestFooterStatistics(t *testing.T) {
	file, _ := convert(t, "../testdata/corpus/conntrack-L-extended-id.txt", Meta{Host: "h", CapturedAt: time.Unix(1e9, 0)})
	f, err := pq.OpenFile(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, path := range f.Schema().Columns() {
		col[strings.Join(path, ".")] = i
	}
	for _, name := range []string{"orig_bytes", "orig_dport", "orig_src", "captured_at"} {
		c := f.Metadata().RowGroups[0].Columns[col[name]].MetaData
		if len(c.Statistics.MinValue) == 0 || len(c.Statistics.MaxValue) == 0 {
			t.Errorf("%s: no minimum or maximum in the footer: %+v", name, c.Statistics)
		}
		if c.Codec != pqformat.Zstd {
			t.Errorf("%s: compressed with %v", name, c.Codec)
		}
	}
}

// TestSizeAgainstSnapshot checks issue 19's bar on size: the Parquet file
// of a busy gateway's table is at most 1.5 times its snapshot.
func TestSizeAgainstSnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100,000 flows")
	}
	var text bytes.Buffer
	if err := gen.WriteTable(format.NewWriter(&text, format.Dialect{Format: format.Proc}), 100_000, 1, 0); err != nil {
		t.Fatal(err)
	}
	in, err := snapshot.Open(bytes.NewReader(text.Bytes()), snapshot.Text(format.Proc), format.Dialect{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var snap, pqf bytes.Buffer
	sw, err := snapshot.NewWriter(&snap, snapshot.Header{Source: snapshot.Text(format.Proc)})
	if err != nil {
		t.Fatal(err)
	}
	pw := NewWriter(&pqf, Flows, Meta{Host: "gw1", CapturedAt: time.Now(), Source: "proc"})
	for f, err := range in.Flows() {
		if err != nil {
			t.Fatal(err)
		}
		if err := sw.WriteFlow(f); err != nil {
			t.Fatal(err)
		}
		if err := pw.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	ratio := float64(pqf.Len()) / float64(snap.Len())
	t.Logf("Parquet %d bytes, snapshot %d: %.2f×", pqf.Len(), snap.Len(), ratio)
	if ratio > 1.5 {
		t.Errorf("the Parquet file is %.2f× the snapshot (at most 1.5×)", ratio)
	}
}

// TestRowGroups writes flows of several row groups, whose goroutines
// write and commit them concurrently: they read back in order, each
// group full but the last.
func TestRowGroups(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 270,000 flows")
	}
	var b bytes.Buffer
	w := NewWriter(&b, Flows, Meta{Host: "gw1"})
	g := gen.New(7)
	var f format.Flow
	var want []byte
	n := 2*RowGroupRows + 7000
	for range n {
		g.Flow(&f)
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
	got, _ := readJSON(t, b.Bytes())
	if got != string(want) {
		t.Errorf("the flows read back differ from those written")
	}
	pf, err := pq.OpenFile(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var rows []int64
	for _, rg := range pf.RowGroups() {
		rows = append(rows, rg.NumRows())
	}
	if !slices.Equal(rows, []int64{RowGroupRows, RowGroupRows, 7000}) {
		t.Errorf("row groups of %v rows, want %d, %d, 7000", rows, RowGroupRows, RowGroupRows)
	}
}
