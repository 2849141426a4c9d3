package format

import (
	"bytes"
	"net/netip"
)

const hexDigits = "0123456789abcdef"

// parseIPv4 parses b in the dotted-decimal form that the kernel and
// inet_ntoa print: four decimal numbers up to 255, without leading zeros.
func parseIPv4(b []byte) (netip.Addr, bool) {
	var a [4]byte
	i := 0
	for k := range 4 {
		if k > 0 {
			if i >= len(b) || b[i] != '.' {
				return netip.Addr{}, false
			}
			i++
		}
		start, n := i, 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' && i-start < 3 {
			n = n*10 + int(b[i]-'0')
			i++
		}
		if i == start || n > 255 || b[start] == '0' && i-start > 1 {
			return netip.Addr{}, false
		}
		a[k] = byte(n)
	}
	if i != len(b) {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(a), true
}

// parseIPv6Full parses b in the form the kernel prints IPv6 addresses
// (%pI6): eight groups of four lowercase hex digits, without "::".
func parseIPv6Full(b []byte) (netip.Addr, bool) {
	if len(b) != 39 {
		return netip.Addr{}, false
	}
	var a [16]byte
	for g := range 8 {
		p := b[g*5:]
		if g < 7 && p[4] != ':' {
			return netip.Addr{}, false
		}
		var v uint16
		for _, c := range p[:4] {
			switch {
			case c >= '0' && c <= '9':
				v = v<<4 | uint16(c-'0')
			case c >= 'a' && c <= 'f':
				v = v<<4 | uint16(c-'a'+10)
			default:
				return netip.Addr{}, false
			}
		}
		a[2*g], a[2*g+1] = byte(v>>8), byte(v)
	}
	return netip.AddrFrom16(a), true
}

// appendIPv4 appends a 4-byte address in dotted-decimal form.
func appendIPv4(dst []byte, a netip.Addr) []byte {
	var b [15]byte
	n := 0
	for i, v := range a.As4() {
		if i > 0 {
			b[n] = '.'
			n++
		}
		if v >= 100 {
			b[n] = '0' + v/100
			n++
		}
		if v >= 10 {
			b[n] = '0' + v/10%10
			n++
		}
		b[n] = '0' + v%10
		n++
	}
	return append(dst, b[:n]...)
}

// appendIPv6Full appends a 16-byte address in the kernel's full form.
func appendIPv6Full(dst []byte, a netip.Addr) []byte {
	b := a.As16()
	for i := 0; i < 16; i += 2 {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = append(dst, hexDigits[b[i]>>4], hexDigits[b[i]&15], hexDigits[b[i+1]>>4], hexDigits[b[i+1]&15])
	}
	return dst
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
// prints for it.
func parseIPv6Glibc(b []byte) (netip.Addr, bool) {
	a, ok := parseIPv6(b)
	if !ok {
		return a, false
	}
	var buf [64]byte
	return a, string(appendIPv6Glibc(buf[:0], a)) == string(b)
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
	best, bestLen := -1, 0
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
	started := false
	for shift := 12; shift >= 0; shift -= 4 {
		d := v >> shift & 15
		if d != 0 || started || shift == 0 {
			dst = append(dst, hexDigits[d])
			started = true
		}
	}
	return dst
}

// parseAddr parses an IPv4 address in dotted-decimal form or an IPv6
// address in any form of RFC 4291, without a zone.
func parseAddr(b []byte) (netip.Addr, bool) {
	if bytes.IndexByte(b, ':') >= 0 {
		return parseIPv6(b)
	}
	return parseIPv4(b)
}
