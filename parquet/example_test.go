package parquet_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/parquet"
)

// Write the flows of a capture to a Parquet file, and read them back.
func Example() {
	const capture = "ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=443 src=10.0.0.2 dst=10.0.0.1 sport=443 dport=40000 [ASSURED] mark=0 zone=0 use=2\n" +
		"ipv4     2 icmp     1 29 src=10.0.0.1 dst=10.0.0.3 type=8 code=0 id=7 src=10.0.0.3 dst=10.0.0.1 type=0 code=0 id=7 mark=0 zone=0 use=2\n"
	sc, err := format.NewScanner(strings.NewReader(capture), format.Dialect{Format: format.Proc})
	if err != nil {
		fmt.Println(err)
		return
	}
	var file bytes.Buffer
	w := parquet.NewWriter(&file, parquet.Flows, parquet.Meta{Host: "gw1", CapturedAt: time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC), Source: "proc"})
	for f, err := range sc.Flows() {
		if err == nil {
			err = w.Write(f)
		}
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}

	r, err := parquet.NewReader(bytes.NewReader(file.Bytes()), int64(file.Len()))
	if err != nil {
		fmt.Println(err)
		return
	}
	m := r.Meta()
	fmt.Println(m.Host, m.CapturedAt, m.Source, r.NumRows(), "rows")
	for f, err := range r.Flows() {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(f.Proto, f.Orig.Src, "->", f.Orig.Dst, f.Orig.DstPort)
	}
	// Output:
	// gw1 2026-12-01 22:00:00 +0000 UTC proc 2 rows
	// tcp 10.0.0.1 -> 10.0.0.2 443
	// icmp 10.0.0.1 -> 10.0.0.3 0
}
