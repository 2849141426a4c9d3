package snapshot_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
	"github.com/ctconv/ctconv/snapshot"
)

// snapshotOf writes the records of a text capture to a snapshot in memory.
func snapshotOf(t testing.TB, data []byte) ([]byte, snapshot.Header) {
	t.Helper()
	sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Auto, Location: time.UTC})
	fm, err := sc.Detect()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	h := snapshot.Header{Created: time.Unix(1795643845, 0), Host: "lab", Source: snapshot.Text(fm), Location: "UTC", Expectations: fm.Expectations()}
	w, err := snapshot.NewWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	if fm.Expectations() {
		for e, err := range sc.Expects() {
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WriteExpect(e); err != nil {
				t.Fatal(err)
			}
		}
	} else {
		for f, err := range sc.Flows() {
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WriteFlow(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	h.Options, h.Footer = sc.Dialect().Options, !sc.Dialect().NoFooter
	return buf.Bytes(), h
}

// textOf prints the records of a snapshot in the format the header names.
func textOf(t testing.TB, snap []byte, h snapshot.Header) []byte {
	t.Helper()
	r, err := snapshot.NewReader(bytes.NewReader(snap))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out bytes.Buffer
	d := h.Dialect()
	d.Location = time.UTC
	w := format.NewWriter(&out, d)
	if h.Expectations {
		for e, err := range r.Expects() {
			if err != nil {
				t.Fatal(err)
			}
			w.WriteExpect(e)
		}
	} else {
		for f, err := range r.Flows() {
			if err != nil {
				t.Fatal(err)
			}
			w.Write(f)
		}
	}
	w.Close()
	return out.Bytes()
}

func TestCorpusSnapshots(t *testing.T) {
	for _, c := range corpustest.Captures(t) {
		file := c.Path
		data, _ := os.ReadFile(file)
		snap, h := snapshotOf(t, data)
		if got := textOf(t, snap, h); !bytes.Equal(got, data) {
			t.Errorf("%s: text -> snapshot -> text differs", file)
		}
		t.Logf("%-48s %6d bytes of text, %5d of snapshot", filepath.Base(file), len(data), len(snap))
	}
}

// TestBulkSnapshot takes the corpus's capture of 100,000 real flows, kept
// compressed, through a snapshot and back, and checks that the snapshot
// is smaller than the text at zstd's level 19, as stored.
func TestBulkSnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("a large capture")
	}
	const file = "../testdata/corpus/proc-bulk-100k.txt.zst"
	zst, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := zstd.NewReader(nil)
	defer d.Close()
	data, err := d.DecodeAll(zst, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("\n")); n != 100000 {
		t.Fatalf("%s holds %d lines", file, n)
	}
	snap, h := snapshotOf(t, data)
	if got := textOf(t, snap, h); !bytes.Equal(got, data) {
		t.Errorf("%s: text -> snapshot -> text differs", file)
	}
	if len(snap) >= len(zst) {
		t.Errorf("the snapshot takes %d bytes, zstd -19 %d", len(snap), len(zst))
	}
	t.Logf("snapshot %d bytes, zstd -19 %d: %.2f", len(snap), len(zst), float64(len(snap))/float64(len(zst)))
}

var update = flag.Bool("update", false, "rewrite testdata/hostile from the recipes of TestHostile")

// hostile are the files of testdata/hostile: damaged and malicious
// snapshots, with what reading each must say, and the recipe that makes
// it. The ctconv command's tests and the fuzz target read them too.
// A hostileFile is a file of testdata/hostile, what reading it must say
// (its error, a phrase of its message), and the recipe that makes it.
type hostileFile struct {
	file string
	want error
	msg  string
	make func(t *testing.T) []byte
}

var hostile = []hostileFile{
	{"empty.ctsnap", snapshot.ErrNotSnapshot, "magic", func(*testing.T) []byte { return nil }},
	{"wrong-magic.ctsnap", snapshot.ErrNotSnapshot, "magic", func(t *testing.T) []byte { return append([]byte("GIF89a\n\n"), good(t)[8:]...) }},
	{"future-version.ctsnap", snapshot.ErrVersion, "newer than this reader's", func(t *testing.T) []byte {
		return append(append([]byte(snapshot.Magic), 0, 9), good(t)[10:]...)
	}},
	{"version-0.ctsnap", snapshot.ErrCorrupt, "invalid version 0", func(t *testing.T) []byte {
		return append(append([]byte(snapshot.Magic), 0, 0), good(t)[10:]...)
	}},
	{"concatenated.ctsnap", snapshot.ErrCorrupt, "a second snapshot after 56 records (concatenated files?)", func(t *testing.T) []byte {
		return append(good(t), good(t)...)
	}},
	{"header-of-4GiB.ctsnap", snapshot.ErrCorrupt, "a header of 4294967295 bytes", func(t *testing.T) []byte {
		b := good(t)
		binary.BigEndian.PutUint32(b[20:], 1<<32-1)
		return b
	}},
	{"flipped-header.ctsnap", snapshot.ErrCorrupt, "the header's checksum does not match", func(t *testing.T) []byte { return flip(good(t), 30) }},
	{"huge-count-unchecked.ctsnap", snapshot.ErrCorrupt, "the header's checksum does not match", func(t *testing.T) []byte {
		b := good(t)
		binary.BigEndian.PutUint64(b[12:], 1<<40)
		return b
	}},
	{"flipped-records.ctsnap", snapshot.ErrCorrupt, "the records' checksum does not match", func(t *testing.T) []byte {
		b := good(t)
		return flip(b, len(b)-40)
	}},
	{"cut-records.ctsnap", snapshot.ErrCorrupt, "cut short", func(t *testing.T) []byte {
		b := good(t)
		return b[:len(b)-30]
	}},
	{"cut-header.ctsnap", snapshot.ErrCorrupt, "the header is cut", func(t *testing.T) []byte { return good(t)[:40] }},
	{"huge-count.ctsnap", snapshot.ErrCorrupt, "the header counts 1099511627776 records, the file holds 1", func(t *testing.T) []byte {
		return craft(t, 1<<40, append(snapshotRecords(t, 1), 0x92, 0x03, 0x01)) // and an end record counting 1
	}},
	{"more-records-than-counted.ctsnap", snapshot.ErrCorrupt, "more records than the header's count, 1", func(t *testing.T) []byte {
		return craft(t, 1, bytes.Repeat(snapshotRecords(t, 1), 1<<20))
	}},
	{"zeros-256MiB.ctsnap", snapshot.ErrCorrupt, "corrupt record", func(t *testing.T) []byte {
		return craft(t, snapshot.UnknownCount, make([]byte, 256<<20))
	}},
	{"string-of-4GiB.ctsnap", snapshot.ErrCorrupt, "a string of 4294967295 bytes", func(t *testing.T) []byte {
		// A flow record: kind 1, no fields, IPv4, TCP, then an address of 4 GiB.
		return craft(t, 1, append([]byte{0x96, 0x01, 0x00, 0x02, 0x06, 0xdb, 0xff, 0xff, 0xff, 0xff}, make([]byte, 256<<20)...))
	}},
	{"nested-64Mi-deep.ctsnap", snapshot.ErrCorrupt, "nested too deep", func(t *testing.T) []byte {
		// A record of a kind from the future, nesting arrays.
		return craft(t, 1, append([]byte{0x93, 0x09, 0x00}, bytes.Repeat([]byte{0x91}, 64<<20)...))
	}},
	{"frame-claims-1TiB.ctsnap", snapshot.ErrCorrupt, "exceeds configured limit", func(t *testing.T) []byte {
		// A zstd frame in one segment whose header says 1 TiB: a decoder
		// that believed it would want a window that large.
		file := craft(t, 1, nil)
		frame := bytes.LastIndex(file, []byte{0x28, 0xb5, 0x2f, 0xfd})
		file = append(file[:frame+4], 0xe4) // 8-byte content size, single segment, checksum
		file = binary.LittleEndian.AppendUint64(file, 1<<40)
		return append(file, 0x19, 0x00, 0x00, 0x92, 0x03, 0x00, 0, 0, 0, 0) // a raw last block of 3 bytes, a checksum
	}},
	{"window-of-256MiB.ctsnap", snapshot.ErrCorrupt, "window size exceeded", func(t *testing.T) []byte {
		flow := snapshotRecords(t, 1)
		return craft(t, snapshot.UnknownCount, append(bytes.Repeat(flow, 8<<20/len(flow)), make([]byte, 256<<20)...),
			zstd.WithWindowSize(256<<20), zstd.WithSingleSegment(false))
	}},
}

// good returns a snapshot of the corpus's proc.txt.
func good(t *testing.T) []byte {
	data, err := os.ReadFile("../testdata/corpus/proc.txt")
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := snapshotOf(t, data)
	return snap
}

func flip(b []byte, i int) []byte {
	b[i] ^= 0x40
	return b
}

// TestHostile opens each file of testdata/hostile, of versions 1 to 3.
// Each is rejected with an error that says what is wrong, and reading it
// allocates less than the 32 MiB that the package documents.
func TestHostile(t *testing.T) {
	for _, c := range slices.Concat(hostile, hostileV2, hostileV3) {
		path := filepath.Join("../testdata/hostile", c.file)
		if *update {
			if err := os.WriteFile(path, c.make(t), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./snapshot -run Hostile -update makes it)", err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r, err := snapshot.NewReader(bytes.NewReader(data))
		if err == nil {
			_, _, err = readTo(r.Flows(), -1)
			r.Close()
		}
		runtime.ReadMemStats(&after)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v; want %q", c.file, err, c.msg)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 32<<20 {
			t.Errorf("%s: allocated %d MiB", c.file, n>>20)
		} else {
			t.Logf("%-40s %6d bytes: %v; allocated %.1f MiB", c.file, len(data), err, float64(n)/(1<<20))
		}
	}
}

// craft returns a snapshot file with the header of a real one, a count,
// and records that are body compressed with opts, checksums right: what
// a hostile writer can make.
func craft(t *testing.T, count uint64, body []byte, opts ...zstd.EOption) []byte {
	var empty bytes.Buffer
	w, err := snapshot.NewWriter(&empty, snapshot.Header{Source: snapshot.Text(format.Proc)})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	b := empty.Bytes()
	end := 24 + int(binary.BigEndian.Uint32(b[20:])) // magic, version, flags, count, length, header
	file := binary.BigEndian.AppendUint64(bytes.Clone(b[:12]), count)
	file = append(file, b[20:end]...)
	file = binary.BigEndian.AppendUint32(file, crc32.Checksum(file[8:], crc32.MakeTable(crc32.Castagnoli)))
	zw, err := zstd.NewWriter(nil, append([]zstd.EOption{zstd.WithEncoderCRC(true)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return zw.EncodeAll(body, file)
}

// snapshotRecords returns the msgpack records of the first n flows of the
// corpus's proc.txt, as a snapshot holds them.
func snapshotRecords(t *testing.T, n int) []byte {
	data, _ := os.ReadFile("../testdata/corpus/proc.txt")
	var f format.Flow
	var buf bytes.Buffer
	enc := codec.NewMsgpackEncoder(&buf)
	for _, line := range bytes.SplitN(data, []byte("\n"), n+1)[:n] {
		if err := new(format.Dialect{Format: format.Proc}).Parse(line, &f); err != nil {
			t.Fatal(err)
		}
		enc.EncodeFlow(&f)
	}
	return buf.Bytes()
}
