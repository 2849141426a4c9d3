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
