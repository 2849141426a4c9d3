package snapshot

import (
	"encoding/binary"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// utf16Order returns the byte order of UTF-16 text that b, its first
// bytes, starts with the byte-order mark of, and whether it does.
func utf16Order(b []byte) (binary.ByteOrder, bool) {
	switch {
	case len(b) < 2:
	case b[0] == 0xff && b[1] == 0xfe:
		return binary.LittleEndian, true
	case b[0] == 0xfe && b[1] == 0xff:
		return binary.BigEndian, true
	}
	return nil, false
}

// A utf16Reader reads UTF-16 text of one byte order as UTF-8, as Windows
// PowerShell 5 saves a command's output (>, Out-File). Its byte-order
// mark reads as UTF-8's, which the Scanner takes as it takes a UTF-8
// file's. Half a surrogate pair, or an odd last byte, reads as U+FFFD,
// which no format holds, so that the Scanner reports where it is.
type utf16Reader struct {
	r     io.Reader
	order binary.ByteOrder
	raw   [16 << 10]byte
	n     int    // the bytes of raw read and not yet decoded
	out   []byte // decoded and not yet read
	buf   [24 << 10]byte
	err   error
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.err != nil {
			return 0, u.err
		}
		u.fill()
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

// fill reads more of the UTF-16 text and decodes what it can into u.out:
// all of it at the end of the input, else up to a code unit or a
// surrogate pair cut by the read.
func (u *utf16Reader) fill() {
	m, err := u.r.Read(u.raw[u.n:])
	u.n += m
	u.err = err
	out, i := u.buf[:0], 0
decode:
	for ; i+2 <= u.n; i += 2 {
		r := rune(u.order.Uint16(u.raw[i:]))
		if utf16.IsSurrogate(r) {
			switch {
			case i+4 <= u.n:
				if r2 := utf16.DecodeRune(r, rune(u.order.Uint16(u.raw[i+2:]))); r2 != utf8.RuneError {
					r = r2
					i += 2
				} else {
					r = utf8.RuneError
				}
			case u.err == nil: // the pair's second half is still to read
				break decode
			default:
				r = utf8.RuneError
			}
		}
		out = utf8.AppendRune(out, r)
	}
	if i < u.n && u.err != nil { // an odd last byte
		out = utf8.AppendRune(out, utf8.RuneError)
		i = u.n
	}
	u.n = copy(u.raw[:], u.raw[i:u.n])
	u.out = out
}
