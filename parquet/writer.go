package parquet

import (
	"io"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/ctconv/ctconv/format"
)

// Meta is what a file says of the capture its records were read from: it
// goes on every row (host, captured_at, source_format), so that the files
// of many hosts and hours union in one query.
type Meta struct {
	// Host is the name of the host captured; "" (NULL) when unknown.
	Host string
	// CapturedAt is when the capture was taken; the zero Time (NULL) when
	// unknown. Files hold it in microseconds, in UTC.
	CapturedAt time.Time
	// Source is the name of the encoding the records were read from, as
	// ctconv's --from takes it ("conntrack", "proc", "json"); "" (NULL)
	// when unknown.
	Source string
}

// RowGroupRows is the number of rows of a row group: large enough for
// engines to scan a group's columns in long runs, small enough that a
// Writer holds a group in memory (some 10 MB of a table's flows).
const RowGroupRows = 128 << 10

// batch is the number of rows a Writer fills before it hands them to the
// library.
const batch = 1024

// Writer writes flows to a Parquet file, one row each. Close writes the
// file's footer; the file is incomplete until then.
type Writer struct {
	w     *pq.GenericWriter[flowRow]
	rows  []flowRow
	vals  []flowVals
	addrs addrCache
	n     int
	meta  struct {
		host, source *string
		at           *int64
	}
	err error
}

// NewWriter returns a Writer of flows to w, whose rows carry m.
func NewWriter(w io.Writer, m Meta) *Writer {
	pw := &Writer{
		w: pq.NewGenericWriter[flowRow](w,
			pq.Compression(&pq.Zstd),
			pq.MaxRowsPerRowGroup(RowGroupRows),
			pq.CreatedBy("ctconv", "", ""),
			pq.KeyValueMetadata(recordsKey, "flows"),
		),
		rows: make([]flowRow, batch),
		vals: make([]flowVals, batch),
	}
	if m.Host != "" {
		pw.meta.host = &m.Host
	}
	if m.Source != "" {
		pw.meta.source = &m.Source
	}
	if !m.CapturedAt.IsZero() {
		at := m.CapturedAt.UnixMicro()
		pw.meta.at = &at
	}
	return pw
}

// recordsKey is the key of the footer's metadata that says which records
// a file holds.
const recordsKey = "ctconv.records"

// Write writes the flow f. An error that wraps format.ErrUnprintable
// means that f was not written, and the Writer can go on: a flow whose
// state has no name.
func (w *Writer) Write(f *format.Flow) error {
	if w.err != nil {
		return w.err
	}
	row := &w.rows[w.n]
	row.Host, row.CapturedAt, row.SourceFormat = w.meta.host, w.meta.at, w.meta.source
	if err := row.set(f, &w.vals[w.n], &w.addrs); err != nil {
		return err
	}
	if w.n++; w.n == batch {
		return w.flush()
	}
	return nil
}

// flush hands the rows filled to the library.
func (w *Writer) flush() error {
	if w.n > 0 {
		_, w.err = w.w.Write(w.rows[:w.n])
		w.n = 0
	}
	return w.err
}

// Close writes the rows not yet written and the file's footer. It does
// not close the underlying writer.
func (w *Writer) Close() error {
	if err := w.flush(); err != nil {
		return err
	}
	w.err = w.w.Close()
	return w.err
}
