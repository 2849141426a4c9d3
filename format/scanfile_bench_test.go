package format_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
)

// BenchmarkScanFile reads each corpus file whole through a Scanner in its
// format, as the command line does: the producers' canonical output, with
// its headers, footers and messages. bench/compare.sh runs it beside an
// older commit's parser.
func BenchmarkScanFile(b *testing.B) {
	for _, file := range corpusFiles(b) {
		f, _ := corpustest.FormatOf(file)
		data := readFile(b, file)
		b.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				sc, err := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: f})
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				if f.Expectations() {
					for _, err = range sc.Expects() {
						if err != nil {
							break
						}
						n++
					}
				} else {
					for _, err = range sc.Flows() {
						if err != nil {
							break
						}
						n++
					}
				}
				if err != nil || n == 0 {
					b.Fatalf("%d records: %v", n, err)
				}
			}
		})
	}
}
