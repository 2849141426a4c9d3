// Package corpustest lists the corpus for the tests of every package: the
// captures of testdata/corpus, real output of the kernel and of conntrack,
// each with its format and the golden JSON Lines beside it.
package corpustest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// Capture is a capture of the corpus.
type Capture struct {
	// Path is the file's, as the test's package finds it:
	// "../testdata/corpus/proc.txt".
	Path string
	// Format is the format that the file's name starts with (see
	// FormatOf), format.Auto where none does.
	Format format.Format
	// Golden is the file of its golden JSON Lines: Path with .jsonl for
	// .txt.
	Golden string
}

// Captures returns the captures of the corpus, in the order of their
// names; it fails t where there are none. The large capture kept
// compressed (proc-bulk-100k.txt.zst) is not among them.
func Captures(t testing.TB) []Capture {
	t.Helper()
	dir := filepath.Join(root(t), "testdata", "corpus")
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in %s: %v", dir, err)
	}
	cs := make([]Capture, len(files))
	for i, file := range files {
		f, _ := FormatOf(file)
		cs[i] = Capture{Path: file, Format: f, Golden: strings.TrimSuffix(file, ".txt") + ".jsonl"}
	}
	return cs
}

// Paths returns the Path of each capture whose file name matches
// pattern (see filepath.Match; "*" for all), in the order of Captures.
func Paths(t testing.TB, pattern string) []string {
	t.Helper()
	var files []string
	for _, c := range Captures(t) {
		if ok, err := filepath.Match(pattern, filepath.Base(c.Path)); err != nil {
			t.Fatal(err)
		} else if ok {
			files = append(files, c.Path)
		}
	}
	return files
}

// FormatOf returns the format that the name of a capture's file starts
// with, the longest that fits ("proc-expect" for proc-expect.txt), and
// whether one does.
func FormatOf(file string) (format.Format, bool) {
	base := filepath.Base(file)
	best, ok := format.Auto, false
	for _, f := range format.Formats() {
		if strings.HasPrefix(base, f.String()+"-") || strings.HasPrefix(base, f.String()+".") {
			if !ok || len(f.String()) > len(best.String()) {
				best, ok = f, true
			}
		}
	}
	return best, ok
}

// root returns the module's folder, relative to the test's: "..",
// "../..".
func root(t testing.TB) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel := "."
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return rel
		}
		if filepath.Dir(dir) == dir {
			t.Fatalf("no go.mod above %s", wd)
		}
		rel = filepath.Join(rel, "..")
	}
}
