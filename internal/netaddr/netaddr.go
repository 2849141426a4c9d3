// Package netaddr parses IP addresses from bytes without allocating, for
// the decoders of encodings that carry them as text, such as JSON.
package netaddr

import (
	"net/netip"
	"unsafe"
)

// Parse parses an IPv4 address in dotted-decimal form or an IPv6 address
// in any form of RFC 4291, without a zone.
func Parse(b []byte) (netip.Addr, bool) {
	if len(b) == 0 {
		return netip.Addr{}, false
	}
	// The string lives only as long as the call: netip keeps it in its
	// errors alone, which are dropped.
	a, err := netip.ParseAddr(unsafe.String(&b[0], len(b)))
	return a, err == nil && a.Zone() == ""
}
