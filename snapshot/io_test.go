package snapshot_test

import (
	"bytes"
	"compress/gzip"
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
