package snapshot

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
)

// A snapshot file is
//
//	magic      8 bytes  "\x89CTSNAP\n"
//	version    2 bytes  big-endian, 3 (2 before columns, 1 before blocks)
//	flags      2 bytes  zero
//	count      8 bytes  big-endian: the records; all ones when the writer could not go back to set it
//	length     4 bytes  big-endian: of the header
//	header     a msgpack map with string keys
//	checksum   4 bytes  CRC-32C of everything from the version to the end of the header
//	records    blocks (block.go), each a zstd frame with its content checksum, of msgpack
//	           records ending with an end record, or of flows by column; in version 1
//	           one frame of records
//
// Readers skip header keys they do not know. docs/SNAPSHOT.md specifies
// the format.

// Magic starts every snapshot file.
const Magic = "\x89CTSNAP\n"

// Version is the version of the files this package writes; it reads it and
// older ones.
const Version = 3

// UnknownCount is the count of a file whose writer could not go back to
// set it, as when it wrote to a pipe.
const UnknownCount = ^uint64(0)

const (
	fixedLen     = len(Magic) + 2 + 2 + 8 + 4
	maxHeaderLen = 64 << 10
)

// Limits of a reader of version 1, which the documentation promises: the
// zstd window and the memory the decoder may use. With them, the scratch
// buffers and the address table of the msgpack decoder, a Reader stays
// below 32 MiB whatever its input. (Of versions 2 and 3, see maxBlockLen.)
const (
	maxWindow    = 8 << 20
	maxZstdMem   = 16 << 20
	writerWindow = 4 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Header is the metadata of a snapshot file.
type Header struct {
	// Created is when the capture was taken; NewWriter sets a zero
	// Created to the current time.
	Created time.Time
	// Host and Kernel are the host name and kernel release of the machine
	// captured, when known.
	Host, Kernel string
	// Source is the encoding the records were read from, and Options the
	// conntrack options it showed: printed with them, the records give
	// back the source's text. Location is the zone of its local times.
	// NewWriter requires a Source: a text format or JSON. (Files of
	// earlier versions may have Text(format.Auto), for an empty input.)
	Source   Encoding
	Options  format.Options
	Location string
	// CRLF says that every line of the source ended with CR LF. Each
	// record says it of its own line (format.QuirkCRLF), but files written
	// before the quirk existed have only the header, so a Reader gives
	// every record of a file with CRLF the quirk. A Writer sets CRLF at
	// Close, where it can seek, when every record it wrote has the quirk.
	CRLF bool
	// Footer says that the source was an XML document with its footer.
	Footer bool
	// Tool is the program that wrote the file, and its version.
	Tool string
	// Expectations says that the records are expectations, not flows.
	Expectations bool
	// Stats says that the records are the table's counters, which
	// Reader.Stats reads (a capture of conntrack -S, /proc/net/stat/nf_conntrack
	// or their JSON Lines), not flows. NewWriter sets it for a Source of
	// format.ConntrackStats or format.ProcStats; a reader, for those too.
	Stats bool
	// Sorted says that the flows are in the order of their identities in
	// the kernel's table (family, protocol, zone, original tuple), not
	// the source's, so that a Diff of two sorted snapshots streams both.
	// ICMP flows of the same addresses keep the source's order among
	// them, by which a Diff pairs those that lack their ICMP fields.
	// Given to NewWriter, it makes the Writer keep the flows, in a compact
	// form, until Close, which sorts them.
	Sorted bool
	// Count is the number of records, or UnknownCount.
	Count uint64
	// Netns names the network namespace of a capture of one that is not
	// the writer's own (ctconv snapshot --netns): its ip netns name, a
	// path, or "pid N". Its flows name none, as those of the same table
	// read in the namespace itself (ip netns exec): they compare equal. A
	// capture of several namespaces names none here, and each flow its
	// own (format.Flow.Netns).
	Netns string
}

// Dialect returns the source's text as the header tells it, which prints
// the records back as the source had them: its format (Auto for JSON),
// options, time zone (nil where the zone is not known here), line ends
// and footer.
func (h Header) Dialect() format.Dialect {
	f, _ := h.Source.Format()
	xml := f == format.XML || f == format.XMLExpect
	d := format.Dialect{Format: f, Options: h.Options, CRLF: h.CRLF, NoFooter: xml && !h.Footer}
	if loc, err := time.LoadLocation(h.Location); err == nil && h.Location != "" {
		d.Location = loc
	}
	return d
}

// Errors of a Reader; each error it returns wraps one.
var (
	ErrNotSnapshot = errors.New("snapshot: not a snapshot file")
	ErrVersion     = errors.New("snapshot: file version not supported")
	ErrCorrupt     = errors.New("snapshot: corrupt file")
)

// corrupt returns an error wrapping ErrCorrupt.
func corrupt(msg string, err error) error {
	if err != nil {
		msg += ": " + err.Error()
	}
	return &FileError{Msg: msg, Err: ErrCorrupt}
}

// FileError says what is wrong with a snapshot file.
type FileError struct {
	Msg string
	Err error
}

func (e *FileError) Error() string { return "snapshot: " + e.Msg }
func (e *FileError) Unwrap() error { return e.Err }

// Writer writes a snapshot file, a record at a time: its memory does not
// grow with the records. It encodes and compresses on a goroutine of its
// own, in batches, so that on a machine with two cores or more the
// caller's work (parsing, most often) and the compression overlap. Close
// must be called, to end the file and the goroutine.
type Writer struct {
	w      io.Writer
	h      Header
	header []byte // the encoded header, to set the count at Close
	count  uint64
	err    error
	closed bool
	lf     bool // a record without format.QuirkCRLF was written
	stats  int  // records of the table's counters written

	sort  *store      // with Header.Sorted, the flows until Close sorts them
	netns netnsNames  // the namespaces of sort's identities
	cur   *batch      // the batch being filled
	work  chan *batch // to the encoding goroutine
	free  chan *batch // back from it, with its error if any
	done  chan error  // its last word: the end of the stream written, or why not
	end   uint64      // the count for the end record, set before work closes
}

// batch is records handed from a Writer to its encoding goroutine.
type batch struct {
	stats []format.Stats // encoded before the flows or expectations
	gaps  []Gap          // each before the record of the batch at its After
	flows []format.Flow
	exps  []format.Expect
	n     int
	err   error // set by the encoder when it failed
}

// batchLen is the records in a batch, and batches the number of batches:
// one being filled, one being encoded, one waiting.
const (
	batchLen = 1024
	batches  = 3
)

// NewWriter writes the header h to w and returns a Writer of its records.
// h.Count and h.CRLF are set by Close, from the records; a zero h.Created
// is set to the current time. A header that would not read back as given,
// without a Source say, is an *OptionError, and NewWriter writes nothing.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	if f, _ := h.Source.Format(); f.Statistics() {
		h.Stats = true
	}
	if h.Sorted && (h.Expectations || h.Stats) {
		return nil, errors.New("snapshot: only flows can be sorted")
	}
	if h.Stats && h.Expectations {
		return nil, errors.New("snapshot: records of the table's counters are not expectations")
	}
	if h.Created.IsZero() {
		h.Created = time.Now()
	}
	if err := checkHeader(&h); err != nil {
		return nil, err
	}
	sw := &Writer{w: w, h: h}
	if h.Sorted {
		sw.sort = newStore()
	}
	sw.h.Count, sw.h.CRLF = UnknownCount, false
	sw.header = encodeHeader(&sw.h, headerRoom)
	if _, err := w.Write(fixed(&sw.h, sw.header)); err != nil {
		return nil, err
	}
	bw, err := newBlockWriter(w)
	if err != nil {
		return nil, err
	}
	sw.work, sw.free, sw.done = make(chan *batch, batches), make(chan *batch, batches), make(chan error, 1)
	for range batches {
		b := &batch{}
		if h.Expectations {
			b.exps = make([]format.Expect, batchLen)
		} else {
			b.flows = make([]format.Flow, batchLen)
		}
		sw.free <- b
	}
	sw.cur = <-sw.free
	go sw.encode(bw, h.Expectations)
	return sw, nil
}

// checkHeader returns an *OptionError if h would not read back as given.
func checkHeader(h *Header) error {
	if !time.Unix(0, h.Created.UnixNano()).Equal(h.Created) {
		return &OptionError{Option: "Header.Created", Value: h.Created.String(),
			Msg: "outside the years 1678 to 2262: the file holds nanoseconds since 1970"}
	}
	f, text := h.Source.Format()
	if h.Source.kind == kindFile || text && (f == format.Auto || !slices.Contains(format.Formats(), f)) {
		return &OptionError{Option: "Header.Source", Value: h.Source.String(),
			Msg: "not the encoding of a source: give the text format, or JSON, that the records were read from"}
	}
	return nil
}

// encode encodes the batches that arrive on w.work until it closes, then
// ends the stream, in blocks that bw compresses: flows by column, and
// the records that columns do not carry (expectations, counters, gaps,
// flows with unknown fields, the end) in blocks of records, each taking
// the records that follow it until it is full.
func (w *Writer) encode(bw *blockWriter, expectations bool) {
	var (
		buf     *bytes.Buffer // the block of records being filled, if any
		enc     = codec.NewMsgpackEncoder(nil)
		records int // in buf, of any kind
		cols    codec.ColumnEncoder
	)
	endColumns := func() {
		if cols.Len() > 0 {
			b := bw.buffer()
			b.Write(cols.AppendBlock(append(b.AvailableBuffer(), layoutColumns)))
			bw.write(b)
		}
	}
	endRecords := func() {
		if buf != nil {
			bw.write(buf)
			buf, records = nil, 0
		}
	}
	// record encodes a record with put, in a block of records after the
	// flows in columns.
	record := func(put func() error) error {
		endColumns()
		if buf == nil {
			buf = bw.buffer()
			buf.WriteByte(layoutRecords)
			enc.Reset(buf)
		}
		err := put()
		if records++; err == nil && (records == blockRecords || buf.Len() >= blockBytes) {
			endRecords()
		}
		return err
	}
	flow := func(f *format.Flow) error {
		if buf == nil && !w.h.Stats {
			if cols.Len() == columnFlows || cols.Size() >= blockBytes {
				endColumns()
			}
			if ok, err := cols.Add(f); ok || err != nil {
				return err
			}
		}
		return record(func() error { return enc.EncodeFlow(f) })
	}
	var err error
	for b := range w.work {
		for i := 0; i < len(b.stats) && err == nil; i++ {
			err = record(func() error { return enc.EncodeStats(&b.stats[i]) })
		}
		b.stats = b.stats[:0]
		gaps := b.gaps
		for i := 0; i <= b.n && err == nil; i++ {
			for ; len(gaps) > 0 && gaps[0].After == uint64(i) && err == nil; gaps = gaps[1:] {
				err = record(func() error { return enc.EncodeGap(codec.Gap{Events: gaps[0].Events, Time: gaps[0].Time}) })
			}
			switch {
			case i == b.n || err != nil:
			case expectations:
				err = record(func() error { return enc.EncodeExpect(&b.exps[i]) })
			default:
				err = flow(&b.flows[i])
			}
		}
		b.n, b.err, b.gaps = 0, err, b.gaps[:0]
		w.free <- b
	}
	if err == nil {
		err = record(func() error { return enc.EncodeEnd(w.end) })
		endRecords()
	}
	if cerr := bw.close(); err == nil {
		err = cerr
	}
	w.done <- err
}

// next hands the batch being filled to the encoder and takes a free one.
func (w *Writer) next() error {
	w.work <- w.cur
	w.cur = <-w.free
	if w.cur.err != nil && w.err == nil {
		w.err = w.cur.err
	}
	return w.err
}

// fixed returns the bytes before the records: the fixed part, the header
// and the checksum.
func fixed(h *Header, header []byte) []byte {
	b := make([]byte, 0, fixedLen+len(header)+4)
	b = append(b, Magic...)
	b = binary.BigEndian.AppendUint16(b, Version)
	b = binary.BigEndian.AppendUint16(b, 0)
	b = binary.BigEndian.AppendUint64(b, h.Count)
	b = binary.BigEndian.AppendUint32(b, uint32(len(header)))
	b = append(b, header...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[len(Magic):], castagnoli))
}

// headerRoom is the room a header leaves, as padding, for what Close may
// learn only at the end: the options of all the source's lines, whether an
// XML source ended with its footer.
const headerRoom = 48

// encodeHeader encodes h with padding that makes it size bytes longer than
// without, or, given a negative size, exactly -size bytes long if it fits.
func encodeHeader(h *Header, size int) []byte {
	b := encodeHeaderPad(h, 0)
	if size >= 0 {
		return encodeHeaderPad(h, size)
	}
	if pad := -size - len(b); pad >= 0 {
		// The padding's own length prefix grows with it; find the fit.
		for p := pad; p >= max(pad-3, 0); p-- {
			if c := encodeHeaderPad(h, p); len(c) == -size {
				return c
			}
		}
	}
	return nil
}

func encodeHeaderPad(h *Header, pad int) []byte {
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	e.UseCompactInts(true)
	fields := []struct {
		key string
		val any
	}{
		{"created", h.Created.UnixNano()},
		{"host", h.Host},
		{"kernel", h.Kernel},
		{"source", h.Source.String()},
		{"options", h.Options.String()},
		{"location", h.Location},
		{"crlf", h.CRLF},
		{"footer", h.Footer},
		{"tool", h.Tool},
		{"expectations", h.Expectations},
		{"sorted", h.Sorted},
		{"pad", make([]byte, pad)},
	}
	// Keys added after version 1's, each only where it says something,
	// before the pad.
	padding := fields[len(fields)-1]
	fields = fields[:len(fields)-1]
	if h.Stats {
		fields = append(fields, struct {
			key string
			val any
		}{"stats", true})
	}
	if h.Netns != "" {
		fields = append(fields, struct {
			key string
			val any
		}{"netns", h.Netns})
	}
	fields = append(fields, padding)
	e.EncodeMapLen(len(fields))
	for _, f := range fields {
		e.EncodeString(f.key)
		e.Encode(f.val)
	}
	return buf.Bytes()
}

// WriteFlow writes a flow. An error of the underlying writer may come
// from a later call, or from Close.
func (w *Writer) WriteFlow(f *format.Flow) error {
	if w.err == nil && (w.h.Expectations || w.h.Stats) {
		w.err = errors.New("snapshot: a flow in a snapshot of " + map[bool]string{false: "expectations", true: "the table's counters"}[w.h.Stats])
	}
	if w.err != nil {
		return w.err
	}
	w.count++
	w.lf = w.lf || f.Quirks&format.QuirkCRLF == 0
	if w.sort != nil {
		k := keyOf(f, w.netns.id(f.Netns))
		w.err = w.sort.add(f, &k, span{})
		return w.err
	}
	return w.queue(f)
}

// queue hands f to the encoding goroutine.
func (w *Writer) queue(f *format.Flow) error {
	w.cur.flows[w.cur.n] = *f
	if w.cur.n++; w.cur.n == batchLen {
		return w.next()
	}
	return nil
}

// flushSorted writes the kept flows in identity order.
func (w *Writer) flushSorted() error {
	var f format.Flow
	for _, i := range w.sort.sorted(&w.netns) {
		if err := w.sort.get(int(i), &f); err != nil {
			return err
		}
		if err := w.queue(&f); err != nil {
			return err
		}
	}
	w.sort = nil
	return nil
}

// WriteExpect writes an expectation; see WriteFlow.
func (w *Writer) WriteExpect(e *format.Expect) error {
	if w.err == nil && !w.h.Expectations {
		w.err = errors.New("snapshot: an expectation in a snapshot of " + map[bool]string{false: "flows", true: "the table's counters"}[w.h.Stats])
	}
	if w.err != nil {
		return w.err
	}
	w.cur.exps[w.cur.n] = *e
	w.count++
	w.lf = w.lf || e.Quirks&format.QuirkCRLF == 0
	if w.cur.n++; w.cur.n == batchLen {
		return w.next()
	}
	return nil
}

// A Gap is where a capture of events has a gap: the kernel dropped
// events there, because the reader was behind (ctconv watch writes them).
type Gap struct {
	// After is the number of records before the gap.
	After uint64
	// Events is how many events were lost, or -1 if the kernel did not
	// say.
	Events int64
	// Time is when the reader learnt of the loss.
	Time time.Time
}

// WriteGap marks a gap after the records written so far (g.After is not
// read). Readers written before gap records skip them.
func (w *Writer) WriteGap(g Gap) error {
	if w.err == nil && (w.sort != nil || w.h.Stats) {
		w.err = errors.New("snapshot: a gap in a " + map[bool]string{false: "sorted snapshot", true: "snapshot of the table's counters"}[w.h.Stats])
	}
	if w.err != nil {
		return w.err
	}
	g.After = uint64(w.cur.n)
	w.cur.gaps = append(w.cur.gaps, g)
	return nil
}

// Count returns the number of flows or expectations written.
func (w *Writer) Count() uint64 { return w.count }

// WriteStats writes a record of the table's counters: those of the
// moment a capture of the live table was taken, before its flows, or the
// records of a capture of counters (a Header.Source of
// format.ConntrackStats or format.ProcStats). They come before every
// flow or expectation, and are not counted: readers of the files written
// before them skip them, and count what they read.
func (w *Writer) WriteStats(s *format.Stats) error {
	if w.err == nil && w.count > 0 {
		w.err = errors.New("snapshot: the table's counters after its records: write them first")
	}
	if w.err != nil {
		return w.err
	}
	if !w.h.Stats && w.stats >= MaxCarriedStats {
		w.err = errors.New("snapshot: more than " + strconv.Itoa(MaxCarriedStats) + " records of the table's counters before the flows, which a Reader refuses")
		return w.err
	}
	w.cur.stats = append(w.cur.stats, *s)
	w.stats++
	return nil
}

// SetDialect sets what the header says of the source's text that a writer
// may know only at the end, as a Scanner learns it (format.Scanner.Dialect):
// the options the lines showed, and whether an XML document had its
// footer. Close writes them where the underlying writer can seek.
func (w *Writer) SetDialect(d format.Dialect) {
	w.h.Options, w.h.Footer = d.Options, !d.NoFooter
}

// Close ends the records and, where the underlying writer can seek (a
// file), sets the header's count. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return errors.New("snapshot: Writer closed twice")
	}
	w.closed = true
	if w.err == nil && w.sort != nil {
		w.err = w.flushSorted()
	}
	if w.err == nil && (w.cur.n > 0 || len(w.cur.stats) > 0 || len(w.cur.gaps) > 0) {
		w.next()
	}
	w.end = w.count
	close(w.work)
	err := <-w.done
	if w.err != nil {
		return w.err
	}
	if err != nil {
		return err
	}
	if wa, ok := w.w.(io.WriterAt); ok {
		h := w.h
		h.Count = w.count
		h.CRLF = w.count > 0 && !w.lf
		header := encodeHeader(&h, -len(w.header))
		if header == nil {
			header = w.header // no room for what changed
		}
		if _, err := wa.WriteAt(fixed(&h, header), 0); err != nil {
			return err
		}
	}
	return nil
}

// Reader reads a snapshot file, a record at a time, in bounded memory.
type Reader struct {
	h     Header
	zr    *zstd.Decoder
	src   *errReader // the zstd stream, to tell its errors from msgpack's
	after *tail      // the file, as zstd reads it, to see what follows the frame
	dec   *codec.MsgpackDecoder
	count uint64
	err   error
	done  bool
	stats []format.Stats // the table's counters before the records
	gaps  []Gap          // the gaps read so far

	// begun says that reading the records began; held that CarriedStats
	// read the first record after the counters ahead, and keeps it, or its
	// error, for the iteration.
	begun, held bool
	heldKind    codec.Kind
	heldErr     error
	heldFlow    format.Flow
	heldExpect  format.Expect

	own struct {
		f  format.Flow
		e  format.Expect
		st format.Stats
	} // where the iterators read to

	// A file of blocks (version 2 or 3): the blocks, the one being read, its next
	// record and gap.
	blocks *blockReader
	cur    *block
	i, gi  int
	lay    codec.ColumnDecoder // lays out the flows that EachCount's workers only checked
}

// NewReader reads and checks the header of a snapshot file from r.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReader(r)
	b, err := br.Peek(fixedLen)
	if err != nil || string(b[:len(Magic)]) != Magic {
		return nil, &FileError{Msg: "no snapshot magic at the start of the file", Err: ErrNotSnapshot}
	}
	switch v := binary.BigEndian.Uint16(b[8:]); {
	case v == 0:
		return nil, corrupt("invalid version 0", nil)
	case v > Version:
		return nil, &FileError{Msg: "file version " + strconv.Itoa(int(v)) + ", newer than this reader's (" + strconv.Itoa(Version) + "): update ctconv", Err: ErrVersion}
	}
	count := binary.BigEndian.Uint64(b[12:])
	n := binary.BigEndian.Uint32(b[20:])
	if n > maxHeaderLen {
		return nil, corrupt("a header of "+strconv.FormatUint(uint64(n), 10)+" bytes, more than "+strconv.Itoa(maxHeaderLen), nil)
	}
	all := make([]byte, fixedLen+int(n)+4)
	if _, err := io.ReadFull(br, all); err != nil {
		return nil, corrupt("the header is cut", nil)
	}
	end := fixedLen + int(n)
	if crc32.Checksum(all[len(Magic):end], castagnoli) != binary.BigEndian.Uint32(all[end:]) {
		return nil, corrupt("the header's checksum does not match", nil)
	}
	sr := &Reader{}
	if err := decodeHeader(all[fixedLen:end], &sr.h); err != nil {
		if errors.Is(err, ErrVersion) {
			return nil, err
		}
		return nil, corrupt("malformed header", err)
	}
	sr.h.Count = count
	if f, _ := sr.h.Source.Format(); f.Statistics() {
		sr.h.Stats = true
	}
	if sr.h.Stats && sr.h.Expectations {
		return nil, corrupt("a header of both expectations and the table's counters", nil)
	}
	if v := binary.BigEndian.Uint16(b[8:]); v >= 2 {
		sr.blocks = newBlockReader(br, &sr.h, v)
		return sr, nil
	}
	// Two goroutines: a block decompresses while the last is decoded.
	sr.after = &tail{r: br}
	zr, err := zstd.NewReader(sr.after, zstd.WithDecoderConcurrency(2), zstd.WithDecoderMaxWindow(maxWindow),
		zstd.WithDecoderMaxMemory(maxZstdMem))
	if err != nil {
		return nil, err
	}
	sr.zr, sr.src = zr, &errReader{r: zr}
	sr.dec = codec.NewMsgpackDecoder(bufio.NewReaderSize(sr.src, 32<<10))
	return sr, nil
}

// newer returns the error of a header that names what, a source or an
// option this version does not know: a newer writer's, within version 1.
func newer(what string) error {
	return &FileError{Msg: "the header names " + what + ", which this version does not know (a file of a newer ctconv?): update ctconv", Err: ErrVersion}
}

func decodeHeader(b []byte, h *Header) error {
	d := msgpack.NewDecoder(bytes.NewReader(b))
	n, err := d.DecodeMapLen()
	if err != nil {
		return err
	}
	if n < 0 || n > maxHeaderLen {
		return errors.New("not a map")
	}
	for range n {
		key, err := d.DecodeString()
		if err != nil {
			return err
		}
		switch key {
		case "created":
			var ns int64
			if ns, err = d.DecodeInt64(); err == nil {
				h.Created = time.Unix(0, ns)
			}
		case "host":
			h.Host, err = d.DecodeString()
		case "kernel":
			h.Kernel, err = d.DecodeString()
		case "source":
			var s string
			if s, err = d.DecodeString(); err == nil {
				if h.Source, err = ParseEncoding(s); err != nil {
					return newer("source " + strconv.Quote(s))
				}
			}
		case "options":
			var s string
			if s, err = d.DecodeString(); err == nil {
				if err = h.Options.UnmarshalText([]byte(s)); err != nil {
					for name := range strings.SplitSeq(s, ",") {
						if new(format.Options).UnmarshalText([]byte(name)) != nil {
							return newer("conntrack option " + strconv.Quote(name))
						}
					}
					return err
				}
			}
		case "location":
			h.Location, err = d.DecodeString()
		case "crlf":
			h.CRLF, err = d.DecodeBool()
		case "footer":
			h.Footer, err = d.DecodeBool()
		case "tool":
			h.Tool, err = d.DecodeString()
		case "expectations":
			h.Expectations, err = d.DecodeBool()
		case "sorted":
			h.Sorted, err = d.DecodeBool()
		case "stats":
			h.Stats, err = d.DecodeBool()
		case "netns":
			h.Netns, err = d.DecodeString()
		default:
			err = d.Skip()
		}
		if err != nil {
			return errors.New(key + ": " + err.Error())
		}
	}
	return nil
}

// kind names what the file holds.
func (r *Reader) kind() string {
	switch {
	case r.h.Stats:
		return "the table's counters"
	case r.h.Expectations:
		return "expectations"
	}
	return "flows"
}

// Header returns the file's header.
func (r *Reader) Header() Header { return r.h }

// Flows returns an iterator over the file's flows, each read into a Flow
// of the Reader's that the next iteration overwrites (copy it to keep it).
// An error, which says what is wrong with the file, ends it. The table's
// counters that come before the flows are kept for CarriedStats.
//
//	for f, err := range r.Flows() {
//		if err != nil {
//			return err
//		}
//		// use f
//	}
func (r *Reader) Flows() iter.Seq2[*format.Flow, error] {
	if r.blocks != nil {
		return blockAll(r, false, false, func(b *block) []format.Flow {
			if b.handed { // by a stopped EachFlow or EachCount
				return nil
			}
			return r.flowsOf(b)
		})
	}
	return readAll(r, &r.own.f, func() bool { return r.next(&r.own.f, nil, nil) })
}

// EachFlow hands the file's flows to each, as format.Scanner.EachFlow
// does: the flows of a file of blocks on the goroutines that decode
// its blocks, at once and in no order, each worker below Workers. The
// iterator yields the error, if any, that Flows ends with, once every
// flow before it has been handed out, and none after it.
func (r *Reader) EachFlow(each func(worker int, flows []format.Flow)) iter.Seq[error] {
	if r.blocks != nil {
		return r.eachBlock(hand{flows: each})
	}
	return eachOf(r.Flows(), each)
}

// EachCount reads the file's flows as EachFlow does, and hands each only
// how many there were, batch by batch: for a reader that counts them, as
// ctconv check does, which spares the flows of a file of version 3 being
// laid out from their columns. They are checked as EachFlow checks them,
// and the iterator yields the same errors.
func (r *Reader) EachCount(each func(worker, n int)) iter.Seq[error] {
	if r.blocks != nil {
		return r.eachBlock(hand{count: each})
	}
	return eachOf(r.Flows(), func(w int, flows []format.Flow) { each(w, len(flows)) })
}

// Workers returns the goroutines that EachFlow may hand flows out on at
// once.
func (r *Reader) Workers() int {
	if r.blocks != nil {
		return r.blocks.workers + 1
	}
	return 1
}

// Expects returns an iterator over the file's expectations; see Flows.
func (r *Reader) Expects() iter.Seq2[*format.Expect, error] {
	if r.blocks != nil {
		return blockAll(r, false, true, func(b *block) []format.Expect { return b.exps[:b.n] })
	}
	return readAll(r, &r.own.e, func() bool { return r.next(nil, &r.own.e, nil) })
}

// Stats returns an iterator over the records of the table's counters of a
// snapshot of a capture of them (Header.Stats); see Flows.
func (r *Reader) Stats() iter.Seq2[*format.Stats, error] {
	if r.blocks != nil {
		return blockAll(r, true, false, func(b *block) []format.Stats { return b.stats })
	}
	return readAll(r, &r.own.st, func() bool { return r.next(nil, nil, &r.own.st) })
}

// readAll iterates over the records that next reads into rec.
func readAll[T any](r *Reader, rec *T, next func() bool) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		for next() {
			if !yield(rec, nil) {
				return
			}
		}
		if r.err != nil {
			yield(nil, r.err)
		}
	}
}

// CarriedStats returns the table's counters that a file of flows or
// expectations carries: in a snapshot of the live table, those of the
// moment it was taken. They come before the records: called before the
// first iteration, CarriedStats reads ahead to the first record, which the
// iteration then yields. A file of counters (Header.Stats) carries none
// besides its records.
func (r *Reader) CarriedStats() []format.Stats {
	if r.blocks != nil && !r.begun && !r.h.Stats {
		r.fill(func(b *block) int { return b.n })
		return r.stats
	}
	if !r.begun && !r.held && !r.h.Stats && r.err == nil {
		r.heldKind, r.heldErr = r.decode(&r.heldFlow, &r.heldExpect, nil)
		r.held = true
	}
	return r.stats
}

// Gaps returns the gaps of a capture of events that the records read so
// far have passed (all of them, once the records are read): where the
// capture lost events. A Reader keeps MaxGaps of them: it adds the events
// of those after into the last.
func (r *Reader) Gaps() []Gap { return r.gaps }

// MaxGaps is the most gaps a Reader keeps apart, so that its memory stays
// bounded whatever a file holds.
const MaxGaps = 1 << 16

// MaxCarriedStats is the most records of the table's counters that a file
// of flows or expectations may carry (CarriedStats: one a CPU, of each
// namespace captured), which a Reader keeps, some 13 MiB. A file that
// carries more is corrupt, and a Writer refuses to write it.
const MaxCarriedStats = 1 << 16

// carry keeps the table's counters of a file of flows or expectations.
func (r *Reader) carry(st []format.Stats) error {
	if len(r.stats)+len(st) > MaxCarriedStats {
		return corrupt("more than "+strconv.Itoa(MaxCarriedStats)+" records of the table's counters before the records", nil)
	}
	r.stats = append(r.stats, st...)
	return nil
}

// gap keeps a gap read after r.count records.
func (r *Reader) gap(g codec.Gap) {
	if len(r.gaps) < MaxGaps {
		r.gaps = append(r.gaps, Gap{After: r.count, Events: g.Events, Time: g.Time})
		return
	}
	last := &r.gaps[len(r.gaps)-1]
	last.Events = addLost(last.Events, g.Events)
}

// addLost adds two counts of lost events, -1 where either is unknown, and
// stops at the most an int64 holds.
func addLost(a, b int64) int64 {
	if a < 0 || b < 0 {
		return -1
	}
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// decode reads the next record into f, e or s: the one CarriedStats held, or the
// next of the stream. With s nil, the counters before it are kept in
// r.stats.
func (r *Reader) decode(f *format.Flow, e *format.Expect, s *format.Stats) (codec.Kind, error) {
	if r.held {
		r.held = false
		k, err := r.heldKind, r.heldErr
		switch {
		case k == codec.KindFlow && f == nil || k == codec.KindExpect && e == nil:
			return 0, corrupt("a "+map[bool]string{false: "flow", true: "expectation"}[k == codec.KindExpect]+" in a file of "+r.kind(), nil)
		case k == codec.KindFlow:
			*f = r.heldFlow
		case k == codec.KindExpect:
			*e = r.heldExpect
		}
		return k, err
	}
	var st format.Stats
	own := s == nil
	if own {
		s = &st
	}
	for {
		k, err := r.dec.DecodeRecord(f, e, s)
		switch {
		case err == nil && k == codec.KindGap:
			r.gap(r.dec.Gap())
		case own && err == nil && k == codec.KindStats:
			if err := r.carry([]format.Stats{st}); err != nil {
				return 0, err
			}
		default:
			return k, err
		}
	}
}

// kindErr returns the error of reading records of the table's counters
// (stats) or expectations (expect), or else flows, from a file of
// another kind.
func (r *Reader) kindErr(stats, expect bool) error {
	if stats != r.h.Stats || !stats && expect != r.h.Expectations {
		return errors.New("snapshot: the file holds " + r.kind())
	}
	return nil
}

func (r *Reader) next(f *format.Flow, e *format.Expect, s *format.Stats) bool {
	if r.err != nil || r.done {
		return false
	}
	if r.err = r.kindErr(s != nil, e != nil); r.err != nil {
		return false
	}
	// The decompressed stream may fail ahead of the records: those
	// before the failure are read first, and counted, unless the failure
	// is the checksum's, which says that they are wrong.
	r.begun = true
	k, err := r.decode(f, e, s)
	switch {
	case err != nil || errors.Is(r.src.err, zstd.ErrCRCMismatch):
		r.err = r.damage(err)
	case k == codec.KindEnd:
		r.done = true
		switch c := r.dec.Count(); {
		case c != r.count:
			r.err = corrupt("the end record counts "+strconv.FormatUint(c, 10)+" records, the file holds "+strconv.FormatUint(r.count, 10), nil)
		case r.h.Count != UnknownCount && r.h.Count != r.count:
			r.err = corrupt("the header counts "+strconv.FormatUint(r.h.Count, 10)+" records, the file holds "+strconv.FormatUint(r.count, 10), nil)
		case r.dec.Buffered() > 0:
			r.err = corrupt("data after the end record", nil)
		default:
			// The frame's end, and its checksum, come after the end record.
			var b [1]byte
			if n, err := r.zr.Read(b[:]); n > 0 || err != io.EOF {
				r.err = r.trailer(err)
			}
		}
		return false
	case k == codec.KindStats:
		return true
	case r.count == r.h.Count:
		// Count is UnknownCount only for files written to a pipe.
		r.err = corrupt("more records than the header's count, "+strconv.FormatUint(r.h.Count, 10), nil)
	default:
		r.count++
		if r.h.CRLF { // a file written before format.QuirkCRLF, or all CR LF
			if f != nil {
				f.Quirks |= format.QuirkCRLF
			} else {
				e.Quirks |= format.QuirkCRLF
			}
		}
		return true
	}
	return false
}

// damage returns the error of a record that could not be read: the
// decompressed stream's, which explains the decoder's, or the decoder's.
func (r *Reader) damage(err error) error {
	after := strconv.FormatUint(r.count, 10) + " records"
	switch {
	case errors.Is(r.src.err, io.ErrUnexpectedEOF):
		return corrupt("the file is cut short after "+after, r.src.err)
	case errors.Is(r.src.err, zstd.ErrCRCMismatch):
		return corrupt("the records' checksum does not match: the file is damaged, and the "+after+" read may be wrong", nil)
	case r.src.err != nil:
		return corrupt("the compressed records are damaged after "+after, r.src.err)
	case err == io.EOF:
		return corrupt("the records end without their end record (a cut file?)", nil)
	}
	return corrupt("after "+after, err)
}

// trailer returns the error of what follows the end record: the damage
// the frame's end shows, a second file, other data.
func (r *Reader) trailer(err error) error {
	switch {
	case errors.Is(err, zstd.ErrMagicMismatch) && string(r.after.last[:]) == Magic[:len(r.after.last)]:
		return corrupt("the file holds a second snapshot after "+strconv.FormatUint(r.count, 10)+" records (concatenated files?)", nil)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, zstd.ErrCRCMismatch):
		r.src.err = err
		return r.damage(err)
	}
	return corrupt("data after the end record", err)
}

// errReader remembers the error, other than io.EOF, that its reader
// returned.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// tail keeps the last bytes read through it: when zstd stops at bytes
// that start no frame, they are the last it read.
type tail struct {
	r    io.Reader
	last [4]byte
}

func (t *tail) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n >= len(t.last) {
		copy(t.last[:], p[n-len(t.last):n])
	} else {
		k := copy(t.last[:], t.last[n:])
		copy(t.last[k:], p[:n])
	}
	return n, err
}

// Count returns the number of records read so far.
func (r *Reader) Count() uint64 { return r.count }

// Close releases the Reader's decoder.
func (r *Reader) Close() {
	if r.blocks != nil {
		r.blocks.close()
		return
	}
	r.zr.Close()
}
