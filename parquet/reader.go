package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/ctconv/ctconv/format"
)

// Magic is what a Parquet file starts and ends with.
const Magic = "PAR1"

// The bounds of what a Reader takes, so that a hostile file costs little
// memory: a footer of at most MaxFooter bytes, column chunks of at most
// MaxChunk bytes each, uncompressed (a decompression bomb declares more).
const (
	MaxFooter = 64 << 20
	MaxChunk  = 512 << 20
)

// Reader reads the flows of a Parquet file that Writer wrote, or any file
// with its columns.
type Reader struct {
	f    *pq.File
	meta Meta
}

// NewReader opens the Parquet file r of size bytes. It reads the footer
// and checks the schema; Flows reads the rows.
func NewReader(r io.ReaderAt, size int64) (rd *Reader, err error) {
	var tail [8]byte
	if size < 12 {
		return nil, ErrNotParquet
	}
	var head [4]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, &FileError{Msg: "reading its start", Err: err}
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, &FileError{Msg: "reading its end", Err: err}
	}
	if string(head[:]) != Magic || string(tail[4:]) != Magic {
		return nil, ErrNotParquet
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 || n > MaxFooter {
		return nil, &FileError{Msg: fmt.Sprintf("the footer declares %d bytes, more than the file's %d or the bound of %d (a cut or damaged file?)", n, size, MaxFooter)}
	}
	defer func() {
		if p := recover(); p != nil {
			rd, err = nil, &FileError{Msg: fmt.Sprint("damaged footer: ", p)}
		}
	}()
	f, err := pq.OpenFile(r, size, pq.SkipPageIndex(true), pq.SkipBloomFilters(true), pq.ReadBufferSize(64<<10))
	if err != nil {
		return nil, &FileError{Msg: "damaged or cut", Err: err}
	}
	if err := check(f, size); err != nil {
		return nil, err
	}
	rd = &Reader{f: f}
	if v, ok := f.Lookup(recordsKey); ok && v != "flows" {
		return nil, &FileError{Msg: "holds " + v + ", which this version reads not"}
	}
	return rd, nil
}

// check checks that f has the columns of flows, of their types, and
// declares no more than a reader takes.
func check(f *pq.File, size int64) error {
	want := pq.SchemaOf(flowRow{})
	got := f.Schema()
	for _, path := range want.Columns() {
		wl, _ := want.Lookup(path...)
		gl, ok := got.Lookup(path...)
		if !ok {
			if isNullable(want, path) {
				continue // NULL in every row: a file of an earlier version
			}
			return &FileError{Msg: "no column " + pathName(path)}
		}
		if wl.Node.Type().Kind() != gl.Node.Type().Kind() || wl.MaxRepetitionLevel != gl.MaxRepetitionLevel {
			return &FileError{Msg: "column " + pathName(path) + " is of type " + gl.Node.Type().String() + ", not " + wl.Node.Type().String()}
		}
	}
	md := f.Metadata()
	if md.NumRows < 0 {
		return &FileError{Msg: "a negative number of rows"}
	}
	for _, rg := range md.RowGroups {
		for _, c := range rg.Columns {
			m := c.MetaData
			if m.TotalUncompressedSize < 0 || m.TotalUncompressedSize > MaxChunk || m.TotalCompressedSize < 0 || m.TotalCompressedSize > size {
				return &FileError{Msg: fmt.Sprintf("a column chunk declares %d bytes (%d compressed), more than the bound of %d or the file's %d", m.TotalUncompressedSize, m.TotalCompressedSize, MaxChunk, size)}
			}
		}
	}
	return nil
}

// isNullable reports whether the column at path of s may be NULL.
func isNullable(s *pq.Schema, path []string) bool {
	var n pq.Node = s
	for _, name := range path {
		for _, f := range n.Fields() {
			if f.Name() == name {
				n = f
				break
			}
		}
		if n.Optional() {
			return true
		}
	}
	return false
}

func pathName(path []string) string {
	s := ""
	for i, p := range path {
		if i > 0 {
			s += "."
		}
		s += p
	}
	return s
}

// Meta returns what the first row says of the capture; the zero Meta for
// a file of no rows.
func (r *Reader) Meta() Meta {
	var m Meta
	for f, err := range r.rows() {
		if err == nil {
			m = f.meta()
		}
		break
	}
	return m
}

func (row *flowRow) meta() Meta {
	var m Meta
	if row.Host != nil {
		m.Host = *row.Host
	}
	if row.SourceFormat != nil {
		m.Source = *row.SourceFormat
	}
	if row.CapturedAt != nil {
		m.CapturedAt = time.UnixMicro(*row.CapturedAt).UTC()
	}
	return m
}

// NumRows returns the number of rows the footer declares.
func (r *Reader) NumRows() int64 { return r.f.NumRows() }

// rows yields each row of the file; a damaged page ends them with a
// *FileError.
func (r *Reader) rows() iter.Seq2[*flowRow, error] {
	return func(yield func(*flowRow, error) bool) {
		rows := make([]flowRow, 256)
		var err error
		gr := pq.NewGenericReader[flowRow](r.f)
		defer gr.Close()
		read := func() (n int, err error) {
			defer func() {
				if p := recover(); p != nil {
					n, err = 0, &FileError{Msg: fmt.Sprint("damaged page: ", p)}
				}
			}()
			clear(rows)
			return gr.Read(rows)
		}
		for {
			var n int
			n, err = read()
			for i := range n {
				if !yield(&rows[i], nil) {
					return
				}
			}
			if err != nil {
				break
			}
		}
		if !errors.Is(err, io.EOF) {
			var fe *FileError
			if !errors.As(err, &fe) {
				err = &FileError{Msg: "damaged or cut", Err: err}
			}
			yield(nil, err)
		}
	}
}

// Flows returns an iterator over the file's flows. Each is the Reader's
// own, overwritten by the next iteration. A row that holds no flow
// yields a *ColumnError, and the loop may go on; a damaged file ends
// with a *FileError.
func (r *Reader) Flows() iter.Seq2[*format.Flow, error] {
	return func(yield func(*format.Flow, error) bool) {
		var f format.Flow
		var i int64
		for row, err := range r.rows() {
			if err != nil {
				yield(nil, err)
				return
			}
			if err := row.flow(&f); err != nil {
				var ce *ColumnError
				if errors.As(err, &ce) {
					ce.Row = i
				}
				if !yield(nil, err) {
					return
				}
			} else if !yield(&f, nil) {
				return
			}
			i++
		}
	}
}
