package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
)

// TestConvertMixedLineEnds takes the corpus's captures whose lines end
// with CR LF and LF mixed through every path back to their format: each
// gives the capture back byte for byte, each line with its own end.
func TestConvertMixedLineEnds(t *testing.T) {
	files := corpustest.Paths(t, "*crlf.txt")
	if len(files) < 3 {
		t.Fatalf("%d captures with mixed line ends", len(files))
	}
	dir := t.TempDir()
	for _, file := range files {
		want := string(readFile(t, file))
		fm, _ := corpustest.FormatOf(file)
		to := fm.String()
		if fm.Expectations() {
			to = strings.TrimSuffix(to, "-expect")
		}
		back := func(path, stdin string, args ...string) {
			t.Helper()
			code, out, errs := ctconv(t, stdin, append([]string{"convert", "--tz", "UTC", "--to", to}, args...)...)
			if code != 0 || out != want {
				t.Errorf("%s %s: exit %d, stderr %q, output\n%q", file, path, code, errs, out)
			}
		}
		back("in its format", "", file)

		snap := filepath.Join(dir, filepath.Base(file)+".ctsnap")
		if code, _, errs := ctconv(t, "", "snapshot", "--tz", "UTC", "-o", snap, file); code != 0 {
			t.Fatalf("%s: snapshot: exit %d: %s", file, code, errs)
		}
		back("through a snapshot file", "", snap)

		// To standard output, which cannot seek: the header is written
		// before the records are read, and only they tell the line ends.
		// (It tells XML's footer, which is left out here.)
		if fm != format.XML && fm != format.XMLExpect {
			code, piped, errs := ctconv(t, "", "convert", "--tz", "UTC", "--to", "snapshot", file)
			if code != 0 {
				t.Fatalf("%s: to a snapshot on stdout: exit %d: %s", file, code, errs)
			}
			back("through a piped snapshot", piped, "-")
		}

		code, js, errs := ctconv(t, "", "convert", "--tz", "UTC", "--to", "json", file)
		if n, crlf := strings.Count(js, `"crlf"`), records(fm.Expectations(), want); code != 0 || n != crlf {
			t.Fatalf("%s: to json: exit %d, %d records with crlf, want %d: %s", file, code, n, crlf, errs)
		}
		back("through JSON", js, "--from", "json", "-")

		code, js2, errs := ctconv(t, "", "convert", "--tz", "UTC", "--to", "json", snap)
		if code != 0 || js2 != js {
			t.Errorf("%s: snapshot to json: exit %d, %s, equal %v", file, code, errs, js2 == js)
		}
	}
}

// records returns the number of records of a capture's text that end with
// CR LF: its lines but XML's header and footer.
func records(expect bool, text string) int {
	n := 0
	for _, line := range strings.SplitAfter(text, "\n") {
		if strings.HasSuffix(line, "\r\n") && !strings.HasPrefix(line, "<?xml") && !strings.HasPrefix(line, "<conntrack>") &&
			!strings.HasPrefix(line, "</conntrack>") && !strings.HasPrefix(line, "<expect>") && !strings.HasPrefix(line, "</expect>") {
			n++
		}
	}
	return n
}

// TestConvertCRLFBeforeQuirk converts a snapshot written before records
// carried their line ends, whose header says CRLF: it prints every line
// with CR LF, as it did, and so does its JSON.
func TestConvertCRLFBeforeQuirk(t *testing.T) {
	const snap = "../../snapshot/testdata/crlf-header-flows.ctsnap"
	want := string(bytes.ReplaceAll(bytes.ReplaceAll(readFile(t, "../../testdata/corpus/conntrack-L-crlf.txt"), []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n")))
	if code, out, errs := ctconv(t, "", "convert", "--tz", "UTC", snap); code != 0 || out != want {
		t.Errorf("exit %d, stderr %q, output\n%q", code, errs, out)
	}
	code, js, _ := ctconv(t, "", "convert", "--tz", "UTC", "--to", "json", snap)
	if code != 0 {
		t.Fatal(code)
	}
	if code, out, errs := ctconv(t, js, "convert", "--tz", "UTC", "--from", "json", "--to", "conntrack", "-"); code != 0 || out != want {
		t.Errorf("through JSON: exit %d, stderr %q, output\n%q", code, errs, out)
	}
}

// TestConvertJSONLineEnds reads JSON Lines whose lines end with CR LF: to
// JSON that is white space, and the text printed from it ends its lines as
// the records' quirks say.
func TestConvertJSONLineEnds(t *testing.T) {
	js := strings.ReplaceAll(string(readFile(t, "../../testdata/corpus/conntrack-L.jsonl")), "\n", "\r\n")
	want := string(readFile(t, "../../testdata/corpus/conntrack-L.txt"))
	if code, out, errs := ctconv(t, js, "convert", "--tz", "UTC", "--from", "json", "--to", "conntrack", "-"); code != 0 || out != want {
		t.Errorf("exit %d, stderr %q, output\n%q", code, errs, out)
	}
}
