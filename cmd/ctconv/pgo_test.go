package main

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/gen"
)

// BenchmarkProfile runs the commands whose speed BENCHMARKS.md follows, as
// bench/cores.sh runs them, on a synthetic table of 500,000 flows and the
// same table read later: the workload whose CPU profile bench/pgo.sh
// makes default.pgo of, for the compiler's profile-guided optimization.
func BenchmarkProfile(b *testing.B) {
	dir := b.TempDir()
	old, new := filepath.Join(dir, "old.txt"), filepath.Join(dir, "new.txt")
	for _, t := range []struct {
		path  string
		churn uint64
	}{{old, 0}, {new, 7}} {
		if err := writeTable(t.path, 500_000, t.churn); err != nil {
			b.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"check", old},
		{"stats", old},
		{"diff", old, new},
		{"convert", "--to", "json", old},
	} {
		b.Run(args[0], func(b *testing.B) {
			for b.Loop() {
				// diff's status is 1: the tables differ.
				if code := run(args, nil, io.Discard, io.Discard); code > 1 {
					b.Fatalf("ctconv %v: status %d", args, code)
				}
			}
		})
	}
}

// writeTable writes a /proc table of n synthetic flows (package gen) to
// path.
func writeTable(path string, n int, churn uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	err = gen.WriteTable(format.NewWriter(bw, format.Dialect{Format: format.Proc}), n, 1, churn)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
