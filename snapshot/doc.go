// Package snapshot stores captures of connection-tracking tables in files,
// opens captures of every kind, and compares two.
//
// A snapshot file holds the model, not the text: a header with the
// capture's metadata, then the records as msgpack (package codec),
// compressed with zstd, in blocks that a Reader decodes on every core. It
// is small (a real table of 100,000 flows takes 0.81 of what zstd -19
// makes of its text), fast (written in 0.6 to 0.7 of the time zstd -3
// takes on the text; a million flows checked in 0.6 of the time their
// text takes, on one core or two; bench/snapshot.sh measures it), and
// safe to open when it comes from elsewhere: every length is checked
// before it is used, a Reader allocates less than 32 MiB on two cores
// whatever the file claims (7 MiB more for each further core, up to 8),
// and the header's checksum, zstd's content checksum and the record count
// make silent corruption impossible. The header remembers how the source
// printed its records, so a snapshot gives back the text it was made from,
// byte for byte. docs/SNAPSHOT.md specifies the format, frozen: every
// later version reads the files of every earlier one.
//
// A Writer and a Reader run goroutines of their own, so that parsing,
// encoding and compression overlap on a machine with two cores or more;
// Close releases them.
//
// Open reads a capture in any format ctconv knows: text, JSON Lines or a
// snapshot file, compressed with gzip, zstd or bzip2 or not. NewDiff compares two
// captures: the flows added, removed, and changed field by field.
package snapshot
