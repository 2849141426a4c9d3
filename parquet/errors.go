package parquet

import (
	"errors"

	"github.com/ctconv/ctconv/format"
)

// ErrNotParquet says that an input is not a Parquet file: it lacks the
// magic "PAR1" at its start or its end.
var ErrNotParquet = errors.New("parquet: not a Parquet file (no PAR1 at its start and end)")

// A FileError says why a Parquet file cannot be read as ctconv's records:
// it is damaged or cut, its footer declares more than the file holds or
// than a reader should take, or its schema lacks a column of the records.
type FileError struct {
	Msg string
	Err error // the library's error, if any
}

func (e *FileError) Error() string {
	if e.Err != nil {
		return "parquet: " + e.Msg + ": " + e.Err.Error()
	}
	return "parquet: " + e.Msg
}

func (e *FileError) Unwrap() error { return e.Err }

// A ColumnError says that a row holds a value that no record has, such as
// an unknown state's name: Row is the row's index in the file.
type ColumnError struct {
	Row    int64
	Column string
	Err    error
}

func (e *ColumnError) Error() string {
	return "parquet: row " + itoa(e.Row) + ": column " + e.Column + ": " + e.Err.Error()
}

func (e *ColumnError) Unwrap() error { return e.Err }

func columnErr(col string, err error) error { return &ColumnError{Row: -1, Column: col, Err: err} }

type errorString string

func (e errorString) Error() string { return string(e) }

// unprintable says that a record has no form in a file: it wraps
// format.ErrUnprintable, so that the caller can report the record and go
// on.
type unprintable struct{ msg string }

func (e *unprintable) Error() string { return "parquet: " + e.msg }
func (e *unprintable) Unwrap() error { return format.ErrUnprintable }

func itoa(n int64) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			return string(b[i:])
		}
	}
}
