// Package duckdb tests ctconv's files in a real engine: DuckDB, through its
// Go driver (a static library, linked with cgo). It is a module of its own
// so that ctconv does not depend on DuckDB.
package duckdb

import (
	"database/sql"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
	_ "github.com/duckdb/duckdb-go/v2"
)

// repo is the root of the ctconv repository.
var repo, _ = filepath.Abs("../..")

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// tools builds ctconv and ctgen from the repository once, and returns the
// directory that holds them.
func tools(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "ctconv-duckdb-bin")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", binDir, "./cmd/ctconv", "./internal/gen/ctgen")
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// run runs ctconv (or another of the tools) with args in dir.
func run(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(tools(t), name), args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out)
	}
}

// openDB opens an in-memory DuckDB.
func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// query runs q and returns its rows, each value as the driver gives it.
func query(t *testing.T, db *sql.DB, q string, args ...any) [][]any {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var all [][]any
	for rows.Next() {
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		all = append(all, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	return all
}

// capture opens the capture name for reading with ctconv's own packages.
func capture(t *testing.T, name string) *snapshot.Input {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	in, err := snapshot.Open(f, snapshot.Text(format.Auto), format.Dialect{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(in.Close)
	return in
}

// flows reads every flow of the capture name.
func flows(t *testing.T, name string) []format.Flow {
	t.Helper()
	var all []format.Flow
	for f, err := range capture(t, name).Flows() {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		all = append(all, *f)
	}
	return all
}

// protoName is a flow's protocol as JSON and the Parquet files name it.
func protoName(f *format.Flow) string {
	if f.Proto.Named() {
		return f.Proto.String()
	}
	return "unknown"
}

// stateName is a flow's state as JSON and the Parquet files name it, or
// "" where it has none.
func stateName(f *format.Flow) string {
	if !f.Has(format.FieldState) {
		return ""
	}
	return f.Proto.StateName(f.State)
}

// str is a value of a row as a string: "" for NULL.
func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// num is an integer value of a row; NULL is -1.
func num(t *testing.T, v any) int64 {
	t.Helper()
	switch n := v.(type) {
	case nil:
		return -1
	case int64:
		return n
	case int32:
		return int64(n)
	case uint64:
		return int64(n)
	case uint32:
		return int64(n)
	case uint16:
		return int64(n)
	case int16:
		return int64(n)
	case int8:
		return int64(n)
	case uint8:
		return int64(n)
	case float64:
		return int64(n)
	case *big.Int: // sum's HUGEINT
		return n.Int64()
	}
	t.Fatalf("%v (%T) is not an integer", v, v)
	return 0
}
