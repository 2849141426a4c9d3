package duckdb

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/gen"
)

// TestEveryValue checks that DuckDB reads every value of every column of
// ctconv's Parquet as ctconv wrote it: DuckDB copies the file to a
// Parquet file of its own writing, which ctconv reads back to the same
// JSON Lines. Its inputs are the corpus's flows, and flows whose fields
// hold the extremes of their types (counters of 2^64-1, marks of 2^32-1),
// which the encodings of integers must carry whole.
func TestEveryValue(t *testing.T) {
	captures, err := filepath.Glob(filepath.Join(repo, "testdata", "corpus", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	captures = append(captures, extremes(t, dir))
	db := openDB(t)
	for _, name := range captures {
		if capture(t, name).Expectations() || capture(t, name).Statistics() {
			continue // DuckDB's copy drops the footer's metadata, which says the kind
		}
		t.Run(filepath.Base(name), func(t *testing.T) {
			ours, theirs := filepath.Join(dir, "ours.parquet"), filepath.Join(dir, "theirs.parquet")
			run(t, dir, "ctconv", "convert", "--tz", "UTC", "--to", "parquet", "-o", ours, name)
			if _, err := db.Exec("COPY (SELECT * FROM read_parquet('" + ours + "')) TO '" + theirs + "' (FORMAT parquet)"); err != nil {
				t.Fatal(err)
			}
			want := output(t, dir, "convert", "--tz", "UTC", "--to", "json", name)
			if got := output(t, dir, "convert", "--from", "parquet", "--to", "json", theirs); got != want {
				t.Errorf("DuckDB's copy reads back otherwise:\n got %.400s\nwant %.400s", diffStart(got, want), diffStart(want, got))
			}
		})
	}
}

// extremes writes JSON Lines of generated flows, some with the greatest
// and least values of their fields, and returns the file's name.
func extremes(t *testing.T, dir string) string {
	g := gen.New(11)
	var js []byte
	var f format.Flow
	for i := range 3000 {
		g.Flow(&f)
		switch i % 3 {
		case 0:
			f.OrigCounters = format.Counters{Packets: math.MaxUint64, Bytes: math.MaxUint64 - uint64(i)}
			f.ReplyCounters = format.Counters{}
			f.Fields |= format.FieldOrigCounters | format.FieldReplyCounters | format.FieldMark | format.FieldZone | format.FieldID | format.FieldUse | format.FieldTimeout
			f.Mark, f.Zone, f.ID, f.Use, f.Timeout = math.MaxUint32, math.MaxUint16, math.MaxUint32, math.MaxUint32, math.MaxUint32
		case 1:
			f.Fields |= format.FieldMark | format.FieldID
			f.Mark, f.ID = 0, 0
		}
		var err error
		if js, err = codec.AppendJSON(js, &f); err != nil {
			t.Fatal(err)
		}
	}
	name := filepath.Join(dir, "extremes.jsonl")
	if err := os.WriteFile(name, js, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// output runs ctconv with args in dir and returns its standard output.
func output(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(tools(t), "ctconv"), args...)
	cmd.Dir = dir
	var errs strings.Builder
	cmd.Stderr = &errs
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ctconv %q: %v\n%s", args, err, errs.String())
	}
	return string(out)
}

// diffStart returns a from its first line that b lacks.
func diffStart(a, b string) string {
	al, bl := strings.SplitAfter(a, "\n"), strings.SplitAfter(b, "\n")
	for i, l := range al {
		if i >= len(bl) || l != bl[i] {
			return strings.Join(al[i:], "")
		}
	}
	return ""
}
