package format

import "io"

// A Writer writes flows to a stream in one format, with the framing the
// format's documents have: conntrack's XML has a header before the first
// record and a footer after the last, and no output at all without records.
//
// A record's line ends with CR LF when it has QuirkCRLF, as a Scanner reads
// it from such a line, or the Writer's Dialect has CRLF, and with LF
// otherwise; the lines of an XML header end as the first record's, the
// footer as the last's.
type Writer struct {
	// Dialect is what the records are printed in. A program that converts
	// a stream sets it again as its Scanner learns more of its input's
	// (Scanner.Dialect): the options the lines show, and at the end whether
	// an XML document had its footer, before Close.
	Dialect Dialect

	w        io.Writer
	buf      []byte
	records  int
	crlf     bool   // the last record's line ended with CR LF
	statCols uint32 // the counters of the last /proc/net/stat header written
}

// NewWriter returns a Writer of records to w in Dialect d.
func NewWriter(w io.Writer, d Dialect) *Writer {
	return &Writer{Dialect: d, w: w}
}

// Write writes f as one record. A *printError means f was not written and
// the Writer can go on.
func (w *Writer) Write(f *Flow) error {
	var err error
	crlf := f.Quirks&QuirkCRLF != 0 || w.Dialect.CRLF
	w.buf = w.header(w.buf[:0], crlf)
	if w.buf, err = w.Dialect.Append(w.buf, f); err != nil {
		return err
	}
	return w.flush(crlf)
}

// WriteExpect writes e as one record of an expectation format.
func (w *Writer) WriteExpect(e *Expect) error {
	var err error
	crlf := e.Quirks&QuirkCRLF != 0 || w.Dialect.CRLF
	w.buf = w.header(w.buf[:0], crlf)
	if w.buf, err = w.Dialect.AppendExpect(w.buf, e); err != nil {
		return err
	}
	return w.flush(crlf)
}

// WriteStats writes st as one record of a format of the table's counters.
// For ProcStats it writes the header before the first record, and again
// where the counters held change, as a capture of another kernel starts.
func (w *Writer) WriteStats(st *Stats) error {
	var err error
	w.buf = w.buf[:0]
	header := w.Dialect.Format == ProcStats && (w.records == 0 || st.set != w.statCols)
	if header {
		w.buf = appendProcHeader(w.buf, st.set)
	}
	if w.buf, err = w.Dialect.AppendStats(w.buf, st); err != nil {
		return err
	}
	if header {
		w.statCols = st.set
	}
	return w.flush(w.Dialect.CRLF)
}

// header appends the document's header before the first record, its lines
// ended as the record's.
func (w *Writer) header(dst []byte, crlf bool) []byte {
	if root := w.Dialect.Format.root(); w.records == 0 && root != "" {
		dst = eol(append(dst, xmlHeader...), crlf)
		dst = eol(append(append(append(dst, '<'), root...), '>'), crlf)
	}
	return dst
}

// flush writes the buffered record, whose line the printer ended with LF.
func (w *Writer) flush(crlf bool) error {
	if crlf {
		w.buf = eol(w.buf[:len(w.buf)-1], true)
	}
	_, err := w.w.Write(w.buf)
	w.records++
	w.crlf = crlf
	return err
}

// eol ends a line of dst with CR LF if crlf is set, with LF otherwise.
func eol(dst []byte, crlf bool) []byte {
	if crlf {
		dst = append(dst, '\r')
	}
	return append(dst, '\n')
}

// Records returns the number of records written.
func (w *Writer) Records() int { return w.records }

// Close writes what ends the document, if anything; it does not close the
// underlying writer.
func (w *Writer) Close() error {
	root := w.Dialect.Format.root()
	if w.records == 0 || root == "" || w.Dialect.NoFooter {
		return nil
	}
	w.buf = eol(append(append(append(w.buf[:0], "</"...), root...), '>'), w.crlf)
	_, err := w.w.Write(w.buf)
	return err
}
