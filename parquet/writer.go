package parquet

import (
	"errors"
	"io"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/ctconv/ctconv/format"
)

// Kind is the kind of records a file holds: each has its own columns.
type Kind uint8

// The kinds of records.
const (
	Flows Kind = iota
	Expectations
	Stats // the table's counters
)

var kindNames = [...]string{Flows: "flows", Expectations: "expectations", Stats: "stats"}

// String returns the kind's name, as the footer's metadata holds it
// (key "ctconv.records").
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind " + itoa(int64(k))
}

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
	// Options are the conntrack -o options the source showed, and
	// Location the zone of its local times (a name, as time.Location's
	// String): with them, the records print back as the source's text.
	// The footer's metadata holds them (ctconv.options, ctconv.location).
	Options  format.Options
	Location string
}

// RowGroupRows is the number of rows of a row group: large enough for
// engines to scan a group's columns in long runs, small enough that a
// Writer holds a group in memory (some 10 MB of a table's flows).
const RowGroupRows = 128 << 10

// batch is the number of rows a Writer fills before it hands them to the
// library.
const batch = 1024

// The keys of the footer's metadata: the kind of records a file holds,
// and Meta's Options and Location.
const (
	recordsKey  = "ctconv.records"
	optionsKey  = "ctconv.options"
	locationKey = "ctconv.location"
)

// ErrKind says that a record is not of the kind a Writer writes.
var ErrKind = errors.New("parquet: a record of another kind than the file's")

// Writer writes records of one kind to a Parquet file, one row each.
// Close writes the file's footer; the file is incomplete until then.
type Writer struct {
	kind    Kind
	flows   *flowColumns
	expects *table[expectRow, expectVals]
	stats   *table[statsRow, statsVals]
	capture capture
	addrs   addrCache
	// pw is the table's, for the footer's metadata.
	pw interface{ SetKeyValueMetadata(key, value string) }
}

// NewWriter returns a Writer of records of kind k to w, whose rows carry
// m.
func NewWriter(w io.Writer, k Kind, m Meta) *Writer {
	pw := &Writer{kind: k}
	if m.Host != "" {
		pw.capture.Host = &m.Host
	}
	if m.Source != "" {
		pw.capture.SourceFormat = &m.Source
	}
	if !m.CapturedAt.IsZero() {
		at := m.CapturedAt.UnixMicro()
		pw.capture.CapturedAt = &at
	}
	switch k {
	case Expectations:
		pw.expects = newTable[expectRow, expectVals](w, k)
		pw.pw = pw.expects.w
	case Stats:
		pw.stats = newTable[statsRow, statsVals](w, k)
		pw.pw = pw.stats.w
	default:
		pw.flows = newFlowColumns(w)
		pw.pw = pw.flows.w
	}
	pw.SetOptions(m.Options)
	if m.Location != "" {
		pw.pw.SetKeyValueMetadata(locationKey, m.Location)
	}
	return pw
}

// SetOptions sets the conntrack options the source showed (Meta.Options),
// which a caller may know only once it has read the records.
func (w *Writer) SetOptions(o format.Options) {
	w.pw.SetKeyValueMetadata(optionsKey, o.String())
}

// Kind returns the kind of records the Writer writes.
func (w *Writer) Kind() Kind { return w.kind }

// Write writes the flow f. An error that wraps format.ErrUnprintable
// means that f was not written, and the Writer can go on: a flow whose
// state has no name.
func (w *Writer) Write(f *format.Flow) error {
	if w.flows == nil {
		return ErrKind
	}
	return w.flows.write(f, &w.capture, &w.addrs)
}

// WriteExpect writes the expectation x, as Write writes a flow.
func (w *Writer) WriteExpect(x *format.Expect) error {
	if w.expects == nil {
		return ErrKind
	}
	return put(w.expects, w.capture, func(row *expectRow, v *expectVals) error { return row.set(x, v, &w.addrs) })
}

// WriteStats writes a record of the table's counters, as Write writes a
// flow.
func (w *Writer) WriteStats(s *format.Stats) error {
	if w.stats == nil {
		return ErrKind
	}
	return put(w.stats, w.capture, func(row *statsRow, v *statsVals) error { return row.set(s, v, &w.addrs) })
}

// Close writes the rows not yet written and the file's footer. It does
// not close the underlying writer.
func (w *Writer) Close() error {
	switch {
	case w.flows != nil:
		return w.flows.close()
	case w.expects != nil:
		return w.expects.close()
	}
	return w.stats.close()
}

// table writes rows of type Row, a batch at a time, each filled through
// values V of its own, so that no row allocates. While the library
// encodes and compresses one batch, in a goroutine of its own, the
// caller fills the other.
type table[Row, V any] struct {
	w    *pq.GenericWriter[Row]
	bufs [2]tableBuf[Row, V]
	cur  int // the batch being filled
	n    int // its rows filled
	// done gives the result of the batch in the library's hands, if
	// busy.
	done chan error
	busy bool
	err  error
}

type tableBuf[Row, V any] struct {
	rows []Row
	vals []V
}

func newTable[Row, V any](w io.Writer, k Kind) *table[Row, V] {
	t := &table[Row, V]{w: newGenericWriter[Row](w, k), done: make(chan error, 1)}
	for i := range t.bufs {
		t.bufs[i] = tableBuf[Row, V]{make([]Row, batch), make([]V, batch)}
	}
	return t
}

// newGenericWriter returns the library's writer of a file of records
// of kind k, in rows of type Row.
func newGenericWriter[Row any](w io.Writer, k Kind) *pq.GenericWriter[Row] {
	return pq.NewGenericWriter[Row](w,
		pq.Compression(&zstdCodec),
		// The footer's statistics, not the pages', as the pages'
		// bounds cost a tenth of the writing.
		pq.DataPageStatistics(false),
		pq.MaxRowsPerRowGroup(RowGroupRows),
		pq.CreatedBy("ctconv", "", ""),
		pq.KeyValueMetadata(recordsKey, k.String()),
	)
}

// zstdCodec compresses pages at zstd's fastest level: the columns are
// repetitive, and the file is written as fast as JSON Lines.
var zstdCodec = zstd.Codec{Level: zstd.SpeedFastest}

// capturer is a row, whose capture's columns put sets.
type capturer interface{ setCapture(capture) }

func (c *capture) setCapture(v capture) { *c = v }

// put fills the next row with c and set, and hands the batch to the
// library when it is full.
func put[Row any, V any, P interface {
	*Row
	capturer
}](t *table[Row, V], c capture, set func(*Row, *V) error) error {
	if t.err != nil {
		return t.err
	}
	b := &t.bufs[t.cur]
	row := &b.rows[t.n]
	P(row).setCapture(c)
	if err := set(row, &b.vals[t.n]); err != nil {
		return err
	}
	if t.n++; t.n == batch {
		return t.flush()
	}
	return nil
}

// wait waits for the batch in the library's hands.
func (t *table[Row, V]) wait() error {
	if t.busy {
		t.busy = false
		if err := <-t.done; t.err == nil {
			t.err = err
		}
	}
	return t.err
}

// flush hands the rows filled to the library, and goes on to fill the
// other batch once the library is done with it.
func (t *table[Row, V]) flush() error {
	if t.wait() != nil || t.n == 0 {
		return t.err
	}
	rows := t.bufs[t.cur].rows[:t.n]
	t.busy = true
	go func() {
		_, err := t.w.Write(rows)
		t.done <- err
	}()
	t.cur, t.n = 1-t.cur, 0
	return nil
}

func (t *table[Row, V]) close() error {
	if err := t.flush(); err != nil {
		return err
	}
	if err := t.wait(); err != nil {
		return err
	}
	t.err = t.w.Close()
	return t.err
}
