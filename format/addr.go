package format

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strconv"
)

const hexDigits = "0123456789abcdef"

// parseIPv4 parses b in the dotted-decimal form that the kernel and
// inet_ntoa print: four decimal numbers up to 255, without leading zeros.
func parseIPv4(b []byte) (netip.Addr, bool) {
	c := cursor{line: b}
	a, ok := c.ipv4()
	return a, ok && c.pos == len(b)
}

// parseIPv6Full parses b in the form the kernel prints IPv6 addresses
// (%pI6): eight groups of four lowercase hex digits, without "::".
func parseIPv6Full(b []byte) (netip.Addr, bool) {
	if len(b) != 39 {
		return netip.Addr{}, false
	}
	var a [16]byte
	var bad byte // the OR of every digit's value, which has hexBad for a non-digit
	for g := range 8 {
		p := (*[4]byte)(b[g*5:])
		h0, h1, h2, h3 := hexValue[p[0]], hexValue[p[1]], hexValue[p[2]], hexValue[p[3]]
		bad |= h0 | h1 | h2 | h3
		a[2*g], a[2*g+1] = h0<<4|h1, h2<<4|h3
		if g < 7 && b[g*5+4] != ':' {
			return netip.Addr{}, false
		}
	}
	if bad&hexBad != 0 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom16(a), true
}

// hexValue is the value of each lowercase hex digit, and hexBad for any
// other byte.
var hexValue = func() (t [256]byte) {
	for c := range t {
		t[c] = hexBad
	}
	for v, c := range hexDigits {
		t[c] = byte(v)
	}
	return t
}()

const hexBad = 0x10

// appendIPv4 appends a 4-byte address in dotted-decimal form.
func appendIPv4(dst []byte, a netip.Addr) []byte {
	var b [4 * 4]byte
	n := 0
	for _, v := range a.As4() {
		d := decimalDot[v]
		binary.LittleEndian.PutUint32(b[n:], uint32(d))
		n += int(d >> 56)
	}
	return append(dst, b[:n-1]...)
}

// decimalDot holds, for each byte value, its decimal digits and a dot in
// the low 4 bytes, and their length in the top byte: an address's numbers
// are appended with a store each.
var decimalDot = func() (t [256]uint64) {
	for v := range t {
		var b [8]byte
		n := copy(b[:], strconv.Itoa(v)+".")
		b[7] = byte(n)
		t[v] = binary.LittleEndian.Uint64(b[:])
	}
	return t
}()

// appendIPv6Full appends a 16-byte address in the kernel's full form.
func appendIPv6Full(dst []byte, a netip.Addr) []byte {
	b := a.As16()
	var s [8 * 5]byte // each group's digits and a colon, the last without it
	for g := range 8 {
		hi, lo := b[2*g], b[2*g+1]
		s[5*g], s[5*g+1], s[5*g+2], s[5*g+3], s[5*g+4] = hexDigits[hi>>4], hexDigits[hi&15], hexDigits[lo>>4], hexDigits[lo&15], ':'
	}
	return append(dst, s[:len(s)-1]...)
}

// parseIPv6 parses an IPv6 address in any of the text forms of RFC 4291:
// groups of up to four hex digits, one "::", and a dotted IPv4 tail. It
// accepts upper-case digits and leading zeros; callers that want one form
// compare with what they would print.
func parseIPv6(b []byte) (netip.Addr, bool) {
	var a [16]byte
	ellipsis := -1 // byte index of "::"
	i, n := 0, 0   // position in b, bytes of a filled
	if len(b) >= 2 && b[0] == ':' && b[1] == ':' {
		ellipsis, i = 0, 2
		if i == len(b) {
			return netip.AddrFrom16(a), true
		}
	}
	for n < 16 {
		start, v := i, 0
		for i < len(b) && i-start < 4 {
			c := b[i]
			switch {
			case c >= '0' && c <= '9':
				v = v<<4 | int(c-'0')
			case c >= 'a' && c <= 'f':
				v = v<<4 | int(c-'a'+10)
			case c >= 'A' && c <= 'F':
				v = v<<4 | int(c-'A'+10)
			default:
				goto end
			}
			i++
		}
	end:
		if i == start {
			return netip.Addr{}, false
		}
		if i < len(b) && b[i] == '.' { // a dotted IPv4 tail
			if n > 12 {
				return netip.Addr{}, false
			}
			v4, ok := parseIPv4(b[start:])
			if !ok {
				return netip.Addr{}, false
			}
			b4 := v4.As4()
			copy(a[n:], b4[:])
			n += 4
			i = len(b)
			break
		}
		a[n], a[n+1] = byte(v>>8), byte(v)
		n += 2
		if i == len(b) {
			break
		}
		if b[i] != ':' || i+1 == len(b) {
			return netip.Addr{}, false
		}
		i++
		if b[i] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, false
			}
			ellipsis = n
			i++
			if i == len(b) {
				break
			}
		}
	}
	if i != len(b) {
		return netip.Addr{}, false
	}
	if ellipsis >= 0 {
		if n == 16 {
			return netip.Addr{}, false // "::" must stand for at least one group
		}
		gap := 16 - n
		copy(a[ellipsis+gap:], a[ellipsis:n])
		clear(a[ellipsis : ellipsis+gap])
	} else if n != 16 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom16(a), true
}

// parseIPv6Glibc parses an IPv6 address in the one form glibc's inet_ntop
// prints for it. The forms of most addresses it reads in one pass; the
// others (a dotted tail, a form that is not glibc's) it compares with what
// appendIPv6Glibc prints.
func parseIPv6Glibc(b []byte) (netip.Addr, bool) {
	if a, ok := parseIPv6GlibcFast(b); ok {
		return a, true
	}
	a, ok := parseIPv6(b)
	if !ok {
		return a, false
	}
	var buf [64]byte
	return a, string(appendIPv6Glibc(buf[:0], a)) == string(b)
}

// parseIPv6GlibcFast parses b if it is in glibc's form without a dotted
// tail: groups of lowercase hex without leading zeros, and "::" for the
// first longest run of two or more zero groups. It reports false for
// anything else, which may still be glibc's form.
func parseIPv6GlibcFast(b []byte) (netip.Addr, bool) {
	var w [8]uint16
	n, gap := 0, -1 // groups read; the group at which "::" stands
	i := 0
	if len(b) >= 2 && b[0] == ':' && b[1] == ':' {
		gap, i = 0, 2
	}
	for i < len(b) {
		if n == 8 {
			return netip.Addr{}, false
		}
		start := i
		var v uint16
		for i < len(b) && i-start < 4 {
			c := b[i]
			switch {
			case c-'0' <= 9:
				v = v<<4 | uint16(c-'0')
			case c-'a' <= 5:
				v = v<<4 | uint16(c-'a'+10)
			default:
				goto end
			}
			i++
		}
	end:
		if i == start || b[start] == '0' && i-start > 1 {
			return netip.Addr{}, false
		}
		w[n] = v
		n++
		if i == len(b) {
			break
		}
		if b[i] != ':' || i+1 == len(b) {
			return netip.Addr{}, false
		}
		i++
		if b[i] == ':' {
			if gap >= 0 {
				return netip.Addr{}, false
			}
			gap = n
			i++
		}
	}
	run := 8 - n // zero groups that "::" stands for
	if gap >= 0 {
		if run < 2 {
			return netip.Addr{}, false
		}
		copy(w[gap+run:], w[gap:n])
		clear(w[gap : gap+run])
	} else if n != 8 {
		return netip.Addr{}, false
	}
	best, bestLen := zeroRun(&w)
	if best != gap || best >= 0 && bestLen != run ||
		best == 0 && (bestLen == 6 || bestLen == 5 && w[5] == 0xffff) {
		return netip.Addr{}, false // not glibc's "::", or glibc prints a dotted tail
	}
	var a [16]byte
	for k, v := range w {
		a[2*k], a[2*k+1] = byte(v>>8), byte(v)
	}
	return netip.AddrFrom16(a), true
}

// zeroRun returns the start and length of the first longest run of two or
// more zero groups in w, or -1 and 0 if there is none: the groups glibc
// prints as "::".
func zeroRun(w *[8]uint16) (best, bestLen int) {
	best = -1
	for i := 0; i < 8; {
		if w[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && w[j] == 0 {
			j++
		}
		if j-i > bestLen && j-i >= 2 {
			best, bestLen = i, j-i
		}
		i = j
	}
	return best, bestLen
}

// appendIPv6Glibc appends a 16-byte address as glibc's inet_ntop prints it:
// lowercase hex without leading zeros, the longest run of two or more zero
// groups (the first of equals) as "::", and a dotted tail for addresses whose
// first 96 bits are zero, or 80 bits zero and then ffff.
func appendIPv6Glibc(dst []byte, a netip.Addr) []byte {
	b := a.As16()
	var w [8]uint16
	for i := range w {
		w[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	best, bestLen := zeroRun(&w)
	for i := 0; i < 8; i++ {
		if i == best {
			dst = append(dst, ':')
			if i+bestLen == 8 {
				dst = append(dst, ':')
			}
			i += bestLen - 1
			continue
		}
		if i > 0 {
			dst = append(dst, ':')
		}
		if i == 6 && best == 0 && (bestLen == 6 || bestLen == 5 && w[5] == 0xffff) {
			return appendIPv4(dst, netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		}
		dst = appendHex(dst, w[i])
	}
	return dst
}

// appendHex appends v in lowercase hex without leading zeros.
func appendHex(dst []byte, v uint16) []byte {
	switch {
	case v >= 0x1000:
		return append(dst, hexDigits[v>>12], hexDigits[v>>8&15], hexDigits[v>>4&15], hexDigits[v&15])
	case v >= 0x100:
		return append(dst, hexDigits[v>>8], hexDigits[v>>4&15], hexDigits[v&15])
	case v >= 0x10:
		return append(dst, hexDigits[v>>4], hexDigits[v&15])
	}
	return append(dst, hexDigits[v])
}

// parseAddr parses an IPv4 address in dotted-decimal form or an IPv6
// address in any form of RFC 4291, without a zone.
func parseAddr(b []byte) (netip.Addr, bool) {
	if bytes.IndexByte(b, ':') >= 0 {
		return parseIPv6(b)
	}
	return parseIPv4(b)
}
