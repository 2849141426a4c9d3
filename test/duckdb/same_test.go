package duckdb

import (
	"database/sql"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// aggregates are the queries whose answers must not depend on the file
// DuckDB reads, each with the columns it needs: the flows and their
// original bytes by protocol and state, and the flows by original
// destination port.
var aggregates = []struct {
	name, sql string
}{
	{"by proto and state", "SELECT proto, state, count(*), sum(orig_bytes) FROM flows GROUP BY ALL"},
	{"by orig_dport", "SELECT orig_dport, count(*) FROM flows GROUP BY ALL"},
}

// Each reader of a table is a view named flows with the columns that
// aggregates use: Parquet's as they are, JSON Lines' from its members. The
// JSON's columns are given, so that a file without (say) any state still
// has the column.
var readers = map[string]string{
	"parquet": "CREATE OR REPLACE VIEW flows AS SELECT * FROM read_parquet('%s')",
	"json": `CREATE OR REPLACE VIEW flows AS
SELECT proto, state, "counters-orig".bytes AS orig_bytes, "tuple-orig"."proto-dst-port" AS orig_dport
FROM read_json('%s', format = 'newline_delimited', columns = {
	proto: 'VARCHAR', state: 'VARCHAR',
	"counters-orig": 'STRUCT(packets UBIGINT, bytes UBIGINT)',
	"tuple-orig": 'STRUCT("proto-dst-port" USMALLINT)'})`,
}

// TestSameAnswers converts every capture of the corpus, and a million
// flows of internal/gen (not with -short), to Parquet and to JSON Lines
// with ctconv, and checks that DuckDB's aggregates of the two files are
// the same, and are what ctconv's own packages count in the capture.
func TestSameAnswers(t *testing.T) {
	captures, err := filepath.Glob(filepath.Join(repo, "testdata", "corpus", "*.*"))
	if err != nil {
		t.Fatal(err)
	}
	captures = slices.DeleteFunc(captures, func(name string) bool { return strings.HasSuffix(name, ".sh") })
	if !testing.Short() {
		big := filepath.Join(t.TempDir(), "synthetic-1m.txt")
		f, err := os.Create(big)
		if err != nil {
			t.Fatal(err)
		}
		gen := exec.Command(filepath.Join(tools(t), "ctgen"), "-n", "1000000") // as BENCHMARKS.md's synthetic-1m
		gen.Stdout, gen.Stderr = f, os.Stderr
		err = gen.Run()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		captures = append(captures, big)
	}
	db := openDB(t)
	for _, name := range captures {
		t.Run(filepath.Base(name), func(t *testing.T) {
			if capture(t, name).Expectations() {
				t.Skip("expectations: the aggregates are of flows")
			}
			want := counted(t, name)
			dir := t.TempDir()
			files := map[string]string{}
			for to := range readers {
				files[to] = filepath.Join(dir, "flows."+to)
				run(t, dir, "ctconv", "convert", "--to", to, "-o", files[to], name)
			}
			for i, q := range aggregates {
				for to, view := range readers {
					if _, err := db.Exec(fmt.Sprintf(view, files[to])); err != nil {
						t.Fatal(err)
					}
					got := answer(t, db, q.sql)
					if !slices.Equal(got, want[i]) {
						t.Errorf("%s, DuckDB from %s:\n got %q\nwant %q", q.name, to, got, want[i])
					}
				}
			}
		})
	}
}

// answer runs q and returns its rows as text, in order.
func answer(t *testing.T, db *sql.DB, q string) []string {
	var rows []string
	for _, r := range query(t, db, q) {
		rows = append(rows, line(r...))
	}
	slices.Sort(rows)
	return rows
}

// counted returns the answers of aggregates computed from the capture
// name with ctconv's packages, as answer gives DuckDB's.
func counted(t *testing.T, name string) [2][]string {
	type group struct {
		flows int64
		bytes *big.Int // NULL where no flow of the group has counters
	}
	byState := map[[2]any]*group{}
	byPort := map[any]int64{}
	for f, err := range capture(t, name).Flows() {
		if err != nil {
			t.Fatal(err)
		}
		var state any
		if s := stateName(f); s != "" {
			state = s
		}
		k := [2]any{protoName(f), state}
		g := byState[k]
		if g == nil {
			g = &group{}
			byState[k] = g
		}
		g.flows++
		if f.Has(format.FieldOrigCounters) {
			if g.bytes == nil {
				g.bytes = new(big.Int)
			}
			g.bytes.Add(g.bytes, new(big.Int).SetUint64(f.OrigCounters.Bytes))
		}
		var port any
		if f.Has(format.FieldL4) && f.Proto != format.ICMP && f.Proto != format.ICMPv6 {
			port = f.Orig.DstPort
		}
		byPort[port]++
	}
	var answers [2][]string
	for k, g := range byState {
		var bytes any
		if g.bytes != nil {
			bytes = g.bytes
		}
		answers[0] = append(answers[0], line(k[0], k[1], g.flows, bytes))
	}
	for port, n := range byPort {
		answers[1] = append(answers[1], line(port, n))
	}
	slices.Sort(answers[0])
	slices.Sort(answers[1])
	return answers
}

// line is a row as text, its values apart.
func line(vals ...any) string {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, " | ")
}
