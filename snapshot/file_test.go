package snapshot_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

// snapshotOf writes the records of a text capture to a snapshot in memory.
func snapshotOf(t testing.TB, data []byte) ([]byte, snapshot.Header) {
	t.Helper()
	sc, _ := format.NewScanner(bytes.NewReader(data), format.Auto, format.WithLocation(time.UTC))
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
	var f format.Flow
	var e format.Expect
	for fm.Expectations() && sc.ScanExpect(&e) {
		if err := w.WriteExpect(&e); err != nil {
			t.Fatal(err)
		}
	}
	for !fm.Expectations() && sc.Scan(&f) {
		if err := w.WriteFlow(&f); err != nil {
			t.Fatal(err)
		}
	}
	if sc.Err() != nil {
		t.Fatal(sc.Err())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	h.Options, h.Footer = sc.Options(), sc.Footer()
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
	src, _ := h.Source.Format()
	w := format.NewWriter(&out, format.Printer{Format: src, Options: h.Options, Location: time.UTC})
	w.Footer = h.Footer
	var f format.Flow
	var e format.Expect
	for h.Expectations && r.ScanExpect(&e) {
		w.WriteExpect(&e)
	}
	for !h.Expectations && r.Scan(&f) {
		w.Write(&f)
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	w.Close()
	return out.Bytes()
}

func TestCorpusSnapshots(t *testing.T) {
	files, _ := filepath.Glob("../testdata/corpus/*.txt")
	for _, file := range files {
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

func TestHostile(t *testing.T) {
	data, _ := os.ReadFile("../testdata/corpus/proc.txt")
	good, _ := snapshotOf(t, data)
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x40
		return b
	}
	setHeaderLen := func(n uint32) []byte {
		b := bytes.Clone(good)
		b[20], b[21], b[22], b[23] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
		return b
	}
	for _, c := range []struct {
		name string
		file []byte
		want error
		msg  string
	}{
		{"empty", nil, snapshot.ErrNotSnapshot, "magic"},
		{"wrong magic", append([]byte("GIF89a\n\n"), good[8:]...), snapshot.ErrNotSnapshot, "magic"},
		{"future version", append(append([]byte(snapshot.Magic), 0, 9), good[10:]...), snapshot.ErrVersion, "newer"},
		{"header of 4 GiB", setHeaderLen(1<<32 - 1), snapshot.ErrCorrupt, "more than"},
		{"flipped byte in the header", flip(30), snapshot.ErrCorrupt, "checksum"},
		{"count of 2^40", func() []byte {
			b := bytes.Clone(good)
			copy(b[12:20], []byte{0, 0, 1, 0, 0, 0, 0, 0})
			return b
		}(), snapshot.ErrCorrupt, "checksum"},
		{"flipped byte in the records", flip(len(good) - 40), snapshot.ErrCorrupt, ""},
		{"cut records", good[:len(good)-30], snapshot.ErrCorrupt, ""},
		{"cut header", good[:40], snapshot.ErrCorrupt, "cut"},
	} {
		r, err := snapshot.NewReader(bytes.NewReader(c.file))
		if err == nil {
			var f format.Flow
			for r.Scan(&f) {
			}
			err = r.Err()
			r.Close()
		}
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v", c.name, err)
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

// TestBombs opens files made to exhaust memory or time. Each is rejected
// with a clear error, and reading it allocates less than the 32 MiB that
// the package documents.
func TestBombs(t *testing.T) {
	flow := snapshotRecords(t, 1)
	end := []byte{0x92, 0x03, 0x01} // an end record counting 1
	zeros := make([]byte, 256<<20)
	deep := append([]byte{0x93, 0x09, 0x00}, bytes.Repeat([]byte{0x91}, 64<<20)...)
	many := bytes.Repeat(flow, 1<<20)
	for _, c := range []struct {
		name string
		file []byte
		msg  string
	}{
		{"a count of 2^40", craft(t, 1<<40, append(bytes.Clone(flow), end...)), "the header counts 1099511627776 records, the file holds 1"},
		{"more records than the count", craft(t, 1, many), "more records than the header's count, 1"},
		{"256 MiB of zeros", craft(t, snapshot.UnknownCount, zeros), "corrupt msgpack record"},
		{"a string of 4 GiB", craft(t, 1, append([]byte{0x96, 0x01, 0x00, 0x02, 0x06, 0xdb, 0xff, 0xff, 0xff, 0xff}, zeros...)), "more than the record has room for"},
		{"a field nested 64 Mi deep", craft(t, 1, deep), "nested too deep"},
		{"a frame that claims 1 TiB", claim1TiB(t), "exceeds configured limit"},
		{"a window of 256 MiB", craft(t, snapshot.UnknownCount, append(bytes.Repeat(flow, 8<<20/len(flow)), zeros...),
			zstd.WithWindowSize(256<<20), zstd.WithSingleSegment(false)), "window"},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r, err := snapshot.NewReader(bytes.NewReader(c.file))
		if err == nil {
			var f format.Flow
			for r.Scan(&f) {
			}
			err = r.Err()
			r.Close()
		}
		runtime.ReadMemStats(&after)
		if !errors.Is(err, snapshot.ErrCorrupt) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v; want %q", c.name, err, c.msg)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 32<<20 {
			t.Errorf("%s: allocated %d MiB", c.name, n>>20)
		} else {
			t.Logf("%s: %v; allocated %.1f MiB", c.name, err, float64(n)/(1<<20))
		}
	}
}

// snapshotRecords returns the msgpack records of the first n flows of the
// corpus's proc.txt, as a snapshot holds them.
func snapshotRecords(t *testing.T, n int) []byte {
	data, _ := os.ReadFile("../testdata/corpus/proc.txt")
	var f format.Flow
	var buf bytes.Buffer
	enc := codec.NewMsgpackEncoder(&buf)
	for _, line := range bytes.SplitN(data, []byte("\n"), n+1)[:n] {
		if err := format.ParseProc(line, &f); err != nil {
			t.Fatal(err)
		}
		enc.EncodeFlow(&f)
	}
	return buf.Bytes()
}

// claim1TiB returns a snapshot whose zstd frame says its content is 1 TiB,
// in one segment: a decoder that believed it would want a 1 TiB window.
func claim1TiB(t *testing.T) []byte {
	file := craft(t, 1, nil)
	frame := bytes.LastIndex(file, []byte{0x28, 0xb5, 0x2f, 0xfd})
	file = append(file[:frame+4], 0xe4) // 8-byte content size, single segment, checksum
	file = binary.LittleEndian.AppendUint64(file, 1<<40)
	return append(file, 0x19, 0x00, 0x00, 0x92, 0x03, 0x00, 0, 0, 0, 0) // a raw last block of 3 bytes, a checksum
}
