package format_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
)

// corpusFiles returns the real captures and the hand-written legacy lines.
func corpusFiles(t testing.TB) []string {
	return append(corpustest.Paths(t, "*"), "testdata/iplegacy.txt", "testdata/proc-other-kernels.txt")
}

// wildDir is where the third-party captures are; tests skip when it is absent.
func wildDir(t testing.TB) string {
	dir := os.Getenv("CTCONV_WILD")
	if dir == "" {
		dir = "../../shared/wild"
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("third-party captures not found at %s (set CTCONV_WILD): %v", dir, err)
	}
	return dir
}

// roundTrip parses every line of data as f, prints it again with the
// options the lines show, and compares.
func roundTrip(t *testing.T, name string, f format.Format, data []byte) int {
	t.Helper()
	var fl format.Flow
	var out []byte
	n := 0
	p := format.Dialect{Format: f, Location: time.UTC}
	sc := bufio.NewScanner(bytes.NewReader(data))
	var e format.Expect
	for sc.Scan() {
		n++
		var err error
		if f.Expectations() {
			err = p.ParseExpect(sc.Bytes(), &e)
		} else {
			err = p.Parse(sc.Bytes(), &fl)
		}
		if errors.Is(err, format.ErrNoRecord) {
			continue // XML's header and footer, which TestCorpusScanner checks
		} else if err != nil {
			t.Errorf("%s:%d: %v", name, n, err)
			continue
		}
		pr := format.Dialect{Format: f, Options: shown(t, p, sc.Bytes()), Location: time.UTC}
		if f.Expectations() {
			out, err = pr.AppendExpect(out[:0], &e)
		} else {
			out, err = pr.Append(out[:0], &fl)
		}
		if err != nil {
			t.Errorf("%s:%d: print: %v", name, n, err)
			continue
		}
		if got, want := string(out), sc.Text()+"\n"; got != want {
			t.Errorf("%s:%d: round trip differs\n got: %q\nwant: %q", name, n, got, want)
		}
	}
	return n
}

func TestCorpusRoundTrip(t *testing.T) {
	for _, file := range corpusFiles(t) {
		f, ok := corpustest.FormatOf(file)
		if !ok {
			t.Errorf("%s: no format has this name's prefix", file)
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if n := roundTrip(t, file, f, data); n == 0 {
			t.Errorf("%s: empty", file)
		}
	}
}

// TestCorpusScanner reads each corpus file through a Scanner with format
// detection and prints it back as a whole.
func TestCorpusScanner(t *testing.T) {
	for _, file := range corpusFiles(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := corpustest.FormatOf(file)
		sc, err := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.Auto, Location: time.UTC}, format.WithName(file))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		w := format.NewWriter(&out, format.Dialect{Location: time.UTC})
		if want.Expectations() {
			for e, err := range sc.Expects() {
				if err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				w.Dialect = sc.Dialect()
				if err := w.WriteExpect(e); err != nil {
					t.Fatal(err)
				}
			}
		} else {
			for fl, err := range sc.Flows() {
				if err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				w.Dialect = sc.Dialect()
				if err := w.Write(fl); err != nil {
					t.Fatal(err)
				}
			}
		}
		w.Dialect = sc.Dialect()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if sc.Dialect().Format != want {
			t.Errorf("%s: detected %v, want %v", file, sc.Dialect().Format, want)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Errorf("%s: scanner round trip differs", file)
		}
	}
}

// TestWild reads third-party captures of the kernel formats.
func TestWild(t *testing.T) {
	dir := wildDir(t)
	for _, c := range []struct {
		file string
		f    format.Format
	}{
		{"035-balestra-monitoring-ddwrt-ip_conntrack.txt", format.IPLegacy},
	} {
		data, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		if n := roundTrip(t, c.file, c.f, data); n < 100 {
			t.Errorf("%s: only %d lines", c.file, n)
		}
	}
}
