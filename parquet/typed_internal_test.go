package parquet

import (
	"errors"
	"testing"

	pq "github.com/parquet-go/parquet-go"
	pf "github.com/parquet-go/parquet-go/format"
)

// TestCursorWrongType reads values of another type than their columns', as
// parquet-go gives from a damaged file (FuzzParquet found one): each fails
// its column and reads as NULL, where reading it as the column's type
// panicked; a value of the right type reads after it.
func TestCursorWrongType(t *testing.T) {
	leaves := []leaf{
		{path: []string{"s"}, kind: pf.ByteArray},
		{path: []string{"n"}, kind: pf.Int64},
		{path: []string{"ok"}, kind: pf.ByteArray},
	}
	row := pq.Row{
		pq.Int64Value(7).Level(0, 1, 0),
		pq.ByteArrayValue([]byte("x")).Level(0, 1, 1),
		pq.ByteArrayValue([]byte("y")).Level(0, 1, 2),
	}
	c := rowCursor{leaves: leaves, strs: &interner{}}
	c.reset(row)
	if s, ok := c.str(); ok || s != "" {
		t.Errorf("an INT64 read as a string: %q, %v", s, ok)
	}
	var ce *ColumnError
	if !errors.As(c.err, &ce) || ce.Column != "s" || ce.Err.Error() != "a value of type INT64, not BYTE_ARRAY" {
		t.Errorf("error %v, want column s's, of an INT64", c.err)
	}
	if n, ok := num[int64](&c); ok || n != 0 {
		t.Errorf("a BYTE_ARRAY read as an integer: %d, %v", n, ok)
	}
	if s, ok := c.str(); !ok || s != "y" {
		t.Errorf("the next column: %q, %v, want y", s, ok)
	}
}
