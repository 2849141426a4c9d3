package codec

import (
	"encoding/binary"
	"io"
	"strconv"
)

// mpReader reads msgpack values from a buffer: the whole of a snapshot's
// block, or a window onto a stream that it refills from r. It reads
// what the decoder needs, without reflection and without allocating: a
// string comes back as a slice of the buffer, valid until the next read.
// A general msgpack decoder spends more on each of a record's small
// values than the rest of the decoding does.
type mpReader struct {
	buf []byte
	pos int
	r   io.Reader // nil where buf is all there is
}

// streamBuf is the window onto a stream: room for the longest string a
// record holds, and its length prefix.
const streamBuf = maxString + 64<<10

// errCode is the error of a value of the wrong type, as msgpack's
// decoders say it.
func errCode(c byte, what string) error {
	return corrupt("msgpack: invalid code=" + strconv.FormatUint(uint64(c), 16) + " decoding " + what)
}

// fill makes n bytes available from pos, refilling from the stream: it
// returns io.EOF where none are, io.ErrUnexpectedEOF where fewer are.
func (m *mpReader) fill(n int) error {
	if len(m.buf)-m.pos >= n {
		return nil
	}
	if m.r == nil {
		if m.pos == len(m.buf) {
			return io.EOF
		}
		return io.ErrUnexpectedEOF
	}
	if cap(m.buf) < streamBuf {
		m.buf = append(make([]byte, 0, streamBuf), m.buf[m.pos:]...)
	} else {
		m.buf = append(m.buf[:0], m.buf[m.pos:]...)
	}
	m.pos = 0
	for len(m.buf) < n {
		k, err := m.r.Read(m.buf[len(m.buf):cap(m.buf)])
		m.buf = m.buf[:len(m.buf)+k]
		if err != nil && len(m.buf) < n {
			if err == io.EOF && len(m.buf) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// code reads a value's first byte.
func (m *mpReader) code() (byte, error) {
	if m.pos < len(m.buf) {
		m.pos++
		return m.buf[m.pos-1], nil
	}
	if err := m.fill(1); err != nil {
		return 0, err
	}
	m.pos++
	return m.buf[m.pos-1], nil
}

// peek returns the next value's first byte without reading it.
func (m *mpReader) peek() (byte, error) {
	if err := m.fill(1); err != nil {
		return 0, err
	}
	return m.buf[m.pos], nil
}

// next returns the n bytes that follow, the end of the input inside a
// value being io.ErrUnexpectedEOF.
func (m *mpReader) next(n int) ([]byte, error) {
	if err := m.fill(n); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	m.pos += n
	return m.buf[m.pos-n : m.pos], nil
}

// size reads the big-endian number of n bytes (1, 2, 4 or 8) after a code.
func (m *mpReader) size(n int) (uint64, error) {
	if len(m.buf)-m.pos < n {
		if err := m.fill(n); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
	}
	b := m.buf[m.pos:]
	m.pos += n
	switch n {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(b)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(b)), nil
	}
	return binary.BigEndian.Uint64(b), nil
}

// integer reads any msgpack integer, or nil as 0, as the bits of an
// int64: the signed formats sign-extended.
func (m *mpReader) integer() (uint64, error) {
	c, err := m.code()
	if err != nil {
		return 0, err
	}
	switch {
	case c <= 0x7f:
		return uint64(c), nil
	case c >= 0xe0:
		return uint64(int64(int8(c))), nil
	case c == 0xc0:
		return 0, nil
	case c >= 0xcc && c <= 0xcf: // uint 8 to 64
		return m.size(1 << (c - 0xcc))
	case c >= 0xd0 && c <= 0xd3: // int 8 to 64
		n, err := m.size(1 << (c - 0xd0))
		shift := 64 - 8<<(c-0xd0)
		return uint64(int64(n<<shift) >> shift), err
	}
	return 0, errCode(c, "integer")
}

// bytesLen reads the length of a str or bin; -1 for nil.
func (m *mpReader) bytesLen() (int, error) {
	c, err := m.code()
	if err != nil {
		return 0, err
	}
	switch {
	case c >= 0xa0 && c <= 0xbf:
		return int(c & 0x1f), nil
	case c == 0xc0:
		return -1, nil
	case c == 0xd9 || c == 0xc4:
		n, err := m.size(1)
		return int(n), err
	case c == 0xda || c == 0xc5:
		n, err := m.size(2)
		return int(n), err
	case c == 0xdb || c == 0xc6:
		n, err := m.size(4)
		return int(n), err
	}
	return 0, errCode(c, "string/bytes length")
}

// arrayLen reads the length of an array; -1 for nil.
func (m *mpReader) arrayLen() (int, error) {
	c, err := m.code()
	if err != nil {
		return 0, err
	}
	switch {
	case c >= 0x90 && c <= 0x9f:
		return int(c & 0x0f), nil
	case c == 0xc0:
		return -1, nil
	case c == 0xdc:
		n, err := m.size(2)
		return int(n), err
	case c == 0xdd:
		n, err := m.size(4)
		return int(n), err
	}
	return 0, errCode(c, "array length")
}

// mapLen reads the length of a map.
func (m *mpReader) mapLen() (int, error) {
	c, err := m.code()
	if err != nil {
		return 0, err
	}
	switch {
	case c >= 0x80 && c <= 0x8f:
		return int(c & 0x0f), nil
	case c == 0xde:
		n, err := m.size(2)
		return int(n), err
	case c == 0xdf:
		n, err := m.size(4)
		return int(n), err
	}
	return 0, errCode(c, "map length")
}

// extLen reads the header of an ext value, and returns the length of its
// data, the type byte read.
func (m *mpReader) extLen() (int, error) {
	c, err := m.code()
	if err != nil {
		return 0, err
	}
	var n uint64
	switch {
	case c >= 0xd4 && c <= 0xd8: // fixext 1 to 16
		n = 1 << (c - 0xd4)
	case c >= 0xc7 && c <= 0xc9: // ext 8, 16, 32
		n, err = m.size(1 << (c - 0xc7))
	default:
		return 0, errCode(c, "ext header")
	}
	if err == nil {
		_, err = m.next(1)
	}
	return int(n), err
}

// scalar skips a number, a boolean or nil.
func (m *mpReader) scalar() error {
	c, err := m.code()
	if err != nil {
		return err
	}
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		return nil
	case c >= 0xcc && c <= 0xcf:
		_, err = m.next(1 << (c - 0xcc))
	case c >= 0xd0 && c <= 0xd3:
		_, err = m.next(1 << (c - 0xd0))
	case c == 0xca:
		_, err = m.next(4)
	case c == 0xcb:
		_, err = m.next(8)
	default:
		return errCode(c, "value")
	}
	return err
}

// rest returns the bytes buffered after those read: from a stream, what
// was read ahead of the values.
func (m *mpReader) rest() int { return len(m.buf) - m.pos }

// short returns the unsigned integer of up to 32 bits that starts the
// buffer's unread bytes, where it holds 8 of them, and its length, for
// the caller to read it (m.pos += k); k is 0 for any other value. It is
// the way of most of a record's values, short enough to inline.
func (m *mpReader) short() (n uint64, k int) {
	p := m.pos
	if p+8 > len(m.buf) {
		return 0, 0
	}
	x := binary.BigEndian.Uint64(m.buf[p:])
	f := &shortForms[x>>56]
	return x >> f.shift & f.mask, int(f.len)
}

// shortForm is how short reads a value by its first byte: its length,
// and where its bits are in the 8 bytes read.
type shortForm struct {
	mask       uint64
	shift, len uint8
}

// shortForms are the forms of a positive fixint, uint 8, 16 and 32; the
// others have length 0.
var shortForms = func() (t [256]shortForm) {
	for c := range 0x80 {
		t[c] = shortForm{0x7f, 56, 1}
	}
	t[0xcc], t[0xcd], t[0xce] = shortForm{0xff, 48, 2}, shortForm{0xffff, 40, 3}, shortForm{0xffffffff, 24, 5}
	return t
}()
