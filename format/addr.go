package format

import "net/netip"

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
