package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/parquet"
)

// parquetInputs are the captures whose round trip through Parquet is
// checked: the corpus and conntrackd's.
func parquetInputs(t *testing.T) []string {
	var files []string
	for _, pat := range []string{"../../testdata/corpus/*.txt", "../../testdata/corpus/*.jsonl", "../../testdata/corpus/*.zst", "../../testdata/conntrackd/*.txt", "../../testdata/stats/*"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 50 {
		t.Fatalf("found %d captures", len(files))
	}
	return files
}

// TestParquetRoundTrip checks that convert --from parquet --to json of a
// capture's Parquet file prints exactly what --to json of the capture
// prints, for a file and for standard input, and from a snapshot of it.
func TestParquetRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, file := range parquetInputs(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			code, want, errs := ctconv(t, "", "convert", "--tz", "UTC", "--to", "json", file)
			if code != 0 {
				t.Skipf("--to json: exit %d: %s", code, errs) // not a capture convert takes whole
			}
			pq := filepath.Join(dir, filepath.Base(file)+".parquet")
			if code, _, errs := ctconv(t, "", "convert", "--tz", "UTC", "--to", "parquet", "-o", pq, file); code != 0 {
				t.Fatalf("--to parquet: exit %d: %s", code, errs)
			}
			code, got, errs := ctconv(t, "", "convert", "--to", "json", pq)
			if code != 0 || got != want {
				t.Fatalf("--from parquet --to json: exit %d, stderr %q\n got %.300q\nwant %.300q", code, errs, got, want)
			}
			b, err := os.ReadFile(pq)
			if err != nil {
				t.Fatal(err)
			}
			code, got, _ = ctconv(t, string(b), "convert", "--from", "parquet", "--to", "json", "-")
			if code != 0 || got != want {
				t.Fatalf("from standard input: exit %d", code)
			}
			// A snapshot of it makes the same file.
			snap := pq + ".ctsnap"
			if code, _, errs := ctconv(t, "", "convert", "--tz", "UTC", "--to", "snapshot", "-o", snap, file); code != 0 {
				t.Fatalf("--to snapshot: exit %d: %s", code, errs)
			}
			pq2 := snap + ".parquet"
			if code, _, errs := ctconv(t, "", "convert", "--to", "parquet", "-o", pq2, snap); code != 0 {
				t.Fatalf("snapshot --to parquet: exit %d: %s", code, errs)
			}
			if code, got, errs = ctconv(t, "", "convert", "--to", "json", pq2); code != 0 || got != want {
				t.Fatalf("snapshot's parquet --to json: exit %d, stderr %q", code, errs)
			}
			// Without --to, it prints as its source, with the options the
			// source showed, as a snapshot does.
			if _, text, _ := ctconv(t, "", "convert", "--tz", "UTC", file); text == string(readFile(t, file)) {
				if _, got, _ := ctconv(t, "", "convert", "--tz", "UTC", pq); got != text {
					t.Fatalf("without --to:\n got %.300q\nwant %.300q", got, text)
				}
			}
		})
	}
}

// TestParquetMeta checks that --host and --time go on every row, that a
// Parquet file written to standard output (a pipe) reads back, and that
// a snapshot made of it keeps the capture's host and time.
func TestParquetMeta(t *testing.T) {
	code, out, errs := ctconv(t, "", "convert", "--host", "gw7", "--time", "2026-12-01T21:00:00.5Z", "--to", "parquet", corpusProc)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	r, err := parquet.NewReader(strings.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	want := parquet.Meta{Host: "gw7", CapturedAt: time.Date(2026, 12, 1, 21, 0, 0, 5e8, time.UTC), Source: "proc", Location: "Local"}
	if m := r.Meta(); m != want {
		t.Errorf("Meta %+v, want %+v", m, want)
	}
	dir := t.TempDir()
	snap := filepath.Join(dir, "s.ctsnap")
	if code, _, errs := ctconv(t, out, "convert", "--to", "snapshot", "-o", snap, "-"); code != 0 {
		t.Fatalf("--to snapshot: exit %d: %s", code, errs)
	}
	code, info, _ := ctconv(t, "", "snapshot", "--info", snap)
	if code != 0 || !strings.Contains(info, "created:  2026-12-01T21:00:00Z") || !strings.Contains(info, "host:     gw7") || !strings.Contains(info, "source:   proc") {
		t.Errorf("snapshot of the Parquet file: exit %d\n%s", code, info)
	}
	if code, _, errs := ctconv(t, "", "convert", "--time", "noon", "--to", "parquet", corpusProc); code != 2 || !strings.Contains(errs, "--time") {
		t.Errorf("--time noon: exit %d, %s", code, errs)
	}
}

// TestParquetKinds checks that a Parquet file holds one kind of records:
// a later input of another kind is refused, as for other targets.
func TestParquetKinds(t *testing.T) {
	code, _, errs := ctconv(t, "", "convert", "--to", "parquet", "-o", filepath.Join(t.TempDir(), "x.parquet"), corpusProc, "../../testdata/corpus/proc-expect.txt")
	if code != 1 || !strings.Contains(errs, "holds expectations, the inputs before flows") {
		t.Errorf("exit %d, %s", code, errs)
	}
}

// TestParquetNoFooter checks that an XML capture of events without its
// closing tag (conntrack -E -o xml stopped) prints back without it from
// its Parquet file, and from a snapshot of that.
func TestParquetNoFooter(t *testing.T) {
	text := string(readFile(t, "../../testdata/corpus/xml-E.txt"))
	cut, ok := strings.CutSuffix(text, "</conntrack>\n")
	if !ok {
		t.Fatal("xml-E.txt does not end with its footer")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "cut.xml")
	if err := os.WriteFile(in, []byte(cut), 0o644); err != nil {
		t.Fatal(err)
	}
	pq, snap := filepath.Join(dir, "cut.parquet"), filepath.Join(dir, "cut.ctsnap")
	for _, run := range [][]string{
		{"convert", "--tz", "UTC", "--to", "parquet", "-o", pq, in},
		{"convert", "--tz", "UTC", "--to", "snapshot", "-o", snap, pq},
	} {
		if code, _, errs := ctconv(t, "", run...); code != 0 {
			t.Fatalf("%v: exit %d: %s", run, code, errs)
		}
	}
	for _, file := range []string{pq, snap} {
		if code, got, errs := ctconv(t, "", "convert", "--tz", "UTC", file); code != 0 || got != cut {
			t.Errorf("%s: exit %d (%s), and prints back otherwise:\n%s", filepath.Base(file), code, errs, got[max(0, len(got)-200):])
		}
	}
}

// TestParquetPipe checks that a Parquet file given on standard input
// through a pipe is found by its magic: a pipe is an *os.File, whose
// ReadAt fails, so its magic is peeked at as it is read.
func TestParquetPipe(t *testing.T) {
	pq := filepath.Join(t.TempDir(), "p.parquet")
	if code, _, errs := ctconv(t, "", "convert", "--to", "parquet", "-o", pq, corpusProc); code != 0 {
		t.Fatalf("--to parquet: exit %d: %s", code, errs)
	}
	b := readFile(t, pq)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	go func() {
		pw.Write(b)
		pw.Close()
	}()
	var out, errb strings.Builder
	if code := run([]string{"check", "-"}, pr, &out, &errb); code != 0 || !strings.Contains(out.String(), "<stdin>: proc, 56 flows") {
		t.Errorf("check - of a pipe: exit %d, %q, %q", code, out.String(), errb.String())
	}
}
