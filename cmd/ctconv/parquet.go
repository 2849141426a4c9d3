package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"iter"
	"os"
	"strconv"
	"strings"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/parquet"
	"github.com/ctconv/ctconv/snapshot"
)

// parquetEncoding is Parquet, which package parquet reads and writes, and
// package snapshot knows only by name: the seam between them is here.
var parquetEncoding = snapshot.External("parquet")

// parseEncoding returns the encoding named name: Parquet, or one of
// package snapshot's.
func parseEncoding(name string) (snapshot.Encoding, error) {
	if name == parquetEncoding.String() {
		return parquetEncoding, nil
	}
	enc, err := snapshot.ParseEncoding(name)
	if err != nil {
		err = errors.New("unknown format " + strconv.Quote(name) + meant(name) + " (want one of auto, " + encodings() + ")")
	}
	return enc, err
}

// formatAliases are names that people give ctconv's formats, by the name
// ctconv gives them.
var formatAliases = map[string]string{
	"jsonl": "json", "ndjson": "json", "jsonlines": "json", "json-lines": "json",
	"nf_conntrack": "proc", "nf-conntrack": "proc",
	"ip_conntrack": "iplegacy", "ip-conntrack": "iplegacy", "legacy": "iplegacy",
	"ctsnap": "snapshot", "snap": "snapshot", "msgpack": "snapshot",
	"pq": "parquet",
}

// meant returns ": did you mean NAME?" where name, not the name of a
// format, is one in other letters' case, or a name people give it; ""
// otherwise.
func meant(name string) string {
	lower := strings.ToLower(name)
	if alias, ok := formatAliases[lower]; ok {
		lower = alias
	}
	if lower == name {
		return ""
	}
	if _, err := snapshot.ParseEncoding(lower); err != nil && lower != parquetEncoding.String() {
		return ""
	}
	return ": did you mean " + lower + "?"
}

// isParquet reports whether the input is a Parquet file, given as enc
// or, with auto, by its magic; it keeps what it peeked at for the reader.
func (in *input) isParquet(enc snapshot.Encoding) bool {
	if enc == parquetEncoding {
		return true
	}
	if !enc.IsAuto() {
		return false
	}
	// A regular file, as track gives it, is read where it is; not any
	// ReaderAt: standard input is an *os.File, whose ReadAt fails on a
	// pipe, and reads from the file's start, not from where it is.
	if sr, ok := in.Reader.(*io.SectionReader); ok {
		b := make([]byte, len(parquet.Magic))
		n, _ := sr.ReadAt(b, 0)
		return string(b[:n]) == parquet.Magic
	}
	br := bufio.NewReaderSize(in.Reader, 64<<10) // snapshot.Open takes it as it is
	in.Reader = br
	b, _ := br.Peek(len(parquet.Magic))
	return string(b) == parquet.Magic
}

// parquet opens the input as a Parquet file: a regular file where it is,
// any other input (a pipe) read into memory first, as Parquet's footer
// is at its end.
func (in *input) parquet() (*snapshot.Input, error) {
	var ra io.ReaderAt
	var size int64
	if fi, err := statRegular(in.file); err == nil && fi != nil {
		ra, size = in.file, fi.Size()
	} else {
		b, err := io.ReadAll(in.Reader)
		if err != nil {
			return nil, err
		}
		ra, size = bytes.NewReader(b), int64(len(b))
	}
	r, err := parquet.NewReader(ra, size)
	if err != nil {
		return nil, err
	}
	m := r.Meta()
	enc := snapshot.JSON // what the records print as without --to: their source's
	if e, err := snapshot.ParseEncoding(m.Source); err == nil && !e.IsAuto() {
		enc = e
	}
	h := snapshot.Header{Created: m.CapturedAt, Host: m.Host, Kernel: m.Kernel, Source: enc, Options: m.Options, Location: m.Location,
		Footer: !m.NoFooter, Tool: "ctconv", Expectations: r.Kind() == parquet.Expectations, Stats: r.Kind() == parquet.Stats,
		Count: uint64(r.NumRows())}
	return snapshot.FromSource(parquetSource{r, h}, enc), nil
}

// statRegular returns the FileInfo of f if it is a regular file whose
// position is at its start (not a pipe, nor a file read in part).
func statRegular(f *os.File) (os.FileInfo, error) {
	if f == nil {
		return nil, nil
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, err
	}
	return fi, nil
}

// parquetSource is a Parquet file's flows, as snapshot's Source.
type parquetSource struct {
	r *parquet.Reader
	h snapshot.Header // as a snapshot's, of what the file says of its capture
}

func (s parquetSource) Header() (snapshot.Header, bool) { return s.h, true }

func (s parquetSource) Flows() iter.Seq2[*format.Flow, error]     { return s.r.Flows() }
func (s parquetSource) Expects() iter.Seq2[*format.Expect, error] { return s.r.Expects() }
func (s parquetSource) Stats() iter.Seq2[*format.Stats, error]    { return s.r.Stats() }
func (s parquetSource) Expectations() bool                        { return s.r.Kind() == parquet.Expectations }
func (s parquetSource) Statistics() bool                          { return s.r.Kind() == parquet.Stats }
func (s parquetSource) Close() error                              { return nil }

// parquetSink writes records to a Parquet file, as snapshot's Sink.
type parquetSink struct{ *parquet.Writer }

// newParquetSink returns a Sink of a Parquet file of records of kind k
// written to w, whose rows carry what h says of the capture.
func newParquetSink(w io.Writer, k parquet.Kind, h snapshot.Header) parquetSink {
	m := parquet.Meta{Host: h.Host, CapturedAt: h.Created.UTC(), Source: h.Source.String(), Options: h.Options, Location: h.Location, Kernel: h.Kernel}
	if h.Source.IsAuto() {
		m.Source = ""
	}
	return parquetSink{parquet.NewWriter(w, k, m)}
}

func (s parquetSink) WriteFlow(f *format.Flow) error { return s.Write(f) }
