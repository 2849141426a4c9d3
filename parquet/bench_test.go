package parquet

import (
	"io"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/gen"
)

// BenchmarkWrite writes flows of a generated table of a busy gateway,
// as ctconv convert --to parquet does: two row groups' worth, so that
// dictionaries fill as they do on a large table.
func BenchmarkWrite(b *testing.B) {
	flows := make([]format.Flow, 1<<18)
	g := gen.New(1)
	for i := range flows {
		g.Flow(&flows[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	w := NewWriter(io.Discard, Flows, Meta{Host: "gw1", CapturedAt: time.Unix(1e9, 0), Source: "proc"})
	for i := 0; i < b.N; i++ {
		if err := w.Write(&flows[i%len(flows)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}
