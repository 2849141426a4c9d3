package snapshot_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

// TestDamage cuts snapshots at every length and flips each of their bytes
// in three ways. Reading a damaged file to its end either fails with an
// error of the package, or gives back exactly the header and records of
// the original: the damage changed nothing that the file holds (a bit
// that zstd does not read, a window larger than the data needs). The
// files are one whose writer set the count, and one written to a pipe.
func TestDamage(t *testing.T) {
	data, err := os.ReadFile("../testdata/corpus/proc.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, seekable := range []bool{true, false} {
		file := writeSnapshot(t, data, seekable)
		want, err := readAll(file)
		if err != nil {
			t.Fatal(err)
		}
		var cuts, flips, harmless int
		check := func(what string, b []byte) {
			got, err := readAll(b)
			switch {
			case err != nil:
				if !errors.Is(err, snapshot.ErrCorrupt) && !errors.Is(err, snapshot.ErrNotSnapshot) && !errors.Is(err, snapshot.ErrVersion) {
					t.Errorf("%s: %v, not an error of the package", what, err)
				}
			case cmp.Diff(want, got, encodingCmp) != "":
				t.Errorf("%s: read as sound, and it differs:\n%s", what, cmp.Diff(want, got, encodingCmp))
			default:
				harmless++
			}
		}
		for n := range file {
			cuts++
			check(fmt.Sprintf("cut at %d of %d", n, len(file)), file[:n])
		}
		for i := range file {
			for _, bits := range []byte{0x01, 0x40, 0xff} {
				flips++
				b := bytes.Clone(file)
				b[i] ^= bits
				check(fmt.Sprintf("byte %d of %d ^ %#x", i, len(file), bits), b)
			}
		}
		t.Logf("seekable %v: %d cuts, %d flips: %d read the same as the original", seekable, cuts, flips, harmless)
	}
}

// writeSnapshot writes the flows of a text capture to a snapshot file: one
// whose writer could go back to set the count if seekable.
func writeSnapshot(t *testing.T, data []byte, seekable bool) []byte {
	t.Helper()
	sc, _ := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Auto, Location: time.UTC})
	fm, err := sc.Detect()
	if err != nil {
		t.Fatal(err)
	}
	var buf writerAt
	var w *snapshot.Writer
	h := snapshot.Header{Created: time.Unix(1795643845, 0), Host: "lab", Source: snapshot.Text(fm), Location: "UTC"}
	if seekable {
		w, err = snapshot.NewWriter(&buf, h)
	} else {
		w, err = snapshot.NewWriter(&buf.b, h)
	}
	if err != nil {
		t.Fatal(err)
	}
	for f, err := range sc.Flows() {
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteFlow(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.b.Bytes()
}

// writerAt is a bytes.Buffer that a Writer can go back in.
type writerAt struct{ b bytes.Buffer }

func (w *writerAt) Write(p []byte) (int, error) { return w.b.Write(p) }

func (w *writerAt) WriteAt(p []byte, off int64) (int, error) {
	return copy(w.b.Bytes()[off:], p), nil
}

// contents is what a snapshot holds: its header, and its flows as JSON.
type contents struct {
	Header snapshot.Header
	Flows  []string
}

// readAll reads a snapshot to its end.
func readAll(b []byte) (contents, error) {
	r, err := snapshot.NewReader(bytes.NewReader(b))
	if err != nil {
		return contents{}, err
	}
	defer r.Close()
	c := contents{Header: r.Header()}
	for f, err := range r.Flows() {
		if err != nil {
			return c, err
		}
		js, err := codec.AppendJSON(nil, f)
		if err != nil { // a flow that damage made, which only the JSON can tell
			js = []byte(err.Error())
		}
		c.Flows = append(c.Flows, string(js))
	}
	return c, nil
}

var encodingCmp = cmp.AllowUnexported(snapshot.Encoding{})
