// Command fleetbench measures a table in the files of docs/FLEET.md:
// the size of its Parquet against its JSON Lines, its snapshot and its
// text, the time ctconv takes to convert it to each, and the time DuckDB
// takes to answer queries over the Parquet and over the JSON Lines.
// Each time is the median of -runs runs. bench/fleet.sh runs it on a
// million flows of internal/gen.
//
//	fleetbench -ctconv BIN [-runs N] [-zstd19] TABLE.txt
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// targets are the files a table is converted to: their --to and name.
var targets = []struct{ to, file string }{
	{"parquet", "table.parquet"},
	{"json", "table.jsonl"},
	{"snapshot", "table.ctsnap"},
}

// queries are the ones timed, over a view named flows.
var queries = []struct{ name, sql string }{
	{"count(*)", "SELECT count(*) FROM flows"},
	{"flows, sum(orig_bytes) by proto, state", "SELECT proto, state, count(*), sum(orig_bytes) FROM flows GROUP BY ALL"},
	{"flows by orig_dport", "SELECT orig_dport, count(*) FROM flows GROUP BY ALL"},
	{"top 10 orig_src by bytes", "SELECT orig_src, sum(orig_bytes + reply_bytes) AS b FROM flows GROUP BY ALL ORDER BY b DESC LIMIT 10"},
}

// views read each file as flows, JSON Lines with the Parquet's names.
var views = map[string]string{
	"parquet": "CREATE VIEW flows AS SELECT * FROM read_parquet('%s')",
	"json": `CREATE VIEW flows AS
SELECT proto, state, "counters-orig".bytes AS orig_bytes, "counters-reply".bytes AS reply_bytes,
	"tuple-orig".src AS orig_src, "tuple-orig"."proto-dst-port" AS orig_dport
FROM read_json('%s', format = 'newline_delimited', columns = {
	proto: 'VARCHAR', state: 'VARCHAR',
	"counters-orig": 'STRUCT(packets UBIGINT, bytes UBIGINT)',
	"counters-reply": 'STRUCT(packets UBIGINT, bytes UBIGINT)',
	"tuple-orig": 'STRUCT(src VARCHAR, "proto-dst-port" USMALLINT)'})`,
}

func main() {
	ctconv := flag.String("ctconv", "ctconv", "the ctconv binary")
	runs := flag.Int("runs", 3, "runs of each measurement; the median is printed")
	zstd19 := flag.Bool("zstd19", false, "also compress the text with zstd -19 (minutes on a million flows)")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: fleetbench -ctconv BIN [-runs N] [-zstd19] TABLE.txt")
	}
	text := flag.Arg(0)
	dir, err := os.MkdirTemp("", "fleetbench")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	type row struct {
		name string
		size int64
		took string
	}
	rows := []row{{"text (/proc)", size(text), ""}}
	// The conversions take turns, run by run, so that a machine whose
	// speed drifts slows each alike.
	times := make([][2][]time.Duration, len(targets)) // wall, CPU
	for range *runs {
		for i, tg := range targets {
			start := time.Now()
			cpu := run(*ctconv, "convert", "--to", tg.to, "-o", filepath.Join(dir, tg.file), text)
			times[i][0] = append(times[i][0], time.Since(start))
			times[i][1] = append(times[i][1], cpu)
		}
	}
	for i, tg := range targets {
		for _, ds := range times[i] {
			slices.Sort(ds)
		}
		wall, cpu := times[i][0][*runs/2], times[i][1][*runs/2]
		rows = append(rows, row{tg.to, size(filepath.Join(dir, tg.file)), fmt.Sprintf("%.2f s (CPU %.2f s)", wall.Seconds(), cpu.Seconds())})
	}
	if *zstd19 {
		out := filepath.Join(dir, "table.txt.zst")
		d := median(1, func() { run("zstd", "-q", "-19", "-T1", "-f", "-o", out, text) })
		rows = append(rows, row{"zstd -19 of the text", size(out), fmt.Sprintf("%.0f s (one run, one core)", d.Seconds())})
	}
	snap := size(filepath.Join(dir, "table.ctsnap"))
	fmt.Printf("| file | size | ÷ snapshot | ctconv convert --to it, from the text: wall (CPU), median of %d |\n|---|---|---|---|\n", *runs)
	for _, r := range rows {
		fmt.Printf("| %s | %.1f MB | %.2f | %s |\n", r.name, float64(r.size)/1e6, float64(r.size)/float64(snap), r.took)
	}

	fmt.Printf("\n| query (DuckDB, median of %d) | Parquet | JSON Lines |\n|---|---|---|\n", *runs)
	for _, q := range queries {
		fmt.Printf("| %s |", q.name)
		for _, kind := range []string{"parquet", "json"} {
			file := filepath.Join(dir, targets[slices.IndexFunc(targets, func(t struct{ to, file string }) bool { return t.to == kind })].file)
			d := median(*runs, func() { ask(fmt.Sprintf(views[kind], file), q.sql) })
			fmt.Printf(" %.2f s |", d.Seconds())
		}
		fmt.Println()
	}
}

// ask opens a new DuckDB, creates the view and runs q to its last row.
func ask(view, q string) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(view); err != nil {
		log.Fatal(err)
	}
	rows, err := db.Query(q)
	if err != nil {
		log.Fatal(err)
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		log.Fatal(err)
	}
	rows.Close()
}

// run runs the command and returns the CPU time it took, user and system.
func run(name string, args ...string) time.Duration {
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s %q: %v", name, args, err)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// median runs f n times and returns the median of its times.
func median(n int, f func()) time.Duration {
	ds := make([]time.Duration, n)
	for i := range ds {
		start := time.Now()
		f()
		ds[i] = time.Since(start)
	}
	slices.Sort(ds)
	return ds[n/2]
}

func size(name string) int64 {
	fi, err := os.Stat(name)
	if err != nil {
		log.Fatal(err)
	}
	return fi.Size()
}
