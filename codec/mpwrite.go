package codec

import "encoding/binary"

// The methods of record append msgpack values to it, each in its
// shortest form, as msgpack's encoder writes them (its compact integers):
// the records that versions before wrote are the same bytes. Through the
// general encoder, a value cost a record more than the rest of its
// writing does.

// EncodeUint appends n.
func (r *record) EncodeUint(n uint64) {
	switch b := *r; {
	case n <= 0x7f:
		*r = append(b, byte(n))
	case n <= 0xff:
		*r = append(b, 0xcc, byte(n))
	case n <= 0xffff:
		*r = binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
	case n <= 0xffffffff:
		*r = binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
	default:
		*r = binary.BigEndian.AppendUint64(append(b, 0xcf), n)
	}
}

// EncodeInt appends n: as EncodeUint if it is not negative.
func (r *record) EncodeInt(n int64) {
	switch b := *r; {
	case n >= 0:
		r.EncodeUint(uint64(n))
	case n >= -32:
		*r = append(b, byte(n))
	case n >= -1<<7:
		*r = append(b, 0xd0, byte(n))
	case n >= -1<<15:
		*r = binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(n))
	case n >= -1<<31:
		*r = binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(n))
	default:
		*r = binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
	}
}

// EncodeBytes appends p as a bin.
func (r *record) EncodeBytes(p []byte) {
	switch b, n := *r, len(p); {
	case n <= 0xff:
		*r = append(b, 0xc4, byte(n))
	case n <= 0xffff:
		*r = binary.BigEndian.AppendUint16(append(b, 0xc5), uint16(n))
	default:
		*r = binary.BigEndian.AppendUint32(append(b, 0xc6), uint32(n))
	}
	*r = append(*r, p...)
}

// EncodeString appends s as a str.
func (r *record) EncodeString(s string) {
	switch b, n := *r, len(s); {
	case n <= 0x1f:
		*r = append(b, 0xa0|byte(n))
	case n <= 0xff:
		*r = append(b, 0xd9, byte(n))
	case n <= 0xffff:
		*r = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
	default:
		*r = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
	}
	*r = append(*r, s...)
}

// EncodeArrayLen appends the head of an array of n elements.
func (r *record) EncodeArrayLen(n int) {
	switch b := *r; {
	case n <= 0x0f:
		*r = append(b, 0x90|byte(n))
	case n <= 0xffff:
		*r = binary.BigEndian.AppendUint16(append(b, 0xdc), uint16(n))
	default:
		*r = binary.BigEndian.AppendUint32(append(b, 0xdd), uint32(n))
	}
}
