// Command ctgen prints a synthetic connection-tracking table (package gen)
// in one of ctconv's text formats:
//
//	go run ./internal/gen/ctgen -n 1000000 > table.txt
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/gen"
)

func main() {
	n := flag.Int("n", 1000, "number of flows")
	seed := flag.Uint64("seed", 1, "seed: the same seed gives the same table")
	to := flag.String("to", "proc", "text `format` to print")
	churn := flag.Uint64("churn", 0, "if not 0, print the table as read later, churned with this `seed`\n(gen.Churn), with a flow in twenty new")
	flag.Parse()
	var fm format.Format
	if err := fm.UnmarshalText([]byte(*to)); err != nil || fm == format.Auto || fm.Expectations() || fm.Statistics() {
		fmt.Fprintln(os.Stderr, "ctgen: -to: want a format of flows")
		os.Exit(2)
	}
	bw := bufio.NewWriterSize(os.Stdout, 1<<16)
	w := format.NewWriter(bw, format.Dialect{Format: fm})
	err := gen.WriteTable(w, *n, *seed, *churn)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ctgen:", err)
		os.Exit(1)
	}
}
