package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// BenchmarkProfile runs the commands whose speed bench/cores.sh follows
// (check, stats, diff and convert --to json) on a synthetic table of
// 500,000 flows and the same table read later: the workload whose CPU
// profile bench/pgo.sh makes default.pgo of, for the compiler's
// profile-guided optimization.
func BenchmarkProfile(b *testing.B) {
	dir := b.TempDir()
	before, after := filepath.Join(dir, "before.txt"), filepath.Join(dir, "after.txt")
	for path, churn := range map[string]uint64{before: 0, after: 7} {
		if err := os.WriteFile(path, table(b, format.Proc, 500_000, churn), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		args   []string
		status int
	}{
		{[]string{"check", before}, 0},
		{[]string{"stats", before}, 0},
		{[]string{"diff", before, after}, 1}, // the tables differ
		{[]string{"convert", "--to", "json", before}, 0},
	} {
		b.Run(c.args[0], func(b *testing.B) {
			var stderr bytes.Buffer
			for b.Loop() {
				stderr.Reset()
				if got := run(c.args, nil, io.Discard, &stderr); got != c.status {
					b.Fatalf("ctconv %v: status %d, want %d\n%s", c.args, got, c.status, stderr.Bytes())
				}
			}
		})
	}
}
