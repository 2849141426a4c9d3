// Package format holds ctconv's canonical model of a connection-tracking
// entry, [Flow], and the text formats that the Linux kernel and
// conntrack-tools print for it.
//
// Every text format maps to the same Flow. A parser fills a caller's Flow
// from one line without allocating in the steady state; a printer appends
// the line to a caller's buffer (the Append* functions). Printing a parsed
// line in its own format gives the input back byte for byte.
//
// Fields that a format may or may not print are recorded in [Flow.Fields],
// so that a printer never invents what its source did not carry, but for
// the few values a format cannot do without, which docs/CONVERSIONS.md
// lists: the kernel's use count, conntrack -I's SCTP tags and DCCP state.
// Tokens a parser does not know (vendor kernels add some) are kept in
// [Flow.Extras], in their position, unless the caller asked for strict
// parsing.
//
// The package imports only the standard library.
package format
