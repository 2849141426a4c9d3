package parquet

import (
	"errors"
	"io"
	"time"

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
	// NoFooter says, as format.Dialect's, that the source was an XML
	// document without its closing tag (conntrack -E -o xml stopped), which
	// its records print back without (ctconv.no-footer: "true").
	NoFooter bool
	// Kernel is the release of the kernel of the host captured; ""
	// when unknown (ctconv.kernel).
	Kernel string
}

// RowGroupRows is the number of rows of a row group: large enough for
// engines to scan a group's columns in long runs, small enough that a
// Writer holds a group in memory while it writes the one before (the
// two take about 100 MB of a busy gateway's flows).
const RowGroupRows = 128 << 10

// The keys of the footer's metadata: the kind of records a file holds,
// and what Meta says of its source but for the columns.
const (
	recordsKey  = "ctconv.records"
	optionsKey  = "ctconv.options"
	locationKey = "ctconv.location"
	noFooterKey = "ctconv.no-footer"
	kernelKey   = "ctconv.kernel"
)

// ErrKind says that a record is not of the kind a Writer writes.
var ErrKind = errors.New("parquet: a record of another kind than the file's")

// Writer writes records of one kind to a Parquet file, one row each. A
// goroutine of its own encodes and writes a row group while the next
// fills. Close writes the file's footer, and ends the goroutine; the file
// is incomplete until then.
type Writer struct {
	kind Kind
	fw   *fileWriter
	// capture is the capture's columns, which every row starts with.
	capture capture
	// names holds the lists of names of a row (status, labels, quirks;
	// an expectation's flags).
	names [3][]string
}

// NewWriter returns a Writer of records of kind k to w, whose rows carry
// m.
func NewWriter(w io.Writer, k Kind, m Meta) *Writer {
	t := kinds()
	schema := t[Flows].schema
	if int(k) < len(t) {
		schema = t[k].schema
	}
	meta := map[string]string{recordsKey: k.String()}
	for key, v := range map[string]string{locationKey: m.Location, kernelKey: m.Kernel} {
		if v != "" {
			meta[key] = v
		}
	}
	pw := &Writer{kind: k, fw: newFileWriter(w, schema, meta)}
	pw.SetDialect(format.Dialect{Options: m.Options, NoFooter: m.NoFooter})
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
	return pw
}

// SetDialect sets what the source showed of its dialect (Meta.Options
// and NoFooter), which a caller may know only once it has read the
// records.
func (w *Writer) SetDialect(d format.Dialect) {
	w.fw.meta[optionsKey] = d.Options.String()
	if d.NoFooter {
		w.fw.meta[noFooterKey] = "true"
	} else {
		delete(w.fw.meta, noFooterKey)
	}
}

// Kind returns the kind of records the Writer writes.
func (w *Writer) Kind() Kind { return w.kind }

// Write writes the flow f. An error that wraps format.ErrUnprintable
// means that f was not written, and the Writer can go on: a flow whose
// state has no name.
func (w *Writer) Write(f *format.Flow) error {
	return w.put(Flows, func(g *group, c *capture) error { return putFlow(g, c, f, &w.names) })
}

// WriteExpect writes the expectation x, as Write writes a flow.
func (w *Writer) WriteExpect(x *format.Expect) error {
	return w.put(Expectations, func(g *group, c *capture) error { return putExpect(g, c, x, &w.names) })
}

// WriteStats writes a record of the table's counters, as Write writes a
// flow.
func (w *Writer) WriteStats(s *format.Stats) error {
	return w.put(Stats, func(g *group, c *capture) error { return putStats(g, c, s) })
}

// put fills a row of kind k with fill, which checks its record, then puts
// the capture's columns and the record's.
func (w *Writer) put(k Kind, fill func(*group, *capture) error) error {
	if w.kind != k {
		return ErrKind
	}
	if w.fw.err != nil {
		return w.fw.err
	}
	if err := fill(w.fw.cur, &w.capture); err != nil {
		return err
	}
	return w.fw.endRow()
}

// capture puts the capture's columns.
func (g *group) capture(c *capture) {
	g.optStr(deref(c.Host), c.Host != nil)
	optInt(g, deref(c.CapturedAt), c.CapturedAt != nil)
	g.optStr(deref(c.SourceFormat), c.SourceFormat != nil)
}

// Close writes the rows not yet written and the file's footer. It does
// not close the underlying writer.
func (w *Writer) Close() error { return w.fw.close() }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
