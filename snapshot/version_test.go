package snapshot_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/ctconv/ctconv/snapshot"
)

// TestVersionRules checks what docs/SNAPSHOT.md says a reader does with a
// file that a newer writer made within version 1: it skips header keys it
// does not know and ignores the flags; a source or option it does not
// know is a file it cannot print as its source did, an ErrVersion that
// says so, not a corrupt file.
func TestVersionRules(t *testing.T) {
	for _, c := range []struct {
		name   string
		flags  uint16
		header map[string]any
		want   error
		msg    string
	}{
		{"a key from the future", 0, map[string]any{"source": "proc", "future": []any{1, "two"}}, nil, ""},
		{"flags", 0x8001, map[string]any{"source": "proc"}, nil, ""},
		{"a source from the future", 0, map[string]any{"source": "nft"}, snapshot.ErrVersion, `source "nft"`},
		{"an option from the future", 0, map[string]any{"source": "conntrack", "options": "id,frobnicate"}, snapshot.ErrVersion, `option "frobnicate"`},
	} {
		header, err := msgpack.Marshal(c.header)
		if err != nil {
			t.Fatal(err)
		}
		file := append([]byte(snapshot.Magic), 0, 1)
		file = binary.BigEndian.AppendUint16(file, c.flags)
		file = binary.BigEndian.AppendUint64(file, 0)
		file = binary.BigEndian.AppendUint32(file, uint32(len(header)))
		file = append(file, header...)
		file = binary.BigEndian.AppendUint32(file, crc32.Checksum(file[8:], crc32.MakeTable(crc32.Castagnoli)))
		zw, _ := zstd.NewWriter(nil, zstd.WithEncoderCRC(true))
		file = zw.EncodeAll([]byte{0x92, 0x03, 0x00}, file) // the end record: no records

		r, err := snapshot.NewReader(bytes.NewReader(file))
		if err == nil {
			if n, _, err := readTo(r.Flows(), -1); n != 0 || err != nil {
				t.Errorf("%s: %d flows, %v", c.name, n, err)
			}
			r.Close()
		}
		if c.want == nil && err != nil || c.want != nil && (!errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg)) {
			t.Errorf("%s: %v, want %v with %q", c.name, err, c.want, c.msg)
		}
	}
}
