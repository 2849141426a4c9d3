package format

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// Captures pasted into tickets, chats and mails keep the producer's tokens
// but not its blanks: indentation added, runs of spaces collapsed or
// widened, TABs for spaces, trailing blanks. A parser reads the producer's
// exact bytes first; only when that fails does it lay the line out again as
// the producer prints it, here, and parse that. Canonical input never comes
// here, and a record read from a relaid line is the record of the producer's
// own line, which is what it prints back.

// blankAt returns the length of the blank of a pasted line that starts
// line[i:], 0 if there is none: a space or a TAB, or a space of Unicode
// (category Zs) in UTF-8, as web pages turn runs of spaces into no-break
// spaces (U+00A0) and CJK documents use U+3000.
func blankAt(line []byte, i int) int {
	switch c := line[i]; {
	case c == ' ' || c == '\t':
		return 1
	case c < 0xc2:
		return 0
	}
	r, n := utf8.DecodeRune(line[i:])
	if r != utf8.RuneError && unicode.Is(unicode.Zs, r) {
		return n
	}
	return 0
}

// layout is a line laid out again: nbuf, with the column in the line given
// of each of its bytes in cols (and one more, for the end), made from the
// line's tokens, toks.
type layout struct {
	nbuf []byte
	cols []int32
	toks [][2]int32
	src  []byte // the line given, while nbuf is parsed in its place
}

// relayout lays out line, a record of format fm, as its producer prints it,
// into l. Tokens are kept as they are; only the blanks between them
// change. It reports false when the result is line itself, which then needs
// no second parse.
func (l *layout) relayout(fm Format, line []byte) bool {
	toks := l.tokens(line)
	if len(toks) == 0 {
		return false
	}
	tok := func(k int) []byte { return line[toks[k][0]:toks[k][1]] }
	k := 0
	lib := fm == Conntrack || fm == ConntrackExpect
	if lib && len(toks) > 0 {
		// The event time, "[SECONDS.MICROS]" and a TAB; conntrack pads
		// left-aligned microseconds with spaces, which may have become one.
		if t := tok(0); len(t) > 1 && t[0] == '[' && t[1] >= '0' && t[1] <= '9' {
			end := 1
			if dot := bytes.IndexByte(t, '.'); t[len(t)-1] != ']' && dot >= 0 && len(t)-dot-1 < 6 && len(toks) > 1 && string(tok(1)) == "]" {
				end = 2 // "[1712662404.5732 ]": spaced microseconds, fewer than 6 digits
			}
			l.emit(line, toks[0][0], toks[0][1])
			if end == 2 {
				for n := len(t) - bytes.IndexByte(t, '.') - 1; n < 6; n++ {
					l.pad(toks[0][1], ' ')
				}
				l.emit(line, toks[1][0], toks[1][1])
			}
			if end < len(toks) {
				l.pad(toks[end-1][1], '\t')
			}
			k = end
		}
		// The event type, right-aligned in 9 columns.
		if k < len(toks) {
			switch string(tok(k)) {
			case "[NEW]", "[UPDATE]", "[DESTROY]":
				for n := len(tok(k)); n < 9; n++ {
					l.pad(toks[k][0], ' ')
				}
				l.emit(line, toks[k][0], toks[k][1])
				if k++; k < len(toks) {
					l.pad(toks[k-1][1], ' ')
				}
			}
		}
	}
	// The "%-8s %u " columns of the family and the protocol.
	pairs := 0
	if d := fm.dialect(); d != nil {
		pairs = 2
		if d.l3 == l3Never {
			pairs = 1
		}
	}
	for ; pairs > 0 && k+1 < len(toks) && isName(tok(k)) && isDigits(tok(k+1)); pairs-- {
		l.emit(line, toks[k][0], toks[k][1])
		for n := len(tok(k)); n < 8; n++ {
			l.pad(toks[k][1], ' ')
		}
		l.pad(toks[k][1], ' ')
		l.emit(line, toks[k+1][0], toks[k+1][1])
		if k += 2; k < len(toks) {
			l.pad(toks[k-1][1], ' ')
		}
	}
	for ; k < len(toks); k++ {
		l.emit(line, toks[k][0], toks[k][1])
		if k+1 == len(toks) {
			break
		}
		l.pad(toks[k][1], ' ')
		// ctime pads a day of one digit with a space: "[start=Sun Nov  5".
		if k > 0 && lib && (kStart.match(tok(k-1)) || kStop.match(tok(k-1))) &&
			len(tok(k+1)) == 1 && isDigits(tok(k+1)) {
			l.pad(toks[k][1], ' ')
		}
	}
	last := tok(len(toks) - 1)
	switch {
	case fm == ProcExpect && bytes.IndexByte(last, '=') >= 0:
		// The kernel ends the tuple with a space, and the line with it
		// where no flags and no helper follow.
		l.pad(toks[len(toks)-1][1], ' ')
	case fm == IPLegacy && legacyUseMark(line, toks):
		// use= before mark= is of 2.4 kernels, which end every line with a
		// space; a pasted trailing blank is not taken for one.
		l.pad(toks[len(toks)-1][1], ' ')
	}
	l.cols = append(l.cols, toks[len(toks)-1][1])
	return !bytes.Equal(l.nbuf, line)
}

// tokens starts a new layout of line: it empties l, and returns the start
// and end of each token of line in l.toks.
func (l *layout) tokens(line []byte) [][2]int32 {
	l.nbuf, l.cols = l.nbuf[:0], l.cols[:0]
	toks := l.toks[:0]
	for i := 0; i < len(line); {
		for n := 1; i < len(line) && n > 0; i += n {
			n = blankAt(line, i)
		}
		start := i
		for i < len(line) && blankAt(line, i) == 0 {
			i++
		}
		if i > start {
			toks = append(toks, [2]int32{int32(start), int32(i)})
		}
	}
	l.toks = toks
	return toks
}

// emit copies line[start:end] to the relaid line.
func (l *layout) emit(line []byte, start, end int32) {
	l.nbuf = append(l.nbuf, line[start:end]...)
	for i := start; i < end; i++ {
		l.cols = append(l.cols, i)
	}
}

// pad adds the blank c to the relaid line, at column col of the original.
func (l *layout) pad(col int32, c byte) {
	l.nbuf = append(l.nbuf, c)
	l.cols = append(l.cols, col)
}

// isName reports whether t can be the name of a "%-8s %u " column: a
// lowercase word.
func isName(t []byte) bool {
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return t[0] >= 'a' && t[0] <= 'z'
}

func isDigits(t []byte) bool {
	for _, c := range t {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(t) > 0
}

// legacyUseMark reports whether the tokens end with use= then mark=, as
// late 2.4 kernels print them.
func legacyUseMark(line []byte, toks [][2]int32) bool {
	n := len(toks)
	return n >= 2 && kUse.match(line[toks[n-2][0]:toks[n-2][1]]) && kMark.match(line[toks[n-1][0]:toks[n-1][1]])
}
