package format

import (
	"bytes"
	"errors"
	"io"
	"time"
)

// DefaultMaxLine is the longest line a Scanner accepts unless told
// otherwise. conntrack cuts its lines at 4095 bytes and the kernel's longest
// lines, with a long security context, stay well below this.
const DefaultMaxLine = 64 << 10

const readSize = 64 << 10

// Scanner reads flows from a stream, one line at a time, into a Flow that
// the caller reuses:
//
//	sc, err := format.NewScanner(r, format.Auto)
//	...
//	var f format.Flow
//	for sc.Scan(&f) {
//		// use f
//	}
//	if err := sc.Err(); err != nil { ... }
//
// A Scanner stops at the first bad line unless WithSkip tells it to skip
// bad lines. Its memory is bounded by the longest line it accepts plus a
// 64 KiB read buffer, and its results do not depend on how the reader
// splits the stream.
type Scanner struct {
	r       io.Reader
	format  Format
	name    string
	skip    func(*ParseError)
	skipOn  bool
	maxLine int

	buf        []byte
	start, end int // unread bytes are buf[start:end]
	eof        bool
	line       []byte
	long       int // the length of the last line too long to read
	lineNo     int
	err        error
	ps         Parser
	dec        Decoder
	skipped    int
	unknown    int
	messages   int
	blank      int
	cr         bool   // the last line ended with CR LF
	footer     bool   // an XML document's footer was read
	join       []byte // a record cut in two by a message of conntrack
	xw         xmlWindow
	normalized int
}

// A ScanOption configures a Scanner.
type ScanOption func(*Scanner) error

// WithName sets the input's name that errors report, usually a file name.
func WithName(name string) ScanOption {
	return func(s *Scanner) error { s.name = name; return nil }
}

// WithStrict makes the Scanner reject a line with a token it does not know,
// instead of keeping the token in Flow.Extras.
func WithStrict() ScanOption {
	return func(s *Scanner) error { s.ps.Strict = true; return nil }
}

// WithLocation sets the time zone of the local times conntrack prints
// ([start=...], XML's <when>). The default is time.Local.
func WithLocation(loc *time.Location) ScanOption {
	return func(s *Scanner) error { s.ps.Location = loc; return nil }
}

// WithSkip makes the Scanner skip bad lines instead of stopping at the
// first. It calls fn, if not nil, with the error of each line it skips.
func WithSkip(fn func(*ParseError)) ScanOption {
	return func(s *Scanner) error { s.skipOn, s.skip = true, fn; return nil }
}

// A Decoder decodes the records of a line-based encoding that is not one of
// this package's formats, such as JSON Lines (see package codec).
type Decoder interface {
	DecodeFlow(line []byte, f *Flow) error
	DecodeExpect(line []byte, e *Expect) error
}

// WithDecoder makes the Scanner decode each line with d instead of a
// format's parser: Scan reads flows, ScanExpect expectations. d's errors
// should be *ParseError, which the Scanner gives the line's position.
func WithDecoder(d Decoder) ScanOption {
	return func(s *Scanner) error { s.dec = d; return nil }
}

// WithMaxLine sets the longest line, in bytes without its newline, that the
// Scanner accepts; longer lines are errors wrapping ErrLineTooLong. The
// default is DefaultMaxLine.
func WithMaxLine(n int) ScanOption {
	return func(s *Scanner) error {
		if n < 1 || n > 1<<30 {
			return errors.New("format: WithMaxLine: want 1 to 2^30 bytes")
		}
		s.maxLine = n
		return nil
	}
}

// NewScanner returns a Scanner that reads flows of format f from r. Given
// Auto, it detects the format from the first line.
func NewScanner(r io.Reader, f Format, opts ...ScanOption) (*Scanner, error) {
	if f != Auto && !f.parses() {
		return nil, errors.New("format: NewScanner: cannot parse format " + f.String())
	}
	s := &Scanner{r: r, format: f, maxLine: DefaultMaxLine}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Scan reads the next flow into f. It returns false at the end of the input
// or at an error, which Err then returns.
func (s *Scanner) Scan(f *Flow) bool {
	line, ok := s.next(false)
	for ok {
		perr := s.lineErr(line)
		if perr == nil {
			var err error
			if s.dec != nil {
				err = s.dec.DecodeFlow(line, f)
			} else {
				s.ps.Format = s.format
				err = s.ps.Parse(line, f)
			}
			if err != nil {
				perr = asParseError(err, line)
				if s.xmlTolerant() {
					var got bool
					if got, perr = s.xmlScan(line, f, nil); !got && perr == nil {
						line, ok = s.next(false)
						continue
					}
				}
			} else if s.ps.rewritten {
				s.ps.rewritten = false
				s.normalized++
			}
			if perr == nil {
				if s.cr && s.dec == nil {
					f.Quirks |= QuirkCRLF
				}
				if f.Extras.s != "" {
					s.unknown += f.Extras.Len()
				}
			}
		}
		if perr == nil {
			return true
		}
		if !s.bad(perr) {
			return false
		}
		line, ok = s.next(false)
	}
	return false
}

// ScanExpect reads the next expectation into e, from a stream of one of the
// expectation formats; see Scan.
func (s *Scanner) ScanExpect(e *Expect) bool {
	line, ok := s.next(true)
	for ok {
		perr := s.lineErr(line)
		if perr == nil {
			var err error
			if s.dec != nil {
				err = s.dec.DecodeExpect(line, e)
			} else {
				s.ps.Format = s.format
				err = s.ps.ParseExpect(line, e)
			}
			if err != nil {
				perr = asParseError(err, line)
				if s.xmlTolerant() {
					var got bool
					if got, perr = s.xmlScan(line, nil, e); !got && perr == nil {
						line, ok = s.next(true)
						continue
					}
				}
			} else if s.ps.rewritten {
				s.ps.rewritten = false
				s.normalized++
			}
			if perr == nil && s.cr && s.dec == nil {
				e.Quirks |= QuirkCRLF
			}
		}
		if perr == nil {
			return true
		}
		if !s.bad(perr) {
			return false
		}
		line, ok = s.next(true)
	}
	return false
}

// next returns the next line that may hold a record: it skips the framing
// of XML documents and conntrack's stderr messages, and joins a record that
// such a message cut in two. A nil line is one that was too long.
func (s *Scanner) next(expect bool) ([]byte, bool) {
	if s.format == Auto && s.dec == nil && !s.detect() {
		return nil, false
	}
	if s.err == nil && s.format != Auto && s.format.Expectations() != expect {
		what := "flows"
		if s.format.Expectations() {
			what = "expectations"
		}
		s.err = errors.New("format: the input (" + s.format.String() + ") holds " + what + "; read it with Scan for flows, ScanExpect for expectations")
	}
	for s.err == nil {
		if len(s.xw.src) > 0 { // a line shared by XML records
			if rest, ok := s.xmlRest(); ok {
				return rest, true
			}
		}
		line, err := s.readLine()
		if err != nil {
			if err != io.EOF {
				s.err = err
			}
			return nil, false
		}
		s.lineNo++
		// Windows line ends, as in captures pasted into documents, are read;
		// CR() and QuirkCRLF tell the caller.
		if s.cr = len(line) > 0 && line[len(line)-1] == '\r'; s.cr {
			line = line[:len(line)-1]
		}
		if line != nil && blank(line) {
			s.blank++ // a table pasted with an empty line around it
			continue
		}
		if root := s.format.root(); line != nil && root != "" {
			if framing, footer := xmlFraming(line, root); framing {
				s.footer = s.footer || footer
				continue
			}
		}
		if line != nil && s.format.byConntrack() {
			if i := conntrackMessage(line); i == 0 {
				s.messages++
				continue
			} else if i > 0 {
				// conntrack's stderr cut a record: the rest is on the next line.
				s.messages++
				s.join = append(s.join[:0], line[:i]...)
				if next, err := s.readLine(); err == nil && next != nil {
					s.lineNo++
					s.cr = len(next) > 0 && next[len(next)-1] == '\r' // the record ends here
					line = append(s.join, bytes.TrimSuffix(next, []byte("\r"))...)
				}
			}
		}
		return line, true
	}
	return nil, false
}

// blank reports whether line holds nothing but spaces and tabs.
func blank(line []byte) bool { return len(bytes.Trim(line, " \t")) == 0 }

// asParseError returns err as a *ParseError, wrapping an error of another
// kind from a Decoder.
func asParseError(err error, line []byte) *ParseError {
	if pe, ok := err.(*ParseError); ok {
		return pe
	}
	return &ParseError{Col: 1, Len: len(line), Err: err, Msg: err.Error(), Text: string(line)}
}

// lineErr returns the error of a line too long to read, nil otherwise.
func (s *Scanner) lineErr(line []byte) *ParseError {
	if line != nil {
		return nil
	}
	return &ParseError{Col: s.maxLine + 1, Err: ErrLineTooLong,
		Msg:  "line longer than " + itoa(uint64(s.maxLine)) + " bytes (" + itoa(uint64(s.long)) + ")",
		Text: string(s.line)}
}

// bad handles the error of a line: it reports whether scanning goes on.
func (s *Scanner) bad(perr *ParseError) bool {
	perr.File = s.name
	if perr.Line == 0 { // XML records spanning lines say which
		perr.Line = s.lineNo
	}
	if !s.skipOn {
		s.err = perr
		return false
	}
	s.skipped++
	if s.skip != nil {
		s.skip(perr)
	}
	return true
}

// detect reads until the buffer holds the lines Detect looks at, or the end
// of the input, and detects the format from them.
func (s *Scanner) detect() bool {
	// Wait for as many lines as Detect looks at, so that the answer does not
	// depend on how the reader splits the stream.
	for !s.eof && detectable(s.buf[s.start:s.end]) < detectLines && s.end-s.start < detectBytes {
		if err := s.fill(); err != nil {
			s.err = err
			return false
		}
	}
	prefix := s.buf[s.start:min(s.end, s.start+detectBytes)]
	if i := bytes.LastIndexByte(prefix, '\n'); i >= 0 && (!s.eof || len(prefix) < s.end-s.start) {
		prefix = prefix[:i+1] // whole lines; else the start of a long first line
	}
	if len(prefix) == 0 {
		return true // empty input
	}
	f, err := Detect(prefix)
	if err != nil {
		first, _, _ := bytes.Cut(prefix, []byte("\n"))
		s.err = &ParseError{File: s.name, Line: 1, Col: 1, Len: len(first), Err: err, Msg: err.Error(), Text: string(first)}
		return false
	}
	s.format = f
	return true
}

// readLine returns the next line without its newline. A line longer than
// maxLine is returned as nil, with its first bytes in s.line and its length
// in s.long, and the rest of it is skipped.
func (s *Scanner) readLine() ([]byte, error) {
	tooLong := false
	for {
		if i := bytes.IndexByte(s.buf[s.start:s.end], '\n'); i >= 0 {
			line := s.buf[s.start : s.start+i]
			s.start += i + 1
			if tooLong {
				s.long += len(line)
				return nil, nil
			}
			if len(line) > s.maxLine {
				s.line, s.long = line[:min(len(line), 256)], len(line)
				return nil, nil
			}
			s.line = line
			return line, nil
		}
		if s.eof {
			if s.start == s.end {
				if tooLong {
					return nil, nil
				}
				return nil, io.EOF
			}
			line := s.buf[s.start:s.end] // the last line has no newline
			s.start = s.end
			if tooLong {
				s.long += len(line)
				return nil, nil
			}
			if len(line) > s.maxLine {
				s.line, s.long = line[:min(len(line), 256)], len(line)
				return nil, nil
			}
			s.line = line
			return line, nil
		}
		if s.end-s.start > s.maxLine {
			// Too long: keep the start for the error, drop the rest.
			if !tooLong {
				s.line = append(s.line[:0:0], s.buf[s.start:s.start+256]...)
				tooLong, s.long = true, 0
			}
			s.long += s.end - s.start
			s.start, s.end = 0, 0
		}
		if err := s.fill(); err != nil {
			return nil, err
		}
	}
}

// fill reads more input into the buffer.
func (s *Scanner) fill() error {
	if s.start > 0 {
		s.end = copy(s.buf, s.buf[s.start:s.end])
		s.start = 0
	}
	if want := s.end + readSize; want > len(s.buf) {
		nb := make([]byte, max(want, min(2*len(s.buf), s.maxLine+1+readSize)))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for range 100 {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err == io.EOF {
			s.eof = true
			return nil
		}
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
	return io.ErrNoProgress
}

// Err returns the error that stopped the Scanner, nil at a clean end. With
// WithSkip, bad lines do not stop it; Skipped counts them.
func (s *Scanner) Err() error { return s.err }

// Detect detects the input's format, if the Scanner was given Auto, from
// its first lines, and returns it. Scan and ScanExpect detect it on their
// first call; Detect tells beforehand which of them to call.
func (s *Scanner) Detect() (Format, error) {
	if s.format == Auto && s.dec == nil && s.err == nil {
		s.detect()
	}
	return s.format, s.err
}

// Format returns the format being read; with Auto, the one detected, once
// the first line has been read.
func (s *Scanner) Format() Format { return s.format }

// Options returns conntrack's -o options that the lines read so far show; a
// Printer with them prints the lines as they were.
func (s *Scanner) Options() Options { return s.ps.Options() }

// Line returns the number of the line Scan read last.
func (s *Scanner) Line() int { return s.lineNo }

// Bytes returns the line Scan read last, without its newline. It is valid
// until the next call of Scan.
func (s *Scanner) Bytes() []byte { return s.line }

// Skipped returns the number of bad lines skipped (see WithSkip).
func (s *Scanner) Skipped() int { return s.skipped }

// CR reports whether the line Scan read last ended with CR LF, as lines of
// captures pasted into Windows documents do. The CR is not part of the
// line that was parsed; the record read from a line of text has QuirkCRLF,
// so that a Writer ends its line the same. A Decoder's records have the
// quirks the Decoder gives them: a JSON line's end is not the text's.
func (s *Scanner) CR() bool { return s.cr }

// Footer reports whether the input, an XML document, had its footer
// (</conntrack>), which conntrack -E prints only when it is interrupted.
func (s *Scanner) Footer() bool { return s.footer }

// Messages returns the number of conntrack's stderr messages ("N flow
// entries have been shown.") met and skipped in the input.
func (s *Scanner) Messages() int { return s.messages }

// Unknown returns the number of tokens kept in Flow.Extras so far.
func (s *Scanner) Unknown() int { return s.unknown }

// Blank returns the number of blank lines skipped: empty, or of spaces and
// tabs only. They hold no record, and printing the records leaves them out.
func (s *Scanner) Blank() int { return s.blank }
