package snapshot_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

// TestCRLFBeforeQuirk reads snapshots that ctconv wrote before records
// carried format.QuirkCRLF, of captures whose line ends were mixed: their
// header says CRLF, and they print as they did then, every line with CR
// LF. Each record reads with the quirk, so that JSON and new snapshots
// made from them print the same.
func TestCRLFBeforeQuirk(t *testing.T) {
	for _, c := range []struct{ snap, source string }{
		{"testdata/crlf-header-flows.ctsnap", "../testdata/corpus/conntrack-L-crlf.txt"},
		{"testdata/crlf-header-expect.ctsnap", "../testdata/corpus/xml-expect-E-crlf.txt"},
	} {
		snap, err := os.ReadFile(c.snap)
		if err != nil {
			t.Fatal(err)
		}
		source, err := os.ReadFile(c.source)
		if err != nil {
			t.Fatal(err)
		}
		want := bytes.ReplaceAll(bytes.ReplaceAll(source, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		r, err := snapshot.NewReader(bytes.NewReader(snap))
		if err != nil {
			t.Fatal(err)
		}
		h := r.Header()
		n := 0
		var rerr error
		if h.Expectations {
			for e, err := range r.Expects() {
				if rerr = err; err != nil {
					break
				}
				n++
				if e.Quirks&format.QuirkCRLF == 0 {
					t.Errorf("%s: expectation %d without QuirkCRLF", c.snap, n)
				}
			}
		} else {
			for f, err := range r.Flows() {
				if rerr = err; err != nil {
					break
				}
				n++
				if f.Quirks&format.QuirkCRLF == 0 {
					t.Errorf("%s: flow %d without QuirkCRLF", c.snap, n)
				}
			}
		}
		r.Close()
		if rerr != nil || !h.CRLF || n == 0 {
			t.Fatalf("%s: %d records, header CRLF %v, %v", c.snap, n, h.CRLF, rerr)
		}
		if got := textOf(t, snap, h); !bytes.Equal(got, want) {
			t.Errorf("%s prints\n%q\nwant\n%q", c.snap, got, want)
		}
	}
}

// TestCRLFHeader checks the header a Writer sets where it can seek: CRLF,
// which readers before QuirkCRLF honour, when every record has the quirk,
// and not when some line ended with LF alone.
func TestCRLFHeader(t *testing.T) {
	for _, c := range []struct {
		name  string
		quirk []bool
		crlf  bool
	}{
		{"none", nil, false},
		{"all", []bool{true, true, true}, true},
		{"mixed", []bool{true, false, true}, false},
		{"LF", []bool{false, false}, false},
	} {
		file, err := os.Create(filepath.Join(t.TempDir(), c.name+".ctsnap"))
		if err != nil {
			t.Fatal(err)
		}
		w, err := snapshot.NewWriter(file, snapshot.Header{Created: time.Unix(1795643845, 0), Source: snapshot.Text(format.Proc)})
		if err != nil {
			t.Fatal(err)
		}
		var f format.Flow
		if err := new(format.Dialect{Format: format.Proc}).Parse([]byte(flowA), &f); err != nil {
			t.Fatal(err)
		}
		for _, q := range c.quirk {
			f.Quirks &^= format.QuirkCRLF
			if q {
				f.Quirks |= format.QuirkCRLF
			}
			if err := w.WriteFlow(&f); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := file.Seek(0, 0); err != nil {
			t.Fatal(err)
		}
		r, err := snapshot.NewReader(file)
		if err != nil {
			t.Fatal(err)
		}
		var got []bool
		var rerr error
		for f, err := range r.Flows() {
			if rerr = err; err != nil {
				break
			}
			got = append(got, f.Quirks&format.QuirkCRLF != 0)
		}
		r.Close()
		file.Close()
		if rerr != nil || r.Header().CRLF != c.crlf || len(got) != len(c.quirk) {
			t.Errorf("%s: header CRLF %v, want %v; %d records; %v", c.name, r.Header().CRLF, c.crlf, len(got), rerr)
		}
		for i := range got {
			if got[i] != c.quirk[i] {
				t.Errorf("%s: record %d reads QuirkCRLF %v", c.name, i, got[i])
			}
		}
	}
}
