package main

import (
	"os"
	"path/filepath"
	"testing"
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
