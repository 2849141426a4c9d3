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

// hexAny is hexValue for digits of either case: an upper-case digit's
// value has hexUpper too.
var hexAny = func() (t [256]byte) {
	t = hexValue
	for v, c := range "ABCDEF" {
		t[c] = byte(10+v) | hexUpper
	}
	return t
}()

const hexUpper = 0x20

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
	a, _, ok := scanIPv6(b)
	return a, ok
}

// An ipv6Form says how an address that scanIPv6 read was written.
type ipv6Form struct {
	plain  bool // every group in lowercase, without leading zeros, and no dotted tail
	gap    int  // the group at which "::" stands, or -1
	groups int  // the zero groups "::" stands for
}

// scanIPv6 is parseIPv6, and says how the address was written.
func scanIPv6(b []byte) (netip.Addr, ipv6Form, bool) {
	var a [16]byte
	form := ipv6Form{plain: true, gap: -1}
	ellipsis := -1 // byte index of "::"
	i, n := 0, 0   // position in b, bytes of a filled
	if len(b) >= 2 && b[0] == ':' && b[1] == ':' {
		ellipsis, i = 0, 2
		if i == len(b) {
			return netip.AddrFrom16(a), ipv6Form{plain: true, gap: 0, groups: 8}, true
		}
	}
	for n < 16 {
		start, v := i, 0
		var seen byte // the OR of the digits' hexAny, for hexUpper
		for end := min(start+4, len(b)); i < end; {
			h := hexAny[b[i]]
			if h&hexBad != 0 {
				break
			}
			seen |= h
			v = v<<4 | int(h&15)
			i++
		}
		if i == start {
			return netip.Addr{}, form, false
		}
		if seen&hexUpper != 0 {
			form.plain = false
		}
		if i < len(b) && b[i] == '.' { // a dotted IPv4 tail
			if n > 12 {
				return netip.Addr{}, form, false
			}
			v4, ok := parseIPv4(b[start:])
			if !ok {
				return netip.Addr{}, form, false
			}
			b4 := v4.As4()
			copy(a[n:], b4[:])
			n += 4
			i = len(b)
			form.plain = false
			break
		}
		if b[start] == '0' && i-start > 1 {
			form.plain = false // a leading zero
		}
		a[n], a[n+1] = byte(v>>8), byte(v)
		n += 2
		if i == len(b) {
			break
		}
		if b[i] != ':' || i+1 == len(b) {
			return netip.Addr{}, form, false
		}
		i++
		if b[i] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, form, false
			}
			ellipsis = n
			i++
			if i == len(b) {
				break
			}
		}
	}
	if i != len(b) {
		return netip.Addr{}, form, false
	}
	if ellipsis >= 0 {
		if n == 16 {
			return netip.Addr{}, form, false // "::" must stand for at least one group
		}
		gap := 16 - n
		copy(a[ellipsis+gap:], a[ellipsis:n])
		clear(a[ellipsis : ellipsis+gap])
		form.gap, form.groups = ellipsis/2, gap/2
	} else if n != 16 {
		return netip.Addr{}, form, false
	}
	return netip.AddrFrom16(a), form, true
}

// parseIPv6Glibc parses an IPv6 address in the one form glibc's inet_ntop
// prints for it. Most forms it judges from how the address was written;
// those with a dotted tail it compares with what appendIPv6Glibc prints.
func parseIPv6Glibc(b []byte) (netip.Addr, bool) {
	a, form, ok := scanIPv6(b)
	if !ok || form.plain {
		return a, ok && glibcForm(a, form)
	}
	var buf [64]byte // a dotted tail, upper case or a leading zero
	return a, string(appendIPv6Glibc(buf[:0], a)) == string(b)
}

// glibcForm reports whether an address written plain, as form says, is in
// glibc's form: "::" for the first longest run of two or more zero groups,
// and no dotted tail where glibc prints one.
func glibcForm(a netip.Addr, form ipv6Form) bool {
	best, bestLen := zeroRun(a)
	return best == form.gap && (best < 0 || bestLen == form.groups) && !dottedTail(a, best, bestLen)
}

// dottedTail reports whether glibc prints a, whose run of zero groups
// zeroRun returned, with a dotted IPv4 tail: a's first 96 bits are zero,
// or 80 bits zero and then ffff.
func dottedTail(a netip.Addr, best, bestLen int) bool {
	if best != 0 { // most addresses: no need of their bytes
		return false
	}
	b := a.As16()
	return bestLen == 6 || bestLen == 5 && b[10] == 0xff && b[11] == 0xff
}

// words returns the eight 16-bit groups of an IPv6 address.
func words(a netip.Addr) (w [8]uint16) {
	b := a.As16()
	for i := range w {
		w[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return w
}

// zeroRun returns the start and length of the first longest run of two or
// more zero groups in a, or -1 and 0 if there is none: the groups glibc
// prints as "::".
func zeroRun(a netip.Addr) (best, bestLen int) {
	b := a.As16()
	var zero uint8 // bit i for group i
	for i := range 8 {
		if b[2*i]|b[2*i+1] == 0 {
			zero |= 1 << i
		}
	}
	r := zeroRuns[zero]
	return int(r.start), int(r.len)
}

// zeroRuns holds zeroRun's answer for each mask of zero groups.
var zeroRuns = func() (t [256]struct{ start, len int8 }) {
	for m := range t {
		t[m].start = -1
		for i := 0; i < 8; {
			j := i
			for j < 8 && m>>j&1 == 1 {
				j++
			}
			if j-i >= 2 && j-i > int(t[m].len) {
				t[m].start, t[m].len = int8(i), int8(j-i)
			}
			i = max(j, i+1)
		}
	}
	return t
}()

// appendIPv6Glibc appends a 16-byte address as glibc's inet_ntop prints it:
// lowercase hex without leading zeros, the longest run of two or more zero
// groups (the first of equals) as "::", and a dotted tail for addresses whose
// first 96 bits are zero, or 80 bits zero and then ffff.
func appendIPv6Glibc(dst []byte, a netip.Addr) []byte {
	w := words(a)
	best, bestLen := zeroRun(a)
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
		if i == 6 && dottedTail(a, best, bestLen) {
			return appendIPv4(dst, netip.AddrFrom4([4]byte{byte(w[6] >> 8), byte(w[6]), byte(w[7] >> 8), byte(w[7])}))
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
