// Package encodetest encodes a capture as it reaches ctconv other than as
// its producer printed it, for the tests of every package: compressed,
// or saved in UTF-16.
package encodetest

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"unicode/utf16"

	"github.com/klauspost/compress/zstd"
)

// UTF16 returns b, text in UTF-8, in UTF-16 of the byte order after a
// byte-order mark, as Windows PowerShell 5 saves a command's output.
func UTF16(b []byte, order binary.AppendByteOrder) []byte {
	out := order.AppendUint16(nil, 0xfeff)
	for _, u := range utf16.Encode([]rune(string(b))) {
		out = order.AppendUint16(out, u)
	}
	return out
}

// Gzip returns b compressed as gzip -c compresses it.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b) // a bytes.Buffer takes all
	w.Close()
	return buf.Bytes()
}

// Zstd returns b compressed as one zstd frame.
func Zstd(b []byte) []byte {
	w, _ := zstd.NewWriter(nil) // no options: no error
	defer w.Close()
	return w.EncodeAll(b, nil)
}
