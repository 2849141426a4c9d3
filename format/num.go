package format

import (
	"math"
	"strconv"
)

// numErr says why a number did not parse.
type numErr uint8

const (
	numOK     numErr = iota
	numEmpty         // no digits
	numSyntax        // a byte that is not a digit
	numZero          // a leading zero, which printf never prints
	numRange         // above the maximum
)

// parseUint parses b as a decimal number of at most max, in the form printf's
// %u prints: digits only, no sign, no leading zero.
func parseUint(b []byte, max uint64) (uint64, numErr) {
	if len(b) == 0 {
		return 0, numEmpty
	}
	if b[0] == '0' && len(b) > 1 {
		return 0, numZero
	}
	var n uint64
	for _, c := range b {
		d := uint64(c - '0')
		if d > 9 {
			return 0, numSyntax
		}
		if n > (math.MaxUint64-d)/10 {
			return 0, numRange
		}
		n = n*10 + d
	}
	if n > max {
		return 0, numRange
	}
	return n, numOK
}

// parseInt parses b as printf's %ld prints a signed number in [lo, hi].
func parseInt(b []byte, lo, hi int64) (int64, numErr) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 1 && b[0] == '0' {
			return 0, numSyntax // printf never prints -0
		}
	}
	u, e := parseUint(b, math.MaxInt64+1)
	if e != numOK {
		return 0, e
	}
	if neg {
		if u > uint64(-lo) {
			return 0, numRange
		}
		return -int64(u), numOK
	}
	if u > uint64(hi) {
		return 0, numRange
	}
	return int64(u), numOK
}

// parseHex16 parses b as printf's 0x%x prints a 16-bit value: "0x" and
// lowercase hex digits without leading zeros.
func parseHex16(b []byte) (uint16, numErr) {
	if len(b) < 3 || b[0] != '0' || b[1] != 'x' {
		return 0, numSyntax
	}
	b = b[2:]
	if b[0] == '0' && len(b) > 1 {
		return 0, numZero
	}
	if len(b) > 4 {
		return 0, numRange
	}
	var n uint16
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			n = n<<4 | uint16(c-'0')
		case c >= 'a' && c <= 'f':
			n = n<<4 | uint16(c-'a'+10)
		default:
			return 0, numSyntax
		}
	}
	return n, numOK
}

func appendUint(dst []byte, n uint64) []byte { return strconv.AppendUint(dst, n, 10) }

func appendHex16(dst []byte, n uint16) []byte {
	dst = append(dst, "0x"...)
	return strconv.AppendUint(dst, uint64(n), 16)
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
