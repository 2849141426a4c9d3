package snapshot

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf16"
)

// TestUTF16Reader decodes UTF-16 of both byte orders read in pieces of
// every size, so that reads cut code units and surrogate pairs: it reads
// as the text in UTF-8, and what is not UTF-16 as U+FFFD.
func TestUTF16Reader(t *testing.T) {
	text := strings.Repeat("tcp      6 label=🌐 ß ", 1000)
	for _, c := range []struct {
		name  string
		units []uint16
		tail  string // bytes after the units
		want  string
	}{
		{"text", utf16.Encode([]rune(text)), "", text},
		{"a first half alone", []uint16{'a', 0xd83c, 'b'}, "", "a\ufffdb"},
		{"a second half alone", []uint16{'a', 0xdf10, 'b'}, "", "a\ufffdb"},
		{"a first half last", []uint16{'a', 0xd83c}, "", "a\ufffd"},
		{"an odd last byte", []uint16{'a'}, "b", "a\ufffd"},
	} {
		for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
			var raw []byte
			for _, u := range c.units {
				raw = order.AppendUint16(raw, u)
			}
			raw = append(raw, c.tail...)
			for name, r := range map[string]io.Reader{
				"at once":         bytes.NewReader(raw),
				"a byte a read":   iotest.OneByteReader(bytes.NewReader(raw)),
				"half each read":  iotest.HalfReader(bytes.NewReader(raw)),
				"error with data": iotest.DataErrReader(bytes.NewReader(raw)),
			} {
				got, err := io.ReadAll(&utf16Reader{r: r, order: order.(binary.ByteOrder)})
				if err != nil || string(got) != c.want {
					t.Errorf("%s, %v, %s: %q, %v", c.name, order, name, got[:min(len(got), 40)], err)
				}
			}
		}
	}
	// An error of the reader under it ends the text, after what it gave.
	r := io.MultiReader(strings.NewReader("a\x00"), iotest.ErrReader(io.ErrUnexpectedEOF))
	if got, err := io.ReadAll(&utf16Reader{r: r, order: binary.LittleEndian}); string(got) != "a" || err != io.ErrUnexpectedEOF {
		t.Errorf("an error after \"a\": %q, %v", got, err)
	}
}
