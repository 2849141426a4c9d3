package format

import "io"

// A Writer writes flows to a stream in one format, with the framing the
// format's documents have: conntrack's XML has a header before the first
// record and a footer after the last, and no output at all without records.
type Writer struct {
	Printer
	// Footer says whether Close writes the XML footer, as conntrack -L does,
	// and conntrack -E when it is interrupted. NewWriter sets it.
	Footer bool
	// CRLF ends the lines written next with CR LF, as Windows documents do.
	CRLF bool

	w       io.Writer
	buf     []byte
	records int
}

// NewWriter returns a Writer of flows to w with p.
func NewWriter(w io.Writer, p Printer) *Writer {
	return &Writer{Printer: p, Footer: true, w: w}
}

// Write writes f as one record. A *PrintError means f was not written and
// the Writer can go on.
func (w *Writer) Write(f *Flow) error {
	var err error
	w.buf = w.header(w.buf[:0])
	if w.buf, err = w.Append(w.buf, f); err != nil {
		return err
	}
	return w.flush()
}

// WriteExpect writes e as one record of an expectation format.
func (w *Writer) WriteExpect(e *Expect) error {
	var err error
	w.buf = w.header(w.buf[:0])
	if w.buf, err = w.AppendExpect(w.buf, e); err != nil {
		return err
	}
	return w.flush()
}

// header appends the document's header before the first record.
func (w *Writer) header(dst []byte) []byte {
	if root := w.Format.root(); w.records == 0 && root != "" {
		dst = w.line(append(append(append(dst, xmlHeader+"\n<"...), root...), ">\n"...))
	}
	return dst
}

// flush writes the buffered record.
func (w *Writer) flush() error {
	var err error
	if w.CRLF {
		w.buf = append(w.buf[:len(w.buf)-1], '\r', '\n')
	}
	_, err = w.w.Write(w.buf)
	w.records++
	return err
}

// line turns the line ends of a header into CR LF when the Writer writes
// those.
func (w *Writer) line(b []byte) []byte {
	if !w.CRLF {
		return b
	}
	out := make([]byte, 0, len(b)+4)
	for _, c := range b {
		if c == '\n' {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// Records returns the number of records written.
func (w *Writer) Records() int { return w.records }

// Close writes what ends the document, if anything; it does not close the
// underlying writer.
func (w *Writer) Close() error {
	root := w.Format.root()
	if w.records == 0 || root == "" || !w.Footer {
		return nil
	}
	_, err := w.w.Write(w.line([]byte("</" + root + ">\n")))
	return err
}
