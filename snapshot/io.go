package snapshot

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
)

// Encoding is a way records are written down: one of package format's text
// formats, JSON Lines, a snapshot file, or an encoding of another package
// (External).
type Encoding struct {
	kind encKind
	text format.Format
	name string // an external encoding's
}

type encKind uint8

const (
	kindText encKind = iota
	kindJSON
	kindFile
	kindExternal
)

// The encodings beyond the text formats.
var (
	JSON = Encoding{kind: kindJSON}
	File = Encoding{kind: kindFile}
)

// External returns the encoding named name that package snapshot neither
// reads nor writes itself, such as Parquet, whose package depends on this
// one: its records come in through FromSource, and go out through
// NewSinkOutput.
func External(name string) Encoding { return Encoding{kind: kindExternal, name: name} }

// Text returns the encoding of text format f; Text(format.Auto) detects
// the encoding of an input.
func Text(f format.Format) Encoding { return Encoding{text: f} }

// ParseEncoding returns the encoding named name: "auto", a text format's
// name, "json" or "snapshot".
func ParseEncoding(name string) (Encoding, error) {
	switch name {
	case "json":
		return JSON, nil
	case "snapshot":
		return File, nil
	}
	var f format.Format
	if err := f.UnmarshalText([]byte(name)); err != nil || f.String() != name {
		return Encoding{}, errors.New("unknown format " + strconv.Quote(name) + " (want one of " + formatList() + ", json, snapshot)")
	}
	return Text(f), nil
}

// formatList lists the names of the text formats, Auto first.
func formatList() string {
	names := []string{format.Auto.String()}
	for _, f := range format.Formats() {
		names = append(names, f.String())
	}
	return strings.Join(names, ", ")
}

// String returns the encoding's name, as ParseEncoding takes it.
func (e Encoding) String() string {
	switch e.kind {
	case kindJSON:
		return "json"
	case kindFile:
		return "snapshot"
	case kindExternal:
		return e.name
	}
	return e.text.String()
}

// Format returns the text format of e, and whether e is one.
func (e Encoding) Format() (format.Format, bool) { return e.text, e.kind == kindText }

// IsAuto reports whether e is Text(format.Auto).
func (e Encoding) IsAuto() bool { return e.kind == kindText && e.text == format.Auto }

// Input is a capture opened for reading: text of any format, JSON Lines, a
// snapshot file, or another Source of flows. Its methods answer alike
// whatever it reads: an input without lines has no line numbers, an
// input that is not a snapshot file no header.
type Input struct {
	r           records // what reads the records; nil in an Input that Open or FromSource did not make
	enc         Encoding
	expect      bool
	stats       bool
	compression string
	closers     []func()
	netns       string // SetNetns's
	idle        func() // what the Scanner of text or JSON calls where the input paused (format.WithIdle)
}

// Open opens a capture for reading. A capture compressed with gzip, zstd
// or bzip2 is decompressed as it is read, whatever the encoding; zstd with
// a window of up to MaxZstdWindow. One compressed with xz or lz4, or in a
// zip archive, is a *CompressionError. Text in UTF-16 with a byte-order
// mark, as Windows PowerShell 5 saves a command's output, is read as
// UTF-8. Given Text(format.Auto), Open detects the encoding from the first
// bytes, and a text format from the first lines. A text input is read
// with text's Location and Strict (its format is from's); the scan options
// apply to text and JSON inputs. Close releases what the Input holds.
func Open(r io.Reader, from Encoding, text format.Dialect, opts ...format.ScanOption) (*Input, error) {
	// A file (ReadAt, Seek, Size: *io.SectionReader) is peeked at where it
	// is, and its text given to the Scanner as it is, for a parallel scan's
	// workers to read their chunks themselves.
	f, isFile := r.(file)
	var br *bufio.Reader
	if isFile {
		pos, err := f.Seek(0, io.SeekCurrent)
		if isFile = err == nil; isFile {
			br = bufio.NewReaderSize(io.NewSectionReader(f, pos, f.Size()-pos), 64<<10)
		}
	}
	if !isFile {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	in := &Input{}
	b, _ := br.Peek(6)
	for _, c := range compressions {
		if !c.is(b) {
			continue
		}
		if c.open == nil {
			return nil, &CompressionError{Compression: c.name, Command: c.command}
		}
		zr, closer, err := c.open(br)
		if err != nil {
			return nil, decompressor{name: c.name}.named(err)
		}
		in.compression = c.name
		if closer != nil {
			in.closers = append(in.closers, closer)
		}
		br = bufio.NewReaderSize(decompressor{zr, c.name}, 64<<10)
		break
	}
	b, _ = br.Peek(2)
	order, utf16 := utf16Order(b)
	if utf16 {
		br = bufio.NewReaderSize(&utf16Reader{r: br, order: order}, 64<<10)
	}
	if from.IsAuto() {
		from = sniff(br)
	}
	in.enc = from
	var err error
	switch from.kind {
	case kindFile:
		var r *Reader
		if r, err = NewReader(br); err != nil {
			break
		}
		in.r = fileRecords{r}
		in.expect, in.stats = r.h.Expectations, r.h.Stats
	case kindJSON:
		in.expect = jsonExpectations(br)
		in.stats = jsonStats(br)
		// JSON spells a record out at length: a line of text the default
		// bound takes makes a JSON line of up to some 9 times its length.
		// A caller's WithMaxLine, after this one, overrides it.
		lr := &lineRecords{}
		var dec interface {
			DecodeFlow([]byte, *format.Flow) error
			DecodeExpect([]byte, *format.Expect) error
		} = &codec.JSONDecoder{}
		if in.stats {
			lr.statsDec = &statsDecoder{}
			dec = lr.statsDec
		}
		jsonOpts := append([]format.ScanOption{format.WithMaxLine(MaxJSONLine), format.WithDecoder(dec.DecodeFlow, dec.DecodeExpect), format.WithIdle(in.idled)}, opts...)
		if lr.sc, err = format.NewScanner(br, format.Dialect{Format: format.Auto, Strict: text.Strict}, jsonOpts...); err == nil {
			in.r = lr
		}
	default:
		var sc *format.Scanner
		text.Format = from.text
		var tr io.Reader = br
		if isFile && in.compression == "" && !utf16 { // br reads the file's own bytes
			tr = r
		}
		if sc, err = format.NewScanner(tr, text, append([]format.ScanOption{format.WithIdle(in.idled)}, opts...)...); err != nil {
			break
		}
		in.r = &lineRecords{sc: sc}
		var f format.Format
		if f, err = sc.Detect(); err == nil {
			in.enc, in.expect, in.stats = Text(f), f.Expectations(), f.Statistics()
		}
	}
	if err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

// idled runs in.idle, if set: the input paused after the records read.
func (in *Input) idled() {
	if in.idle != nil {
		in.idle()
	}
}

// A file is an input that can be read where it is.
type file interface {
	io.ReaderAt
	io.Seeker
	Size() int64
}

// Source is a source of flows that is neither text nor a snapshot file,
// such as the kernel's table read over netlink.
type Source interface {
	// Flows returns an iterator over the flows, as Input.Flows does: an
	// error other than a *format.ParseError ends them.
	Flows() iter.Seq2[*format.Flow, error]
	// Close releases the source.
	Close() error
}

// KindSource is a Source that may hold expectations or the table's
// counters instead of flows, as a Parquet file does: Expectations and
// Statistics say which it holds, and Expects or Stats read them.
type KindSource interface {
	Source
	Expectations() bool
	Statistics() bool
	Expects() iter.Seq2[*format.Expect, error]
	Stats() iter.Seq2[*format.Stats, error]
}

// FromSource returns an Input of the records of src, which print by
// default in encoding enc: flows, or what a KindSource says it holds. A
// Source with a method Header() (Header, bool) gives the Input a header,
// as a snapshot file has one (Input.Header): a Parquet file's says the
// capture's host, time, source and options.
func FromSource(src Source, enc Encoding) *Input {
	in := &Input{enc: enc, r: sourceRecords{src}}
	if k, ok := src.(KindSource); ok {
		in.expect, in.stats = k.Expectations(), k.Statistics()
	}
	return in
}

// MaxZstdWindow is the largest window of a zstd input that Open
// decompresses: 128 MiB, the most zstd -d takes without --memory or
// --long=N, and what zstd --long and --ultra -22 write. Decompressing
// such a stream takes up to its window in memory.
const MaxZstdWindow = 128 << 20

// ErrZstdWindow says that a zstd input needs a window larger than
// MaxZstdWindow: a valid input, which zstd -d --long=31 decompresses.
var ErrZstdWindow = errors.New("zstd: the input needs a window larger than 128 MiB, the most ctconv reads " +
	"(as zstd -d without --memory): decompress it first, with zstd -d --long=31")

// compressions are the compressions and archives that Open knows by an
// input's first bytes (is): those it decompresses as it reads (open, which
// returns the decompressed stream and what releases it, if anything), and
// those it names in a *CompressionError, with the command that
// decompresses them.
var compressions = []struct {
	name    string
	is      func(b []byte) bool
	open    func(r io.Reader) (io.Reader, func(), error)
	command string
}{
	{name: "gzip", is: magic("\x1f\x8b"), open: func(r io.Reader) (io.Reader, func(), error) {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { zr.Close() }, nil
	}},
	{name: "zstd", is: isZstd, open: func(r io.Reader) (io.Reader, func(), error) {
		// A stream's memory is its window, which the decoder keeps.
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(MaxZstdWindow),
			zstd.WithDecoderMaxMemory(MaxZstdWindow))
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	}},
	// bzip2's blocks are of at most 900 kB, and so is its memory.
	{name: "bzip2", is: func(b []byte) bool { return len(b) >= 4 && string(b[:3]) == "BZh" && b[3] >= '1' && b[3] <= '9' },
		open: func(r io.Reader) (io.Reader, func(), error) { return bzip2.NewReader(r), nil, nil }},
	// xz's dictionary, of the size its stream says, may take gigabytes.
	{name: "xz", is: magic("\xfd7zXZ\x00"), command: "xz -dc"},
	{name: "lz4", is: magic("\x04\x22\x4d\x18"), command: "lz4 -dc"},
	{name: "zip", is: magic("PK\x03\x04"), command: "unzip -p"},
}

// magic returns a test of whether an input starts with m.
func magic(m string) func(b []byte) bool {
	return func(b []byte) bool { return bytes.HasPrefix(b, []byte(m)) }
}

// isZstd reports whether b starts a zstd stream: a frame, or a skippable
// frame, which pzstd writes before each frame.
func isZstd(b []byte) bool {
	return len(b) >= 4 && (string(b[:4]) == "\x28\xb5\x2f\xfd" || b[0]&0xf0 == 0x50 && string(b[1:4]) == "\x2a\x4d\x18")
}

// decompressor names the compression in the errors of its reader.
type decompressor struct {
	r    io.Reader
	name string
}

func (d decompressor) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	switch {
	case err == nil || err == io.EOF:
	case errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded):
		err = ErrZstdWindow
	default:
		err = fmt.Errorf("%w (a cut or damaged file?)", d.named(err))
	}
	return n, err
}

// named prefixes err with the compression's name, unless it starts with
// it already, as gzip's ErrHeader and bzip2's errors do.
func (d decompressor) named(err error) error {
	if strings.HasPrefix(err.Error(), d.name) {
		return err
	}
	return fmt.Errorf("%s: %w", d.name, err)
}

// MaxJSONLine is the longest JSON line Open reads: 16 times
// format.DefaultMaxLine, so that every record read from text prints as JSON
// that reads back.
const MaxJSONLine = 16 * format.DefaultMaxLine

// sniff detects an input's encoding from its first bytes.
func sniff(br *bufio.Reader) Encoding {
	if b, _ := br.Peek(len(Magic)); string(b) == Magic {
		return File
	}
	// JSON Lines, or JSON that a tool laid out again: an array of objects
	// (jq -s), which no text format starts with.
	const space = "\ufeff \t\r\n"
	b := peekUntil(br, func(b []byte) bool {
		b = bytes.TrimLeft(b, space)
		return len(b) > 0 && b[0] != '[' || len(bytes.TrimLeft(b[min(len(b), 1):], space)) > 0
	})
	if b = bytes.TrimLeft(b, space); len(b) > 0 && b[0] == '{' {
		return JSON
	}
	if len(b) > 0 && b[0] == '[' {
		if b = bytes.TrimLeft(b[1:], space); len(b) > 0 && (b[0] == '{' || b[0] == ']') {
			return JSON
		}
	}
	return Text(format.Auto)
}

// peekUntil returns the bytes br holds once they are enough (enough says),
// or once it holds all it can or the input ends: it reads no more than
// it must, so that a live stream's first record is not held back.
func peekUntil(br *bufio.Reader, enough func(b []byte) bool) []byte {
	for {
		b, _ := br.Peek(br.Buffered())
		if enough(b) || len(b) == br.Size() {
			return b
		}
		if _, err := br.Peek(len(b) + 1); err != nil { // a read, at least
			b, _ = br.Peek(br.Buffered())
			return b
		}
	}
}

// firstLine returns the bytes br holds once they hold a line that is not
// blank, or all it can, or the input ends.
func firstLine(br *bufio.Reader) []byte {
	return peekUntil(br, func(b []byte) bool {
		line, _, ok := bytes.Cut(bytes.TrimLeft(b, " \t\r\n"), []byte("\n"))
		return ok && len(line) > 0
	})
}

// jsonExpectations reports whether JSON Lines hold expectations: their
// objects have a "tuple", where flows have "tuple-orig".
func jsonExpectations(br *bufio.Reader) bool {
	b := firstLine(br)
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return bytes.Contains(line, []byte(`"tuple":`)) && !bytes.Contains(line, []byte(`"tuple-orig":`))
}

// jsonStats reports whether JSON Lines hold the table's counters: their
// objects start with "cpu" (codec.AppendJSONStats).
func jsonStats(br *bufio.Reader) bool {
	b := firstLine(br)
	line, _, _ := bytes.Cut(bytes.TrimLeft(b, " \t\r\n"), []byte("\n"))
	line = bytes.TrimLeft(bytes.TrimPrefix(line, []byte("{")), " \t")
	return bytes.HasPrefix(line, []byte(`"cpu":`)) || bytes.HasPrefix(line, []byte(`"cpu" `))
}

// statsDecoder lets a format.Scanner read JSON Lines of counters, with
// its line numbers, bounds and options: each line it is given as a flow's
// decodes into the decoder's record of counters, and the flow stays empty.
type statsDecoder struct {
	codec.JSONDecoder
	s format.Stats
}

func (d *statsDecoder) DecodeFlow(line []byte, _ *format.Flow) error {
	return d.DecodeStats(line, &d.s)
}

func (d *statsDecoder) DecodeExpect(line []byte, _ *format.Expect) error {
	return d.DecodeStats(line, &d.s)
}

// records reads the records of one kind of input, and tells what it
// knows of them besides: text and JSON Lines (lineRecords), a snapshot
// file (fileRecords), a Source (sourceRecords).
type records interface {
	flows() iter.Seq2[*format.Flow, error]
	eachFlow(each func(int, []format.Flow)) iter.Seq[error]
	workers() int
	expects() iter.Seq2[*format.Expect, error]
	stats() iter.Seq2[*format.Stats, error]
	close()
	// position returns the conntrack options shown up to the last record
	// read, and the number of its line: 0 without lines.
	position() (format.Options, int)
	counts() LineCounts
	footer() bool
	header() (Header, bool)
	carried() []format.Stats
	gaps() []Gap
}

// lineRecords reads text and JSON Lines through a format.Scanner.
type lineRecords struct {
	sc       *format.Scanner
	statsDec *statsDecoder // JSON Lines of counters
}

func (r *lineRecords) flows() iter.Seq2[*format.Flow, error] { return r.sc.Flows() }
func (r *lineRecords) workers() int                          { return r.sc.Workers() }

func (r *lineRecords) eachFlow(each func(int, []format.Flow)) iter.Seq[error] {
	if r.statsDec != nil {
		return eachOf(r.flows(), each)
	}
	return r.sc.EachFlow(each)
}
func (r *lineRecords) expects() iter.Seq2[*format.Expect, error] { return r.sc.Expects() }

func (r *lineRecords) stats() iter.Seq2[*format.Stats, error] {
	if r.statsDec == nil {
		return r.sc.Stats()
	}
	return func(yield func(*format.Stats, error) bool) {
		for _, err := range r.sc.Flows() {
			s := &r.statsDec.s
			if err != nil {
				s = nil
			}
			if !yield(s, err) {
				return
			}
		}
	}
}

func (r *lineRecords) close()                          {}
func (r *lineRecords) position() (format.Options, int) { return r.sc.Dialect().Options, r.sc.Line() }
func (r *lineRecords) header() (Header, bool)          { return Header{}, false }
func (r *lineRecords) carried() []format.Stats         { return nil }
func (r *lineRecords) gaps() []Gap                     { return nil }

func (r *lineRecords) counts() LineCounts {
	return LineCounts{Unknown: r.sc.Unknown(), Normalized: r.sc.Normalized(), Others: r.sc.Others(),
		NotRecords: r.sc.NotRecords(), Blank: r.sc.Blank(), Messages: r.sc.Messages()}
}

// footer: only XML has one to lack.
func (r *lineRecords) footer() bool {
	return !r.sc.Dialect().NoFooter
}

// fileRecords reads a snapshot file.
type fileRecords struct{ r *Reader }

func (r fileRecords) flows() iter.Seq2[*format.Flow, error] { return r.r.Flows() }
func (r fileRecords) workers() int                          { return r.r.Workers() }
func (r fileRecords) eachFlow(each func(int, []format.Flow)) iter.Seq[error] {
	return r.r.EachFlow(each)
}
func (r fileRecords) eachCount(each func(int, int)) iter.Seq[error] { return r.r.EachCount(each) }
func (r fileRecords) expects() iter.Seq2[*format.Expect, error]     { return r.r.Expects() }
func (r fileRecords) stats() iter.Seq2[*format.Stats, error]        { return r.r.Stats() }
func (r fileRecords) close()                                        { r.r.Close() }
func (r fileRecords) position() (format.Options, int)               { return 0, 0 }
func (r fileRecords) counts() LineCounts                            { return LineCounts{} }
func (r fileRecords) footer() bool                                  { return r.r.h.Footer }
func (r fileRecords) header() (Header, bool)                        { return r.r.h, true }
func (r fileRecords) carried() []format.Stats                       { return r.r.CarriedStats() }
func (r fileRecords) gaps() []Gap                                   { return r.r.Gaps() }

// sourceRecords reads the records of a Source: flows, or those of a
// KindSource.
type sourceRecords struct{ src Source }

func (r sourceRecords) flows() iter.Seq2[*format.Flow, error] { return r.src.Flows() }
func (r sourceRecords) workers() int                          { return 1 }
func (r sourceRecords) eachFlow(each func(int, []format.Flow)) iter.Seq[error] {
	return eachOf(r.flows(), each)
}
func (r sourceRecords) expects() iter.Seq2[*format.Expect, error] {
	if k, ok := r.src.(KindSource); ok {
		return k.Expects()
	}
	return none[format.Expect](nil)
}

func (r sourceRecords) stats() iter.Seq2[*format.Stats, error] {
	if k, ok := r.src.(KindSource); ok {
		return k.Stats()
	}
	return none[format.Stats](nil)
}
func (r sourceRecords) close()                          { r.src.Close() }
func (r sourceRecords) position() (format.Options, int) { return 0, 0 }
func (r sourceRecords) counts() LineCounts              { return LineCounts{} }

// footer is what a Source's header says (Header.Footer), or true.
func (r sourceRecords) footer() bool {
	h, ok := r.header()
	return !ok || h.Footer
}
func (r sourceRecords) carried() []format.Stats { return nil }

// header is a Source's own, if it has one (FromSource).
func (r sourceRecords) header() (Header, bool) {
	if h, ok := r.src.(interface{ Header() (Header, bool) }); ok {
		return h.Header()
	}
	return Header{}, false
}

func (r sourceRecords) gaps() []Gap { return nil }

// unmade stands for the records of an Input that Open or FromSource did
// not make: there are none, and reading them is an error.
type unmade struct{ sourceRecords }

func (unmade) flows() iter.Seq2[*format.Flow, error] { return none[format.Flow](errNotMade) }
func (u unmade) eachFlow(each func(int, []format.Flow)) iter.Seq[error] {
	return eachOf(u.flows(), each)
}
func (unmade) expects() iter.Seq2[*format.Expect, error] { return none[format.Expect](errNotMade) }
func (unmade) stats() iter.Seq2[*format.Stats, error]    { return none[format.Stats](errNotMade) }
func (unmade) close()                                    {}

// none returns an iterator over no records, which yields err if not nil.
func none[T any](err error) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		if err != nil {
			yield(nil, err)
		}
	}
}

// eachOf hands the flows of seq to each on the caller's goroutine, as
// worker 0, a few at a time, as EachFlow does; it yields seq's errors.
func eachOf(seq iter.Seq2[*format.Flow, error], each func(int, []format.Flow)) iter.Seq[error] {
	return func(yield func(error) bool) {
		var buf [64]format.Flow
		n := 0
		for f, err := range seq {
			if err == nil {
				buf[n] = *f
				if n++; n < len(buf) {
					continue
				}
			}
			if n > 0 {
				each(0, buf[:n])
				n = 0
			}
			if err != nil && !yield(err) {
				return
			}
		}
		if n > 0 {
			each(0, buf[:n])
		}
	}
}

// records returns what reads the input's records.
func (in *Input) records() records {
	if in.r == nil {
		return unmade{}
	}
	return in.r
}

// sorted reports whether the input is a snapshot of flows in identity
// order.
func (in *Input) sorted() bool {
	h, ok := in.records().header()
	return ok && h.Sorted
}

// errNotMade is the error of an Input that Open or FromSource did not make,
// which has nothing to read.
var errNotMade = errors.New("snapshot: " + notMade)

const notMade = "an Input that Open or FromSource did not make"

// made reports whether Open or FromSource made in.
func (in *Input) made() bool { return in.r != nil }

// Encoding returns the input's encoding: as Open was given it or detected
// it, Text(format.Auto) still for an empty text input of no format given.
func (in *Input) Encoding() Encoding { return in.enc }

// Expectations reports that the records are expectations, which Expects
// reads, not flows.
func (in *Input) Expectations() bool { return in.expect }

// Statistics reports that the records are the table's counters, which
// Stats reads, not flows.
func (in *Input) Statistics() bool { return in.stats }

// Compression returns "gzip", "zstd" or "bzip2" for a compressed input,
// which Open recognised by its magic bytes, "" otherwise.
func (in *Input) Compression() string { return in.compression }

// Header returns the header of a snapshot file, and whether the input is
// one.
func (in *Input) Header() (Header, bool) { return in.records().header() }

// Netns returns the network namespace of the input's flows that name
// none: as SetNetns set it, or a snapshot's Header.Netns; "" where
// nothing says.
func (in *Input) Netns() string {
	if h, ok := in.Header(); ok && in.netns == "" {
		return h.Netns
	}
	return in.netns
}

// SetNetns says that the input's flows that name no namespace are of the
// namespace name, as a table read in that namespace is (Input.Netns).
func (in *Input) SetNetns(name string) { in.netns = name }

// Match reports whether x, if not nil, selects f, a flow of the input,
// as x.Match does, but that a flow that names no namespace is of the
// input's, where it names one (Input.Netns): a capture of namespace red
// holds no flow of blue.
func (in *Input) Match(x *format.Filter, f *format.Flow) bool {
	if x == nil {
		return true
	}
	if x.Netns != "" && f.Netns == "" {
		if ns := in.Netns(); ns != "" && ns != x.Netns {
			return false
		}
	}
	return x.Match(f)
}

// CarriedStats returns the table's counters that a snapshot file of flows
// or expectations carries (see Reader.CarriedStats); other inputs carry
// none.
func (in *Input) CarriedStats() []format.Stats { return in.records().carried() }

// Gaps returns the gaps that the records read so far have passed, of a
// snapshot of events that has them (see Reader.Gaps); other inputs have
// none.
func (in *Input) Gaps() []Gap { return in.records().gaps() }

// Options returns the conntrack options that the lines read so far show
// (format.Scanner.Options): 0 for an input without lines, a snapshot
// file, whose Header has the options of its source, or a Source.
func (in *Input) Options() format.Options {
	o, _ := in.records().position()
	return o
}

// Line returns the number of the line that the last record read ended on:
// 0 for an input without lines.
func (in *Input) Line() int {
	_, n := in.records().position()
	return n
}

// LineCounts counts what the lines of an input held besides their records,
// or how they held them; an input without lines has none. See
// format.Scanner's methods of the same names.
type LineCounts struct {
	Unknown    int // fields kept verbatim, which the parser does not know
	Normalized int // records read in a pasted layout, not their producer's
	Others     int // lines of records of the other kind (flows, expectations) passed over
	NotRecords int // lines that hold no data: shell prompts, typed commands, ^C, fences
	Blank      int // blank lines
	Messages   int // conntrack's messages
}

// Counts returns what the lines read so far held besides records.
func (in *Input) Counts() LineCounts { return in.records().counts() }

// Footer reports whether the input ends as its producer ends a complete
// capture: an XML document read to its footer (conntrack -E -o xml prints
// it only when interrupted), or a snapshot file whose source was one
// (Header.Footer). Inputs of the other encodings have no footer to lack.
func (in *Input) Footer() bool { return in.records().footer() }

// Flows returns an iterator over the input's flows, as
// format.Scanner.Flows does: each is the Input's own, overwritten by the
// next iteration (copy it to keep it); a bad line of text or JSON yields
// its *format.ParseError, and the loop may go on; any other error ends the
// iteration.
//
//	for f, err := range in.Flows() {
//		if err != nil {
//			return err
//		}
//		// use f
//	}
func (in *Input) Flows() iter.Seq2[*format.Flow, error] { return in.records().flows() }

// EachFlow hands the input's flows to each where they are read, as
// format.Scanner.EachFlow does: text on the Scanner's workers
// (format.WithWorkers), a snapshot file on the goroutines that decode it
// (Reader.EachFlow), at once and in no order, each worker below Workers;
// other inputs on the caller's goroutine, as worker 0. The
// iterator yields what Flows yields besides flows, in order.
func (in *Input) EachFlow(each func(worker int, flows []format.Flow)) iter.Seq[error] {
	return in.records().eachFlow(each)
}

// EachCount reads the input's flows as EachFlow does, and hands each only
// how many there were, batch by batch; a snapshot file spares laying its
// flows out (Reader.EachCount). The iterator yields what EachFlow's does.
func (in *Input) EachCount(each func(worker, n int)) iter.Seq[error] {
	if c, ok := in.records().(counter); ok {
		return c.eachCount(each)
	}
	return in.EachFlow(func(w int, flows []format.Flow) { each(w, len(flows)) })
}

// A counter is records that count their flows for less than handing them
// out takes.
type counter interface {
	eachCount(each func(worker, n int)) iter.Seq[error]
}

// Workers returns the goroutines that EachFlow may hand flows out on at
// once.
func (in *Input) Workers() int { return in.records().workers() }

// Expects returns an iterator over the input's expectations
// (Expectations); see Flows.
func (in *Input) Expects() iter.Seq2[*format.Expect, error] { return in.records().expects() }

// Stats returns an iterator over the records of the table's counters of an
// input of them (Statistics); see Flows.
func (in *Input) Stats() iter.Seq2[*format.Stats, error] { return in.records().stats() }

// Close releases what the input holds.
func (in *Input) Close() {
	in.records().close()
	for _, c := range in.closers {
		c()
	}
	in.closers = nil
}

// Sink writes records in an external encoding (see External).
type Sink interface {
	// WriteFlow, WriteExpect and WriteStats write a record, as Output's
	// methods do: an error that wraps format.ErrUnprintable means that
	// the record was not written, and the Sink can go on.
	WriteFlow(*format.Flow) error
	WriteExpect(*format.Expect) error
	WriteStats(*format.Stats) error
	// Close ends the records; it does not close what the Sink writes to.
	Close() error
}

// NewSinkOutput returns an Output of records to s, in the external
// encoding to. Gaps of a capture of events are not kept: WriteGap says so,
// for the caller to report.
func NewSinkOutput(s Sink, to Encoding) *Output { return &Output{to: to, sink: s} }

// Output writes records in an encoding.
type Output struct {
	to    Encoding
	text  *format.Writer
	file  *Writer
	sink  Sink
	w     io.Writer
	buf   []byte
	count int
}

// NewOutput returns an Output of records to w in encoding to. The printer
// gives the options and zone of the text formats; h is the header of a
// snapshot file.
func NewOutput(w io.Writer, to Encoding, p format.Dialect, h Header) (*Output, error) {
	o := &Output{to: to, w: w}
	switch to.kind {
	case kindFile:
		var err error
		if o.file, err = NewWriter(w, h); err != nil {
			return nil, err
		}
	case kindText:
		p.Format = to.text
		o.text = format.NewWriter(w, p)
	}
	return o, nil
}

// Text returns the writer of a text encoding, to set its options, or nil.
func (o *Output) Text() *format.Writer { return o.text }

// Write writes a flow. A *format.PrintError means f was not written and
// the Output can go on.
func (o *Output) Write(f *format.Flow) error {
	var err error
	switch o.to.kind {
	case kindExternal:
		err = o.sink.WriteFlow(f)
	case kindFile:
		err = o.file.WriteFlow(f)
	case kindJSON:
		if o.buf, err = codec.AppendJSON(o.buf[:0], f); err == nil {
			_, err = o.w.Write(o.buf)
		}
	default:
		err = o.text.Write(f)
	}
	if err == nil {
		o.count++
	}
	return err
}

// WriteExpect writes an expectation.
func (o *Output) WriteExpect(e *format.Expect) error {
	var err error
	switch o.to.kind {
	case kindExternal:
		err = o.sink.WriteExpect(e)
	case kindFile:
		err = o.file.WriteExpect(e)
	case kindJSON:
		if o.buf, err = codec.AppendJSONExpect(o.buf[:0], e); err == nil {
			_, err = o.w.Write(o.buf)
		}
	default:
		err = o.text.WriteExpect(e)
	}
	if err == nil {
		o.count++
	}
	return err
}

// WriteStats writes a record of the table's counters: to a snapshot, see
// Writer.WriteStats.
func (o *Output) WriteStats(s *format.Stats) error {
	var err error
	switch o.to.kind {
	case kindExternal:
		err = o.sink.WriteStats(s)
	case kindFile:
		err = o.file.WriteStats(s)
	case kindJSON:
		if o.buf, err = codec.AppendJSONStats(o.buf[:0], s); err == nil {
			_, err = o.w.Write(o.buf)
		}
	default:
		err = o.text.WriteStats(s)
	}
	if err == nil {
		o.count++
	}
	return err
}

// WriteGap marks a gap of a capture of events after the records written so
// far, and reports whether the encoding kept it: a snapshot does (see
// Writer.WriteGap), unless sorted; text and JSON Lines have no way to say
// it, and the caller must.
func (o *Output) WriteGap(g Gap) (kept bool, err error) {
	if o.to.kind != kindFile || o.file.h.Sorted {
		return false, nil // a sorted snapshot has no order for it
	}
	return true, o.file.WriteGap(g)
}

// Count returns the number of records written.
func (o *Output) Count() int { return o.count }

// SetDialect sets what a snapshot's header can tell only at the end; see
// Writer.SetDialect. A Sink with a method SetDialect is given d too. For
// other encodings it does nothing.
func (o *Output) SetDialect(d format.Dialect) {
	if o.file != nil {
		o.file.SetDialect(d)
	}
	if s, ok := o.sink.(interface{ SetDialect(format.Dialect) }); ok {
		s.SetDialect(d)
	}
}

// Close ends what the encoding needs ended: a snapshot's records, an XML
// document. It does not close the underlying writer.
func (o *Output) Close() error {
	switch o.to.kind {
	case kindFile:
		return o.file.Close()
	case kindText:
		return o.text.Close()
	case kindExternal:
		return o.sink.Close()
	}
	return nil
}
