package fuzz

import (
	"bytes"
	"errors"
	"iter"
	"os"
	"testing"
	"time"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/parquet"
	"github.com/ctconv/ctconv/snapshot"
)

// FuzzParquet reads a Parquet file of records. It never panics; it reads
// the records to a clean end or fails with one of package parquet's
// errors; it allocates less than 256 MiB, what the bounds of package
// parquet allow; and the flows it reads write to a Parquet file that
// reads back to the same JSON Lines.
func FuzzParquet(f *testing.F) {
	for _, file := range []string{"proc.txt", "conntrack-L-extended-id-ktimestamp-labels.txt", "xml-E-timestamp.txt", "conntrack-expect-L-ipv6.txt", "save-E.txt"} {
		data, _ := os.ReadFile("../testdata/corpus/" + file)
		lines := bytes.SplitAfterN(data, []byte("\n"), 5)
		f.Add(parquetOf(f, bytes.Join(lines[:len(lines)-1], nil)))
	}
	data, _ := os.ReadFile("../testdata/stats/conntrack-S.txt")
	f.Add(parquetOf(f, data))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		before := allocated()
		defer func() {
			if n := allocated() - before; n > 256<<20 {
				t.Fatalf("reading allocated %d MiB", n>>20)
			}
		}()
		r, err := parquet.NewReader(bytes.NewReader(data), int64(len(data)))
		var js []byte
		if err == nil {
			switch r.Kind() {
			case parquet.Stats:
				_, err = records(r.Stats())
			case parquet.Expectations:
				_, err = records(r.Expects())
			default:
				js, err = flowsJSON(r.Flows())
			}
		}
		var fe *parquet.FileError
		var ce *parquet.ColumnError
		if err != nil {
			if !errors.Is(err, parquet.ErrNotParquet) && !errors.As(err, &fe) && !errors.As(err, &ce) {
				t.Fatalf("error %v (%T) is none of the package's", err, err)
			}
			return
		}
		if js == nil {
			return
		}
		// What was read writes and reads back the same.
		in, err := snapshot.Open(bytes.NewReader(js), snapshot.JSON, format.Dialect{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		w := parquet.NewWriter(&buf, parquet.Flows, parquet.Meta{})
		for fl, err := range in.Flows() {
			if err != nil {
				t.Fatalf("JSON of a flow read does not read back: %v", err)
			}
			if err := w.Write(fl); err != nil {
				t.Fatalf("a flow read does not write: %v", err)
			}
		}
		in.Close()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r2, err := parquet.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		js2, err := flowsJSON(r2.Flows())
		if err != nil || !bytes.Equal(js, js2) {
			t.Fatalf("written again, reads back otherwise (%v):\n%s\n%s", err, js, js2)
		}
	})
}

// flowsJSON returns the JSON Lines of flows, whose first error ends
// them; flows without JSON are left out.
func flowsJSON(flows iter.Seq2[*format.Flow, error]) ([]byte, error) {
	js := []byte{}
	for fl, err := range flows {
		if err != nil {
			return nil, err
		}
		if b, err := codec.AppendJSON(js, fl); err == nil {
			js = b
		}
	}
	return js, nil
}

// parquetOf returns a Parquet file of the records of a text capture.
func parquetOf(f *testing.F, text []byte) []byte {
	in, err := snapshot.Open(bytes.NewReader(text), snapshot.Text(format.Auto), format.Dialect{Location: time.UTC})
	if err != nil {
		f.Fatal(err)
	}
	defer in.Close()
	var buf bytes.Buffer
	m := parquet.Meta{Host: "h", CapturedAt: time.Unix(1e9, 0), Source: in.Encoding().String()}
	var rerr, werr error
	switch {
	case in.Statistics():
		w := parquet.NewWriter(&buf, parquet.Stats, m)
		for s, err := range in.Stats() {
			if rerr = err; err != nil || w.WriteStats(s) != nil {
				break
			}
		}
		werr = w.Close()
	case in.Expectations():
		w := parquet.NewWriter(&buf, parquet.Expectations, m)
		for e, err := range in.Expects() {
			if rerr = err; err != nil || w.WriteExpect(e) != nil {
				break
			}
		}
		werr = w.Close()
	default:
		w := parquet.NewWriter(&buf, parquet.Flows, m)
		for fl, err := range in.Flows() {
			if rerr = err; err != nil || w.Write(fl) != nil {
				break
			}
		}
		werr = w.Close()
	}
	if rerr != nil || werr != nil {
		f.Fatal(rerr, werr)
	}
	return buf.Bytes()
}
