package snapshot

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
)

// Encoding is a way records are written down: one of package format's text
// formats, JSON Lines, or a snapshot file.
type Encoding struct {
	kind encKind
	text format.Format
}

type encKind uint8

const (
	kindText encKind = iota
	kindJSON
	kindFile
)

// The encodings beyond the text formats.
var (
	JSON = Encoding{kind: kindJSON}
	File = Encoding{kind: kindFile}
)

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
	f, err := format.ParseFormat(name)
	if err != nil {
		return Encoding{}, errors.New(strings.TrimSuffix(err.Error(), ")") + ", json, snapshot)")
	}
	return Text(f), nil
}

// String returns the encoding's name, as ParseEncoding takes it.
func (e Encoding) String() string {
	switch e.kind {
	case kindJSON:
		return "json"
	case kindFile:
		return "snapshot"
	}
	return e.text.String()
}

// Format returns the text format of e, and whether e is one.
func (e Encoding) Format() (format.Format, bool) { return e.text, e.kind == kindText }

// IsAuto reports whether e is Text(format.Auto).
func (e Encoding) IsAuto() bool { return e.kind == kindText && e.text == format.Auto }

// Input is a capture opened for reading: text of any format, JSON Lines or
// a snapshot file.
type Input struct {
	// Encoding is the input's, detected if Open was given Text(format.Auto).
	Encoding Encoding
	// Expectations says that the records are expectations, which ScanExpect
	// reads, not flows.
	Expectations bool
	// Stats says that the records are the table's counters, which
	// ScanStats reads.
	Stats bool
	// Scanner reads text and JSON inputs, Snapshot snapshot files, Source
	// any other source of flows. One of them is set.
	Scanner  *format.Scanner
	Snapshot *Reader
	Source   Source
	// Compression is "gzip" or "zstd" for a compressed input, which Open
	// recognised by its magic bytes, "" otherwise.
	Compression string

	closers []func()
	stats   *statsDecoder // JSON Lines of counters
}

// Open opens a capture for reading. A capture compressed with gzip or zstd
// is decompressed as it is read, whatever the encoding; zstd with a window
// of up to MaxZstdWindow. Given
// Text(format.Auto), Open detects the encoding from the first bytes, and a
// text format from the first lines. The scan options apply to text and
// JSON inputs. Close releases what the Input holds.
func Open(r io.Reader, from Encoding, opts ...format.ScanOption) (*Input, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	in := &Input{}
	switch b, _ := br.Peek(4); {
	case len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, decompressor{name: "gzip"}.named(err)
		}
		in.Compression, in.closers = "gzip", append(in.closers, func() { zr.Close() })
		br = bufio.NewReaderSize(decompressor{zr, "gzip"}, 64<<10)
	case isZstd(b):
		// A stream's memory is its window, which the decoder keeps.
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(MaxZstdWindow),
			zstd.WithDecoderMaxMemory(MaxZstdWindow))
		if err != nil {
			return nil, err
		}
		in.Compression, in.closers = "zstd", append(in.closers, zr.Close)
		br = bufio.NewReaderSize(decompressor{zr, "zstd"}, 64<<10)
	}
	if from.IsAuto() {
		from = sniff(br)
	}
	in.Encoding = from
	var err error
	switch from.kind {
	case kindFile:
		if in.Snapshot, err = NewReader(br); err != nil {
			return nil, err
		}
		h := in.Snapshot.Header()
		in.Expectations, in.Stats = h.Expectations, h.Stats
	case kindJSON:
		in.Expectations = jsonExpectations(br)
		in.Stats = jsonStats(br)
		// JSON spells a record out at length: a line of text the default
		// bound takes makes a JSON line of up to some 9 times its length.
		// A caller's WithMaxLine, after this one, overrides it.
		var dec format.Decoder = &codec.JSONDecoder{}
		if in.Stats {
			in.stats = &statsDecoder{}
			dec = in.stats
		}
		jsonOpts := append([]format.ScanOption{format.WithMaxLine(MaxJSONLine), format.WithDecoder(dec)}, opts...)
		in.Scanner, err = format.NewScanner(br, format.Auto, jsonOpts...)
	default:
		if in.Scanner, err = format.NewScanner(br, from.text, opts...); err != nil {
			return nil, err
		}
		var f format.Format
		if f, err = in.Scanner.Detect(); err == nil {
			in.Encoding, in.Expectations, in.Stats = Text(f), f.Expectations(), f.Statistics()
		}
	}
	if err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

// Source is a source of flows that is neither text nor a snapshot file,
// such as the kernel's table read over netlink.
type Source interface {
	// Scan reads the next flow into f and reports whether there was one.
	Scan(f *format.Flow) bool
	// Err returns the error that ended the flows, nil at their clean end.
	Err() error
	// Close releases the source.
	Close() error
}

// FromSource returns an Input of the flows of src, which print by default
// in encoding enc.
func FromSource(src Source, enc Encoding) *Input {
	return &Input{Encoding: enc, Source: src}
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

// isZstd reports whether b starts a zstd stream: a frame, or a skippable
// frame, which pzstd writes before each frame.
func isZstd(b []byte) bool {
	return string(b) == "\x28\xb5\x2f\xfd" || len(b) == 4 && b[0]&0xf0 == 0x50 && string(b[1:]) == "\x2a\x4d\x18"
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

// named prefixes err with the compression's name, unless it has it
// already, as compress/gzip's ErrHeader and ErrChecksum have.
func (d decompressor) named(err error) error {
	if errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) {
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
	b, _ := br.Peek(br.Size())
	if b = bytes.TrimLeft(b, " \t\r\n"); len(b) > 0 && b[0] == '{' {
		return JSON
	}
	return Text(format.Auto)
}

// jsonExpectations reports whether JSON Lines hold expectations: their
// objects have a "tuple", where flows have "tuple-orig".
func jsonExpectations(br *bufio.Reader) bool {
	b, _ := br.Peek(br.Size())
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return bytes.Contains(line, []byte(`"tuple":`)) && !bytes.Contains(line, []byte(`"tuple-orig":`))
}

// jsonStats reports whether JSON Lines hold the table's counters: their
// objects start with "cpu" (codec.AppendJSONStats).
func jsonStats(br *bufio.Reader) bool {
	b, _ := br.Peek(br.Size())
	line, _, _ := bytes.Cut(bytes.TrimLeft(b, " \t\r\n"), []byte("\n"))
	line = bytes.TrimLeft(bytes.TrimPrefix(line, []byte("{")), " \t")
	return bytes.HasPrefix(line, []byte(`"cpu":`)) || bytes.HasPrefix(line, []byte(`"cpu" `))
}

// statsDecoder lets a format.Scanner read JSON Lines of counters, with
// its line numbers, bounds and options: each line it is given as a flow's
// decodes into the record ScanStats asked for, and the flow stays empty.
type statsDecoder struct {
	codec.JSONDecoder
	s *format.Stats
}

func (d *statsDecoder) DecodeFlow(line []byte, _ *format.Flow) error { return d.DecodeStats(line, d.s) }

func (d *statsDecoder) DecodeExpect(line []byte, _ *format.Expect) error {
	return d.DecodeStats(line, d.s)
}

// sorted reports whether the input is a snapshot of flows in identity
// order.
func (in *Input) sorted() bool { return in.Snapshot != nil && in.Snapshot.Header().Sorted }

// errNotMade is the error of an Input that Open or FromSource did not make,
// which has nothing to read.
var errNotMade = errors.New("snapshot: " + notMade)

const notMade = "an Input that Open or FromSource did not make"

// made reports whether Open or FromSource made in.
func (in *Input) made() bool { return in.Scanner != nil || in.Snapshot != nil || in.Source != nil }

// Scan reads the next flow into f; see format.Scanner.Scan.
func (in *Input) Scan(f *format.Flow) bool {
	switch {
	case in.Snapshot != nil:
		return in.Snapshot.Scan(f)
	case in.Source != nil:
		return in.Source.Scan(f)
	case in.Scanner == nil:
		return false
	}
	return in.Scanner.Scan(f)
}

// ScanExpect reads the next expectation into e.
func (in *Input) ScanExpect(e *format.Expect) bool {
	switch {
	case in.Snapshot != nil:
		return in.Snapshot.ScanExpect(e)
	case in.Source != nil, in.Scanner == nil:
		return false
	}
	return in.Scanner.ScanExpect(e)
}

// ScanStats reads the next record of the table's counters into s, from an
// input of them (Stats).
func (in *Input) ScanStats(s *format.Stats) bool {
	switch {
	case in.Snapshot != nil:
		return in.Snapshot.ScanStats(s)
	case in.Scanner == nil:
		return false
	case in.stats != nil:
		var f format.Flow
		in.stats.s = s
		return in.Scanner.Scan(&f)
	}
	return in.Scanner.ScanStats(s)
}

// Err returns the error that stopped reading, nil at a clean end.
func (in *Input) Err() error {
	switch {
	case in.Snapshot != nil:
		return in.Snapshot.Err()
	case in.Source != nil:
		return in.Source.Err()
	case in.Scanner == nil:
		return errNotMade
	}
	return in.Scanner.Err()
}

// Close releases what the input holds.
func (in *Input) Close() {
	if in.Snapshot != nil {
		in.Snapshot.Close()
	}
	if in.Source != nil {
		in.Source.Close()
	}
	for _, c := range in.closers {
		c()
	}
	in.closers = nil
}

// Output writes records in an encoding.
type Output struct {
	to    Encoding
	text  *format.Writer
	file  *Writer
	w     io.Writer
	buf   []byte
	count int
}

// NewOutput returns an Output of records to w in encoding to. The printer
// gives the options and zone of the text formats; h is the header of a
// snapshot file.
func NewOutput(w io.Writer, to Encoding, p format.Printer, h Header) (*Output, error) {
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

// Count returns the number of records written.
func (o *Output) Count() int { return o.count }

// SetHeader sets what a snapshot's header can tell only at the end; see
// Writer.SetHeader. For other encodings it does nothing.
func (o *Output) SetHeader(options format.Options, footer bool) {
	if o.file != nil {
		o.file.SetHeader(options, footer)
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
	}
	return nil
}
