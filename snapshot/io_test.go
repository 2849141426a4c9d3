package snapshot_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

var addrCmp = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

// TestOpenCompressed opens captures compressed with gzip and zstd, and a
// compressed snapshot: each reads as the capture itself does.
func TestOpenCompressed(t *testing.T) {
	data, _ := os.ReadFile("../testdata/corpus/conntrack-L-extended-id.txt")
	snap, _ := snapshotOf(t, data)
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	zs := func(b []byte) []byte {
		w, _ := zstd.NewWriter(nil)
		return w.EncodeAll(b, nil)
	}
	read := func(b []byte) ([]format.Flow, *snapshot.Input, error) {
		in, err := snapshot.Open(bytes.NewReader(b), snapshot.Text(format.Auto), format.WithLocation(time.UTC))
		if err != nil {
			return nil, nil, err
		}
		defer in.Close()
		var flows []format.Flow
		var f format.Flow
		for in.Scan(&f) {
			flows = append(flows, f)
		}
		return flows, in, in.Err()
	}
	want, _, err := read(data)
	if err != nil || len(want) == 0 {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, compression, encoding string
		data                        []byte
	}{
		{"gzip", "gzip", "conntrack", gz(data)},
		{"zstd", "zstd", "conntrack", zs(data)},
		{"gzip of a snapshot", "gzip", "snapshot", gz(snap)},
	} {
		got, in, err := read(c.data)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if in.Compression != c.compression || in.Encoding.String() != c.encoding {
			t.Errorf("%s: compression %q, encoding %v", c.name, in.Compression, in.Encoding)
		}
		if d := cmp.Diff(want, got, addrCmp); d != "" {
			t.Errorf("%s: flows differ:\n%s", c.name, d)
		}
	}
	cut := gz(data)
	if _, _, err := read(cut[:len(cut)/2]); err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("a cut gzip file: %v", err)
	}
}

// TestOpenZstdWindows opens zstd streams as zstd writes them through a
// pipe, where it cannot fit the window to the input: a window of 32 MiB
// (--ultra -20), 128 MiB (--ultra -22, --long), and pzstd's layout, a
// skippable frame before each frame. Each reads as the capture does. A
// window beyond what zstd -d takes by default is refused with the limit
// and the way around it, not as a damaged file.
func TestOpenZstdWindows(t *testing.T) {
	data, _ := os.ReadFile("../testdata/corpus/conntrack-L.txt")
	want := strings.Count(string(data), "\n")
	for _, c := range []struct {
		name string
		zst  []byte
		err  string
	}{
		{"window of 32 MiB", zstdWindow(t, data, 25), ""},
		{"window of 128 MiB", zstdWindow(t, data, 27), ""},
		{"skippable frame first", append(skippable(0x50, []byte("pzstd")), zstdWindow(t, data, 20)...), ""},
		{"skippable frames between", append(append(skippable(0x5f, nil), zstdWindow(t, data[:len(data)/2], 27)...),
			append(skippable(0x5a, make([]byte, 4)), zstdWindow(t, data[len(data)/2:], 23)...)...), ""},
		{"window of 256 MiB", zstdWindow(t, data, 28), "zstd -d --long=31"},
	} {
		in, err := snapshot.Open(bytes.NewReader(c.zst), snapshot.Text(format.Auto))
		n := 0
		if err == nil {
			for f := (format.Flow{}); in.Scan(&f); n++ {
			}
			err = in.Err()
			if in.Compression != "zstd" {
				t.Errorf("%s: compression %q", c.name, in.Compression)
			}
			in.Close()
		}
		switch {
		case c.err == "" && (err != nil || n != want):
			t.Errorf("%s: %d flows, %v; want %d", c.name, n, err, want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "damaged")):
			t.Errorf("%s: %v; want an error that says %q", c.name, err, c.err)
		}
	}
}

// zstdWindow returns b compressed in a zstd frame whose header declares a
// window of 1<<log bytes, as zstd declares when it cannot see the input's
// size. A window larger than the data needs changes nothing else.
func zstdWindow(t *testing.T, b []byte, log int) []byte {
	w, err := zstd.NewWriter(nil, zstd.WithSingleSegment(false), zstd.WithEncoderCRC(true))
	if err != nil {
		t.Fatal(err)
	}
	frame := w.EncodeAll(b, nil)
	if frame[4]&0x20 != 0 {
		t.Fatal("a single-segment frame has no window descriptor")
	}
	frame[5] = byte(log-10) << 3 // exponent, no mantissa
	var h zstd.Header
	if err := h.Decode(frame); err != nil || h.WindowSize != 1<<log {
		t.Fatalf("window %d, %v", h.WindowSize, err)
	}
	return frame
}

// skippable returns a zstd skippable frame of the given magic's low byte
// (0x50 to 0x5f) holding payload.
func skippable(low byte, payload []byte) []byte {
	b := []byte{low, 0x2a, 0x4d, 0x18}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...)
}
