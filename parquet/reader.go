package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"sync"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	pqformat "github.com/parquet-go/parquet-go/format"

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

// Reader reads the records of a Parquet file that Writer wrote, or of any
// file with their columns.
type Reader struct {
	f    *pq.File
	kind Kind
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
	rd = &Reader{f: f, kind: Flows}
	if v, ok := f.Lookup(recordsKey); ok {
		k := slices.Index(kindNames[:], v)
		if k < 0 {
			return nil, &FileError{Msg: "holds records of kind " + v + ", which this version does not know"}
		}
		rd.kind = Kind(k)
	}
	if err := check(r, f, kinds()[rd.kind].schema, size); err != nil {
		return nil, err
	}
	return rd, nil
}

// kinds returns the schemas of the kinds of records, and their leaf
// columns: made once, when a command first reads or writes Parquet, not at
// every start of the program.
var kinds = sync.OnceValue(func() (t [Stats + 1]struct {
	schema *pq.Schema
	leaves []leaf
}) {
	for k, row := range [...]any{Flows: flowRow{}, Expectations: expectRow{}, Stats: statsRow{}} {
		t[k].schema = pq.SchemaOf(row)
		t[k].leaves = leavesOf(t[k].schema)
	}
	return t
})

// Kind returns the kind of records the file holds, as its footer says
// (Flows where it says nothing).
func (r *Reader) Kind() Kind { return r.kind }

// check checks that f, read through r, has the columns of want, of their
// types, and declares no more than a reader takes.
func check(r io.ReaderAt, f *pq.File, want *pq.Schema, size int64) error {
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
	var buf []byte
	if md.NumRows < 0 {
		return &FileError{Msg: "a negative number of rows"}
	}
	for _, rg := range md.RowGroups {
		for _, c := range rg.Columns {
			m := c.MetaData
			if m.TotalUncompressedSize < 0 || m.TotalUncompressedSize > MaxChunk || m.TotalCompressedSize < 0 || m.TotalCompressedSize > size {
				return &FileError{Msg: fmt.Sprintf("a column chunk declares %d bytes (%d compressed), more than the bound of %d or the file's %d", m.TotalUncompressedSize, m.TotalCompressedSize, MaxChunk, size)}
			}
			if err := checkPages(r, &m, &buf); err != nil {
				return err
			}
		}
	}
	return nil
}

// MaxPageHeader bounds the header of a page that a Reader takes.
const MaxPageHeader = 1 << 20

// checkPages reads the headers of the pages of the column chunk m, and
// checks that the pages fill its bytes, and declare no more than them and
// MaxChunk: the library allocates what a page declares before it reads
// it. buf is a buffer to reuse.
func checkPages(r io.ReaderAt, m *pqformat.ColumnMetaData, buf *[]byte) error {
	pos := m.DataPageOffset // where the library starts, as here
	if m.DictionaryPageOffset != 0 {
		pos = m.DictionaryPageOffset
	}
	end := pos + m.TotalCompressedSize
	var uncompressed int64
	for pos < end {
		h, n, err := pageHeader(r, pos, end, buf)
		if err != nil {
			return &FileError{Msg: fmt.Sprintf("the header of a page at %d", pos), Err: err}
		}
		data := int64(h.CompressedPageSize)
		if uncompressed += int64(h.UncompressedPageSize); data < 0 || h.UncompressedPageSize < 0 || pos+n+data > end || uncompressed > MaxChunk {
			return &FileError{Msg: fmt.Sprintf("a page at %d declares %d bytes (%d uncompressed), more than its column chunk holds or the bound of %d", pos, data, h.UncompressedPageSize, MaxChunk)}
		}
		pos += n + data
	}
	return nil
}

// pageHeader reads the header of the page at pos, of a column chunk that
// ends at end, and returns it with its length.
func pageHeader(r io.ReaderAt, pos, end int64, buf *[]byte) (*pqformat.PageHeader, int64, error) {
	for window := int64(64 << 10); ; window = MaxPageHeader {
		n := min(window, end-pos)
		*buf = slices.Grow((*buf)[:0], int(n))[:n]
		if _, err := r.ReadAt(*buf, pos); err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, err
		}
		br := new(thrift.CompactProtocol).NewReaderFromBytes(*buf)
		var h pqformat.PageHeader
		err := thrift.NewDecoder(br).Decode(&h)
		if err == nil {
			return &h, int64(br.(interface{ BytesRead() int }).BytesRead()), nil
		}
		if n < window || window == MaxPageHeader || !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, 0, err
		}
	}
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

// Meta returns what the first row says of the capture, and the footer's
// metadata: the zero Meta for a file of no rows that says nothing.
func (r *Reader) Meta() Meta {
	var m Meta
	c := r.cursor()
	for row, err := range r.rows() {
		if err == nil {
			c.reset(row)
			m.Host, _ = c.str()
			if at, ok := num[int64](&c); ok {
				m.CapturedAt = time.UnixMicro(at).UTC()
			}
			m.Source, _ = c.str()
		}
		break
	}
	if v, ok := r.f.Lookup(optionsKey); ok {
		m.Options.UnmarshalText([]byte(v)) // options of a later version: none
	}
	m.Location, _ = r.f.Lookup(locationKey)
	m.Kernel, _ = r.f.Lookup(kernelKey)
	v, _ := r.f.Lookup(noFooterKey)
	m.NoFooter = v == "true"
	return m
}

// NumRows returns the number of rows the footer declares.
func (r *Reader) NumRows() int64 { return r.f.NumRows() }

// cursor returns a cursor over the rows of the file's kind.
func (r *Reader) cursor() rowCursor {
	return rowCursor{leaves: kinds()[r.kind].leaves, strs: &interner{}}
}

// rows yields each row of the file, its values in the order of the
// columns of its kind (NULL for a column the file lacks), overwritten
// by the next; a damaged page ends them with a *FileError.
func (r *Reader) rows() iter.Seq2[pq.Row, error] {
	return func(yield func(pq.Row, error) bool) {
		buf := make([]pq.Row, 256)
		var pr *pq.Reader
		read1 := func() (n int, err error) {
			defer func() {
				if p := recover(); p != nil {
					n, err = 0, &FileError{Msg: fmt.Sprint("damaged page: ", p)}
				}
			}()
			if pr == nil {
				pr = pq.NewReader(r.f, kinds()[r.kind].schema)
			}
			return pr.ReadRows(buf)
		}
		defer func() {
			if pr != nil {
				pr.Close()
			}
		}()
		var err error
		var read int64
		for err == nil {
			var n int
			n, err = read1()
			if n == 0 && err == nil {
				err = io.EOF // no progress: the count below tells
			}
			read += int64(n)
			for i := range n {
				if !yield(buf[i], nil) {
					return
				}
			}
		}
		if errors.Is(err, io.EOF) && read != r.f.NumRows() {
			err = &FileError{Msg: fmt.Sprintf("%d rows, where the footer declares %d (a damaged file?)", read, r.f.NumRows())}
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

// records yields each record of the file, read from its row by get into
// the Reader's own R, which the next iteration overwrites. A row that
// holds no record yields a *ColumnError, and the loop may go on; a
// damaged file ends with a *FileError. A file of another kind yields
// ErrKind.
func records[R any](r *Reader, k Kind, get func(*rowCursor, *R) error) iter.Seq2[*R, error] {
	return func(yield func(*R, error) bool) {
		if r.kind != k {
			yield(nil, ErrKind)
			return
		}
		var rec R
		var i int64
		c := r.cursor()
		for row, err := range r.rows() {
			if err != nil {
				yield(nil, err)
				return
			}
			c.reset(row)
			if err := get(&c, &rec); err != nil {
				var ce *ColumnError
				if errors.As(err, &ce) {
					ce.Row = i
				}
				if !yield(nil, err) {
					return
				}
			} else if !yield(&rec, nil) {
				return
			}
			i++
		}
	}
}

// Flows returns an iterator over the flows of a file of them. Each is the
// Reader's own, overwritten by the next iteration (copy it to keep it).
// A row that holds no flow yields a *ColumnError, and the loop may go
// on; a damaged file ends with a *FileError.
func (r *Reader) Flows() iter.Seq2[*format.Flow, error] {
	var buf names
	return records(r, Flows, func(c *rowCursor, f *format.Flow) error { return getFlow(c, f, &buf) })
}

// Expects returns an iterator over the expectations of a file of them;
// see Flows.
func (r *Reader) Expects() iter.Seq2[*format.Expect, error] {
	var buf names
	return records(r, Expectations, func(c *rowCursor, x *format.Expect) error { return getExpect(c, x, &buf) })
}

// Stats returns an iterator over the records of the table's counters of a
// file of them; see Flows.
func (r *Reader) Stats() iter.Seq2[*format.Stats, error] {
	return records(r, Stats, getStats)
}
