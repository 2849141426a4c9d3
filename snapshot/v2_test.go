package snapshot_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"hash/crc32"
	"io"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/gen"
	"github.com/ctconv/ctconv/snapshot"
)

var golden = flag.Bool("golden", false, "rewrite testdata/v3 from the captures it was made of")

// goldenBlocks are the files of testdata/v2 and testdata/v3: snapshots of
// versions 2 and 3 and the captures they were made of, the first lines of
// one where lines is not 0. bulk takes two blocks.
var goldenBlocks = []struct {
	name, source string
	lines        int
}{
	{"flows", "../testdata/corpus/proc.txt", 0},
	{"expectations", "../testdata/corpus/conntrack-expect-L.txt", 0},
	{"counters", "../testdata/stats/conntrack-S.txt", 0},
	{"bulk", "../testdata/corpus/proc-bulk-100k.txt.zst", 10000},
}

// TestBlockGolden reads the snapshots of versions 2 and 3 in testdata/v2
// and testdata/v3 and checks that they decode to the JSON Lines beside
// them, which are the records of the captures they were made of; and
// that the Writer still writes those of its version byte for byte, so
// that a change of what it writes is seen. The bulk capture's JSON is not
// kept: it is its capture's.
func TestBlockGolden(t *testing.T) {
	for _, v := range []struct {
		dir     string
		version uint16
	}{{"testdata/v2", 2}, {"testdata/v3", snapshot.Version}} {
		for _, c := range goldenBlocks {
			text := goldenSource(t, c.source, c.lines)
			snap, want := writeGolden(t, text)
			path := filepath.Join(v.dir, c.name)
			written := v.version == snapshot.Version
			if *golden && written {
				os.MkdirAll(v.dir, 0o755)
				os.WriteFile(path+".ctsnap", snap, 0o644)
				if c.name != "bulk" {
					os.WriteFile(path+".jsonl", want, 0o644)
				}
			}
			file, err := os.ReadFile(path + ".ctsnap")
			if err != nil {
				t.Fatalf("%v (go test ./snapshot -run BlockGolden -golden makes it)", err)
			}
			if c.name != "bulk" {
				if want, err = os.ReadFile(path + ".jsonl"); err != nil {
					t.Fatal(err)
				}
			}
			if written && !bytes.Equal(file, snap) {
				t.Errorf("%s: the Writer writes other bytes than the golden file's", path)
			}
			if got := binary.BigEndian.Uint16(file[8:]); got != v.version {
				t.Errorf("%s: a file of version %d, not %d", path, got, v.version)
			}
			got, err := jsonOf(bytes.NewReader(file))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: decodes to\n%s\nwant\n%s", path, firstDiff(got, want), firstDiff(want, got))
			}
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

// hostileV2 are the files of testdata/hostile of version 2: damaged and
// malicious blocks, each a corrupt file (TestHostile reads them; go test
// ./snapshot -run Hostile -update makes them).
var hostileV2 = []hostileFile{
	{"v2-cut-block-header.ctsnap", snapshot.ErrCorrupt, "cut short after 0 records", func(t *testing.T) []byte {
		b := goodV2(t)
		return b[:recordsAt(b)+4]
	}},
	{"v2-cut-frame.ctsnap", snapshot.ErrCorrupt, "cut short after 0 records", func(t *testing.T) []byte {
		b := goodV2(t)
		return b[:recordsAt(b)+20]
	}},
	{"v2-block-of-4GiB.ctsnap", snapshot.ErrCorrupt, "more than 2097152", func(t *testing.T) []byte {
		b := goodV2(t)
		binary.BigEndian.PutUint32(b[recordsAt(b):], 1<<32-1)
		return b
	}},
	{"v2-frame-of-4GiB.ctsnap", snapshot.ErrCorrupt, "more than 2097152", func(t *testing.T) []byte {
		b := goodV2(t)
		binary.BigEndian.PutUint32(b[recordsAt(b)+4:], 1<<32-1)
		return b
	}},
	{"v2-other-length.ctsnap", snapshot.ErrCorrupt, "a block that says it holds", func(t *testing.T) []byte {
		b := goodV2(t)
		at := recordsAt(b)
		binary.BigEndian.PutUint32(b[at:], binary.BigEndian.Uint32(b[at:])+1)
		return b
	}},
	{"v2-flipped-frame.ctsnap", snapshot.ErrCorrupt, "damaged after 0 records", func(t *testing.T) []byte {
		b := goodV2(t)
		return flip(b, len(b)-40)
	}},
	{"v2-flipped-checksum.ctsnap", snapshot.ErrCorrupt, "checksum does not match", func(t *testing.T) []byte {
		b := goodV2(t)
		return flip(b, len(b)-2)
	}},
	{"v2-concatenated.ctsnap", snapshot.ErrCorrupt, "a second snapshot after 56 records", func(t *testing.T) []byte {
		return append(goodV2(t), goodV2(t)...)
	}},
	{"v2-data-after-end.ctsnap", snapshot.ErrCorrupt, "data after the end record", func(t *testing.T) []byte {
		return append(goodV2(t), "trailing junk"...)
	}},
	{"v2-no-end-record.ctsnap", snapshot.ErrCorrupt, "without their end record", func(t *testing.T) []byte {
		return craftV2(t, 1, snapshotRecords(t, 1))
	}},
	{"v2-end-record-not-last.ctsnap", snapshot.ErrCorrupt, "data after the end record", func(t *testing.T) []byte {
		return craftV2(t, snapshot.UnknownCount, append([]byte{0x92, 0x03, 0x00}, snapshotRecords(t, 1)...))
	}},
	{"v2-block-of-8193-records.ctsnap", snapshot.ErrCorrupt, "more than 8192 records", func(t *testing.T) []byte {
		return craftV2(t, snapshot.UnknownCount, bytes.Repeat([]byte{0x93, 0x05, 0x00, 0x00}, 8193)) // gaps
	}},
	{"v2-bomb-256MiB.ctsnap", snapshot.ErrCorrupt, "damaged", func(t *testing.T) []byte {
		return craftV2(t, snapshot.UnknownCount, make([]byte, 256<<20))
	}},
	{"v2-reference-to-the-block-before.ctsnap", snapshot.ErrCorrupt, "reference to an address not yet carried", func(t *testing.T) []byte {
		// A flow record: kind 1, no fields, IPv4, TCP, the last address
		// carried twice.
		back := []byte{0x96, 0x01, 0x00, 0x02, 0x06, 0x00, 0x00}
		return craftV2(t, snapshot.UnknownCount, snapshotRecords(t, 1), append(back, 0x92, 0x03, 0x02))
	}},
	{"v2-huge-count.ctsnap", snapshot.ErrCorrupt, "the header counts 1099511627776 records, the file holds 1", func(t *testing.T) []byte {
		return craftV2(t, 1<<40, append(snapshotRecords(t, 1), 0x92, 0x03, 0x01))
	}},
}

// hostileV3 are the files of testdata/hostile of version 3: blocks of
// layouts and columns that no writer makes.
var hostileV3 = []hostileFile{
	{"v3-unknown-layout.ctsnap", snapshot.ErrCorrupt, "a block of layout 2, which this version does not know", func(t *testing.T) []byte {
		return craftV3(t, "flows", snapshot.UnknownCount, []byte{2, 0x92, 0x03, 0x00})
	}},
	{"v3-address-not-in-block.ctsnap", snapshot.ErrCorrupt, "the number of an address the block does not have", func(t *testing.T) []byte {
		// One flow of no fields, IPv4, TCP, from 1.2.3.4 to the address
		// numbered 5 of a block of one.
		return craftV3(t, "flows", snapshot.UnknownCount, []byte{1, 1, 0, 1, 2, 1, 6, 1, 4, 1, 2, 3, 4, 1, 0, 1, 5, 0, 0, 0, 0, 0},
			[]byte{0, 0x92, 0x03, 0x01})
	}},
	{"v3-8193-flows.ctsnap", snapshot.ErrCorrupt, "a block of 8193 flows", func(t *testing.T) []byte {
		return craftV3(t, "flows", snapshot.UnknownCount, append([]byte{1, 0x81, 0x40}, columnsBlock(t, 1)[2:]...))
	}},
	{"v3-columns-without-end.ctsnap", snapshot.ErrCorrupt, "without their end record", func(t *testing.T) []byte {
		return craftV3(t, "flows", 3, columnsBlock(t, 3))
	}},
}

// TestColumnsOfOtherRecords reads a block of flows by column in a file
// of expectations, and in one of counters: a corrupt file.
func TestColumnsOfOtherRecords(t *testing.T) {
	for _, c := range []struct {
		name string
		read func(*snapshot.Reader) error
	}{
		{"expectations", func(r *snapshot.Reader) error { _, _, err := readTo(r.Expects(), -1); return err }},
		{"counters", func(r *snapshot.Reader) error { _, _, err := readTo(r.Stats(), -1); return err }},
	} {
		file := craftV3(t, c.name, snapshot.UnknownCount, columnsBlock(t, 3), []byte{0, 0x92, 0x03, 0x03})
		r, err := snapshot.NewReader(bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		err = c.read(r)
		r.Close()
		if want := "a block of flows in a file of " + c.name; !errors.Is(err, snapshot.ErrCorrupt) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want %q", c.name, err, want)
		}
	}
}

// craftV3 is craftV2 of version 3, with the header of the golden file
// of name.
func craftV3(t *testing.T, name string, count uint64, bodies ...any) []byte {
	return craftFile(t, goldenFile(t, "testdata/v3/"+name+".ctsnap"), count, bodies...)
}

// columnsBlock returns a block of columns of the first n flows of the
// corpus's proc.txt, its layout first.
func columnsBlock(t *testing.T, n int) []byte {
	var c codec.ColumnEncoder
	for f, err := range goldenFlows(t) {
		if err != nil {
			t.Fatal(err)
		}
		if c.Len() == n {
			break
		}
		c.Add(f)
	}
	return c.AppendBlock([]byte{1})
}

// goldenFlows returns the flows of the golden file of version 3 of
// proc.txt.
func goldenFlows(t *testing.T) iter.Seq2[*format.Flow, error] {
	r, err := snapshot.NewReader(bytes.NewReader(goldenFile(t, "testdata/v3/flows.ctsnap")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r.Flows()
}

// goodV2 returns a snapshot of version 2 of the corpus's proc.txt, as
// the Writer of version 2 wrote it.
func goodV2(t *testing.T) []byte { return goldenFile(t, "testdata/v2/flows.ctsnap") }

func goldenFile(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// recordsAt returns the offset of the records, after the header.
func recordsAt(b []byte) int { return 28 + int(binary.BigEndian.Uint32(b[20:])) }

// craftV2 returns a snapshot file of version 2 with the header of a real
// one, a count, and a block of each of bodies, compressed with opts,
// checksums right: what a hostile writer can make.
func craftV2(t *testing.T, count uint64, bodies ...any) []byte {
	return craftFile(t, goodV2(t), count, bodies...)
}

// craftFile is craftV2 with the header of good, and its version.
func craftFile(t *testing.T, good []byte, count uint64, bodies ...any) []byte {
	var opts []zstd.EOption
	var blocks [][]byte
	for _, b := range bodies {
		switch b := b.(type) {
		case []byte:
			blocks = append(blocks, b)
		case zstd.EOption:
			opts = append(opts, b)
		}
	}
	file := binary.BigEndian.AppendUint64(bytes.Clone(good[:12]), count)
	file = append(file, good[20:recordsAt(good)-4]...)
	file = binary.BigEndian.AppendUint32(file, crc32.Checksum(file[8:], crc32.MakeTable(crc32.Castagnoli)))
	zw, err := zstd.NewWriter(nil, append([]zstd.EOption{zstd.WithEncoderCRC(true)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		frame := zw.EncodeAll(b, nil)
		file = binary.BigEndian.AppendUint32(file, uint32(min(len(b), 2<<20)))
		file = binary.BigEndian.AppendUint32(file, uint32(len(frame)))
		file = append(file, frame...)
	}
	return file
}

// TestReaderMemoryFlat reads snapshots of 50,000 and 100,000 flows from
// a pipe: the second takes no more memory than the first, but for the
// blocks it holds, which are bounded.
func TestReaderMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("a large capture")
	}
	var got [2]uint64
	for i, n := range []int{50000, 100000} {
		snap, _ := writeGolden(t, goldenSource(t, "../testdata/corpus/proc-bulk-100k.txt.zst", n))
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeAll(pw, snap)) }()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r, err := snapshot.NewReader(pr)
		if err != nil {
			t.Fatal(err)
		}
		read, _, err := readTo(r.Flows(), -1)
		r.Close()
		runtime.ReadMemStats(&after)
		if err != nil || read != n {
			t.Fatalf("%d flows: read %d, %v", n, read, err)
		}
		got[i] = after.TotalAlloc - before.TotalAlloc
	}
	if got[1] > got[0]+4<<20 {
		t.Errorf("reading 50,000 flows allocates %d MiB, 100,000 flows %d MiB", got[0]>>20, got[1]>>20)
	}
	t.Logf("allocated %.1f and %.1f MiB", float64(got[0])/(1<<20), float64(got[1])/(1<<20))
}

// writeAll writes b to w in pieces of 64 KiB, as a pipe delivers it.
func writeAll(w io.Writer, b []byte) error {
	for len(b) > 0 {
		n, err := w.Write(b[:min(len(b), 64<<10)])
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// TestReaderManyCores reads a snapshot of 200,000 flows, 25 blocks, at
// GOMAXPROCS 64: a Reader decodes 8 blocks at once at most, so that it
// holds under 70 MiB on a machine of any size. What it allocates in all,
// which this measures, is some 60 MiB (87 under the race detector); 145
// without the bound.
func TestReaderManyCores(t *testing.T) {
	var text bytes.Buffer
	if err := gen.WriteTable(format.NewWriter(&text, format.Dialect{Format: format.Proc}), 200000, 1, 0); err != nil {
		t.Fatal(err)
	}
	file := writeSnapshot(t, text.Bytes(), true)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(64))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, err := snapshot.NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := readTo(r.Flows(), -1)
	r.Close()
	runtime.ReadMemStats(&after)
	if err != nil || n != 200000 {
		t.Fatalf("%d flows, %v", n, err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 110<<20 {
		t.Errorf("reading at GOMAXPROCS 64 allocated %d MiB", got>>20)
	} else {
		t.Logf("allocated %.1f MiB", float64(got)/(1<<20))
	}
}
