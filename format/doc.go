// Package format holds ctconv's canonical model of a connection-tracking
// entry, [Flow], and the text formats that the Linux kernel and
// conntrack-tools print for it.
//
// A [Scanner] reads a capture of any format, detected or named by a
// [Dialect], as an iterator of records; a [Writer] prints them in any
// other. One line parses with [Dialect.Parse] and prints with
// [Dialect.Append], into a caller's Flow and buffer, without allocating in
// the steady state. Printing a parsed line in its own Dialect gives the
// input back byte for byte: the Dialect that a Scanner reports carries what
// the records do not, such as conntrack's -o options.
//
// Every text format maps to the same Flow. Fields that a format may or may
// not print are recorded in [Flow.Fields], so that a printer never invents
// what its source did not carry, but for the few values a format cannot do
// without, which docs/CONVERSIONS.md lists: the kernel's use count,
// conntrack -I's SCTP tags and DCCP state. Tokens a parser does not know
// (vendor kernels add some) are kept in [Flow.Extras], in their position,
// unless the Dialect is Strict. Expectations ([Expect]) and the table's
// counters ([Stats]) are the model's other records.
//
// The model's types print themselves (fmt.Stringer, encoding.TextMarshaler)
// and its enumerations read themselves back (encoding.TextUnmarshaler),
// in any case. Errors wrap the package's sentinel errors, such as
// [ErrSyntax]; a bad line is a [*ParseError] that says where.
//
// The package imports only the standard library.
package format
