package snapshot

import "strings"

// An OptionError says that an argument of NewWriter or NewDiff is not
// valid: a header field, a DiffOptions field, an input. It comes before
// anything is written or compared.
type OptionError struct {
	// Option is the argument: "Header.Source", "DiffOptions.Ignore",
	// "old", ...
	Option string
	// Value is the value refused, as text, and Msg what is wrong with it.
	Value, Msg string
	// Valid lists the values Option takes, where they are a list.
	Valid []string
}

func (e *OptionError) Error() string {
	s := "snapshot: " + e.Option + ": " + e.Msg
	if len(e.Valid) > 0 {
		s += " (valid: " + strings.Join(e.Valid, ", ") + ")"
	}
	return s
}

// A CompressionError says that Open knows an input to be compressed with
// a compression that it does not read, or to be an archive.
type CompressionError struct {
	Compression string // "xz", "lz4" or "zip"
	Command     string // that decompresses the input to its standard output: "xz -dc"
}

func (e *CompressionError) Error() string {
	return e.Compression + ": ctconv reads inputs compressed with gzip, zstd or bzip2, not " + e.Compression + ": decompress it first, with " + e.Command
}
