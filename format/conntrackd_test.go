package format_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// conntrackdFiles are the captures of conntrackd's cache dumps
// (testdata/conntrackd, made by internal/lab/oracle).
var conntrackdFiles = []struct {
	file    string
	f       format.Format
	records int
}{
	{"conntrackd-i.txt", format.Conntrackd, 60},
	{"conntrackd-e.txt", format.Conntrackd, 60},
	{"alarm-conntrackd-i.txt", format.Conntrackd, 0},
	{"alarm-conntrackd-e.txt", format.Conntrackd, 0},
	{"notrack-conntrackd-i.txt", format.Conntrackd, 0},
	{"notrack-conntrackd-e.txt", format.Conntrackd, 0},
	{"conntrackd-i-expect.txt", format.ConntrackdExpect, 2},
	{"conntrackd-e-expect.txt", format.ConntrackdExpect, 2},
	{"conntrackd-i-x.txt", format.ConntrackdXML, 60},
	{"conntrackd-e-x.txt", format.ConntrackdXML, 60},
	{"conntrackd-i-expect-x.txt", format.ConntrackdXMLExpect, 2},
	{"conntrackd-e-expect-x.txt", format.ConntrackdXMLExpect, 2},
}

// readConntrackd reads every record of data in format f (Auto detects it),
// flows or expectations as the format holds, and prints them back with a
// Writer. It returns the flows read, for the flow formats.
func readConntrackd(t *testing.T, data []byte, f format.Format, opts ...format.ScanOption) ([]format.Flow, int, []byte, *format.Scanner, error) {
	t.Helper()
	sc, err := format.NewScanner(bytes.NewReader(data), f, opts...)
	if err != nil {
		t.Fatal(err)
	}
	fm, err := sc.Detect()
	if err != nil {
		return nil, 0, nil, sc, err
	}
	var out bytes.Buffer
	w := format.NewWriter(&out, format.Printer{Format: fm})
	var flows []format.Flow
	n := 0
	if fm.Expectations() {
		var e format.Expect
		for sc.ScanExpect(&e) {
			n++
			if err := w.WriteExpect(&e); err != nil {
				t.Fatalf("record %d: %v", n, err)
			}
		}
	} else {
		var fl format.Flow
		for sc.Scan(&fl) {
			n++
			flows = append(flows, fl)
			if err := w.Write(&fl); err != nil {
				t.Fatalf("record %d: %v", n, err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return flows, n, out.Bytes(), sc, sc.Err()
}

func conntrackdCapture(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "conntrackd", file))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestConntrackdRoundTrip reads each capture of conntrackd's caches, with
// its format named and detected, strict and not, and prints it back byte
// for byte.
func TestConntrackdRoundTrip(t *testing.T) {
	for _, c := range conntrackdFiles {
		data := conntrackdCapture(t, c.file)
		want := c.records
		if want == 0 {
			want = bytes.Count(data, []byte("\n"))
		}
		for _, f := range []format.Format{c.f, format.Auto} {
			for _, strict := range []bool{true, false} {
				var opts []format.ScanOption
				if strict {
					opts = append(opts, format.WithStrict())
				}
				_, n, out, sc, err := readConntrackd(t, data, f, opts...)
				if err != nil || n != want || sc.Format() != c.f {
					t.Errorf("%s as %v (strict %v): %d records of %v, %v; want %d of %v", c.file, f, strict, n, sc.Format(), err, want, c.f)
					continue
				}
				if !bytes.Equal(out, data) {
					t.Errorf("%s as %v prints otherwise:\n%s\nwant\n%s", c.file, f, out, data)
				}
			}
		}
	}
}
