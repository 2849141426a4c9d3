package format

import (
	"bytes"
	"strings"
)

// DetectError says that no format fits the start of a stream, and which
// formats were considered.
type DetectError struct {
	Considered []Format
}

func (e *DetectError) Error() string {
	names := make([]string, len(e.Considered))
	for i, f := range e.Considered {
		names[i] = f.String() + " (" + detectHints[f] + ")"
	}
	return "cannot detect the format; considered " + strings.Join(names, ", ")
}

var detectHints = [numFormats]string{
	Proc:     `lines start with the family, as in "ipv4     2 tcp      6 "`,
	IPLegacy: `lines start with the protocol, as in "tcp      6 "`,
}

// Detect returns the format of the stream whose first line is line.
func Detect(line []byte) (Format, error) {
	name, rest, _ := bytes.Cut(line, []byte(" "))
	switch {
	case string(name) == "ipv4" || string(name) == "ipv6":
		return Proc, nil
	case len(name) > 0 && isNameThenNumber(name, rest):
		return IPLegacy, nil
	}
	return Auto, &DetectError{Considered: []Format{Proc, IPLegacy}}
}

// isNameThenNumber reports whether a line starts with a protocol name and
// number: name is lowercase letters and digits, rest spaces, then a digit.
func isNameThenNumber(name, rest []byte) bool {
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	rest = bytes.TrimLeft(rest, " ")
	return len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9'
}
