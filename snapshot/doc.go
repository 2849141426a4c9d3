// Package snapshot stores captures of connection-tracking tables in files
// and compares them.
//
// A snapshot file holds the model, not the text: a header with the
// capture's metadata, then the records as msgpack (package codec),
// compressed with zstd. It is small, fast to read and write, and safe to
// open when it comes from elsewhere: every length is checked before it is
// used, memory stays bounded whatever the file claims, and the zstd
// checksum and the record count make silent corruption impossible. The
// header remembers how the source printed its records, so a snapshot gives
// back the text it was made from, byte for byte.
//
// Open reads a capture in any format ctconv knows: text, JSON Lines or a
// snapshot file.
package snapshot
