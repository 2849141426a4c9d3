package format_test

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// streamOnly hides a reader's ReadAt, Seek and Size: a Scanner reads it
// as a stream, not as a file whose chunks the workers read.
type streamOnly struct{ r io.Reader }

func (s streamOnly) Read(b []byte) (int, error) { return s.r.Read(b) }

// FuzzFileMode checks that a parallel scan of a file (a *bytes.Reader,
// or an *io.SectionReader) given already partly read, cut in chunks of 1
// to 256 bytes, tells all that a serial scan of the stream from there
// tells, with Flows in loops that stop and go on, and with EachFlow.
func FuzzFileMode(f *testing.F) {
	for _, file := range captures(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:min(len(data), 3000)], uint16(0), byte(0), byte(0), false)
		f.Add(data[:min(len(data), 3000)], uint16(17), byte(30), byte(3), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, skip uint16, chunk, every byte, section bool) {
		k := int(skip) % (len(data) + 1)
		file := func() io.Reader {
			var r io.Reader = bytes.NewReader(data)
			if section {
				r = io.NewSectionReader(bytes.NewReader(data), 0, int64(len(data)))
			}
			if _, err := io.CopyN(io.Discard, r, int64(k)); err != nil {
				t.Fatal(err)
			}
			return r
		}
		d := format.Dialect{Format: format.Auto}
		opts := []format.ScanOption{format.WithMaxLine(512)}
		par := append(opts[:len(opts):len(opts)], format.WithWorkers(2), format.WithChunk(1+int(chunk)))
		want := trace(t, streamOnly{bytes.NewReader(data[k:])}, d, int(every%8), opts...)
		if got := trace(t, file(), d, int(every%8), par...); got != want {
			t.Fatalf("from %d, chunks of %d: parallel differs:\n%s", k, 1+int(chunk), firstDiff(want, got))
		}
		want, _ = eachTrace(t, streamOnly{bytes.NewReader(data[k:])}, d, opts...)
		if got, _ := eachTrace(t, file(), d, par...); got != want {
			t.Fatalf("EachFlow from %d, chunks of %d: parallel differs:\n%s", k, 1+int(chunk), firstDiff(want, got))
		}
	})
}
