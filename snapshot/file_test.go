package snapshot_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
