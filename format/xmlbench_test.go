package format_test

import (
	"bytes"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// BenchmarkScanXML reads conntrack's own XML (a listing with counters and
// an event stream with times) through a Scanner: the exact path, which the
// tolerant reader of re-serialised XML must leave as fast as it was.
func BenchmarkScanXML(b *testing.B) {
	for _, c := range []struct{ name, file string }{{"L", "xml-L.txt"}, {"E", "xml-E-timestamp.txt"}} {
		b.Run(c.name, func(b *testing.B) {
			data := corpusLines(b, "../testdata/corpus/"+c.file, "<flow", 1<<20)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				sc, err := format.NewScanner(bytes.NewReader(data), format.Dialect{Format: format.XML})
				if err != nil {
					b.Fatal(err)
				}
				for _, err := range sc.Flows() {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
