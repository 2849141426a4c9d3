// Package codec encodes ctconv's model, format.Flow, format.Expect and
// format.Stats (the table's counters), as JSON Lines and as msgpack: the
// structured encodings that other programs read, and that snapshot files
// are made of.
//
// The JSON schema is documented in flow.schema.json (expect.schema.json,
// stats.schema.json); names follow the
// kernel's netlink specification of conntrack
// (Documentation/netlink/specs/conntrack.yaml) where it names a field or a
// status bit, and conntrack's output elsewhere (the counters are named as
// conntrack -S names them). Absent fields are left out.
// Encoding appends to a caller's buffer and decoding fills a caller's
// struct, neither allocating in the steady state.
package codec
