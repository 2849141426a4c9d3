package format

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Every error of a parser is a *ParseError that wraps one of
// them, so callers can test the kind with errors.Is and get the position
// with errors.As; the other errors of the package wrap one too.
var (
	ErrSyntax      = errors.New("format: syntax error")                            // a token is not what the grammar allows here
	ErrRange       = errors.New("format: value out of range")                      // a number does not fit its field
	ErrAddress     = errors.New("format: malformed address")                       // an address is not in the printer's form
	ErrUnknownName = errors.New("format: unknown name")                            // a name of a protocol, state, format, option... that does not exist
	ErrUnknownKey  = errors.New("format: unknown field")                           // a well-formed field the parser does not know (strict mode)
	ErrDuplicate   = errors.New("format: duplicate field")                         // a field that occurs once occurs again
	ErrOrder       = errors.New("format: field out of order")                      // a known field in a place the format never prints it
	ErrMissing     = errors.New("format: missing field")                           // a field the format always prints is absent
	ErrMismatch    = errors.New("format: contradictory fields")                    // fields that contradict each other
	ErrLineTooLong = errors.New("format: line too long")                           // a line exceeds the scanner's bound
	ErrNoRecord    = errors.New("format: not a record")                            // a header or footer line of a document
	ErrNoFormat    = errors.New("format: no format fits the input")                // Detect, or a Scanner given Auto, found none
	ErrUnprintable = errors.New("format: record cannot be printed in this format") // a printer refuses the record: the error says why
)

// ParseError describes a line that a parser rejected: where, in which field,
// and what was expected.
type ParseError struct {
	File  string // the input's name; "" when unknown
	Line  int    // 1-based line number; 0 when unknown
	Col   int    // 1-based byte column of the offending bytes
	Len   int    // number of offending bytes, at least 1
	Field string // the field being parsed, as the format names it ("sport", "reply tuple")
	Msg   string // what is wrong, and what was expected
	Err   error  // one of the sentinel errors
	Text  string // the line, for rendering with Underline

	// joined is the lines of a record joined from several, which place
	// wrote at the end of Msg, from at on, and shift moves.
	joined struct{ at, from, to int }
}

// Error formats e as "FILE:LINE:COL: FIELD: MSG", leaving out what is unknown.
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
	}
	if e.Col > 0 {
		b.WriteString(strconv.Itoa(e.Col))
		b.WriteByte(':')
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	if e.Msg != "" {
		b.WriteString(e.Msg)
	} else if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the sentinel error.
func (e *ParseError) Unwrap() error { return e.Err }

// Underline returns the offending line and, below it, a line that marks
// the offending bytes with carets. Bytes that are not printable ASCII are
// shown as \xNN, and the carets follow them. Of a line longer than
// excerpt bytes, it shows the excerpt around the offending bytes, with "…"
// where it cuts the line; offending bytes past the end of Text, as those of
// a line too long to read, whose start Text holds, are marked under the "…"
// that follows it.
func (e *ParseError) Underline() string {
	text := e.Text
	start := max(e.Col-1, 0)
	end := start + max(e.Len, 1)
	cut := start > len(text) // Text is the start of a longer line
	from, to := 0, len(text)
	if to > excerpt {
		from = min(max(start-excerpt/2, 0), len(text)-excerpt)
		to = from + excerpt
	}
	var top, bot strings.Builder
	if from > 0 {
		top.WriteString("…")
		bot.WriteByte(' ')
	}
	for i := from; i < to && i < end; i++ {
		bot.WriteString(marks(visible(text[i]), i >= start))
	}
	for i := from; i < to; i++ {
		top.WriteString(visible(text[i]))
	}
	switch {
	case cut || to < len(text):
		top.WriteString("…")
		if end > to {
			bot.WriteByte('^')
		}
	default: // past the end of the line: room for the carets
		for i := len(text); i < end; i++ {
			bot.WriteString(marks(" ", i >= start))
		}
	}
	return top.String() + "\n" + bot.String()
}

// excerpt is the most of a line Underline shows, in bytes: more than the
// longest lines the kernel and conntrack print in practice, and few enough
// that a damaged input of long lines does not flood a terminal.
const excerpt = 512

// marks returns what goes under shown, a byte as visible shows it: carets
// if it is offending, else blanks that keep the columns (tabs under tabs).
func marks(shown string, offending bool) string {
	if offending {
		return strings.Repeat("^", len(shown))
	}
	if shown == "\t" {
		return shown
	}
	return strings.Repeat(" ", len(shown))
}

// visible returns c as it is shown in Underline.
func visible(c byte) string {
	const hex = "0123456789abcdef"
	if c == '\t' || c >= 0x20 && c < 0x7f {
		return string(rune(c))
	}
	return `\x` + string(hex[c>>4]) + string(hex[c&15])
}

// A printError says why a record cannot be printed in a format. It wraps
// ErrUnprintable.
type printError struct {
	Format Format
	Msg    string
}

func (e *printError) Error() string {
	return "cannot print as " + e.Format.String() + ": " + e.Msg
}

func (e *printError) Unwrap() error { return ErrUnprintable }

// joinedNote is what place adds to the message of an error in a record
// joined from lines from to to: " (in a record joined from lines 3 to 5)".
func joinedNote(from, to int) string {
	return " (in a record joined from lines " + strconv.Itoa(from) + " to " + strconv.Itoa(to) + ")"
}

// shift moves e, of a chunk whose lines a parallel scan counted from its
// start, on by off lines: its line, and the lines its message names.
func (e *ParseError) shift(off int) {
	if off == 0 || e.Line == 0 {
		return
	}
	e.Line += off
	if j := &e.joined; j.to > 0 {
		j.from, j.to = j.from+off, j.to+off
		e.Msg = e.Msg[:j.at] + joinedNote(j.from, j.to)
	}
}
