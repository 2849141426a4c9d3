package fuzz

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/encodetest"
	"github.com/ctconv/ctconv/snapshot"
)

// FuzzOpen opens inputs as ctconv opens a file, compressed or not, and
// reads their records: nothing panics, and an input read as it is reads
// the same, record for record and error for error, compressed with gzip
// and with zstd; in UTF-16 of either byte order, as Windows PowerShell 5
// saves text, an input of UTF-8 reads as it does after UTF-8's byte-order
// mark; JSON Lines that read whole read the same in an array, an object
// a line. The seeds are captures, plain and compressed with gzip, zstd and
// bzip2, in UTF-16, and JSON laid out as jq lays it out.
func FuzzOpen(f *testing.F) {
	for _, file := range []string{"proc.txt", "conntrack-L-extended-id.txt", "xml-L.txt", "conntrack-expect-L.txt"} {
		data, _ := os.ReadFile("../testdata/corpus/" + file)
		lines := bytes.SplitAfterN(data, []byte("\n"), 5)
		head := bytes.Join(lines[:len(lines)-1], nil)
		f.Add(head)
		f.Add(encodetest.Gzip(head))
		f.Add(encodetest.Zstd(head))
		f.Add(encodetest.UTF16(head, binary.LittleEndian))
	}
	// JSON laid out again: jq ., and jq -s.
	jsonl, _ := os.ReadFile("../testdata/corpus/conntrack-L.jsonl")
	objs := bytes.SplitN(jsonl, []byte("\n"), 4)[:3]
	var pretty bytes.Buffer
	for _, o := range objs {
		json.Indent(&pretty, o, "", "  ")
		pretty.WriteByte('\n')
	}
	f.Add(pretty.Bytes())
	f.Add(append(append([]byte("[\n"), bytes.Join(objs, []byte(",\n"))...), "\n]\n"...))
	for _, file := range []string{"../snapshot/testdata/conntrack-L-extended-id.txt.bz2", "../testdata/stats/conntrack-S.txt", "../testdata/empty/conntrack-L.txt"} {
		data, _ := os.ReadFile(file)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if utf8.Valid(data) {
			_, want := opened(append([]byte("\ufeff"), data...))
			for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
				if _, got := opened(encodetest.UTF16(data, order)); !slices.Equal(got, want) {
					t.Fatalf("in UTF-16 of %v, the input reads\n%q\nand in UTF-8 with a byte-order mark\n%q", order, got, want)
				}
			}
		}
		in, got := opened(data)
		if in == nil || in.Compression() != "" {
			return
		}
		if in.Encoding() == snapshot.JSON && !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "error: ") }) {
			// JSON Lines that read whole read the same in an array, an
			// object a line (so that no line grows past the limit).
			var objs [][]byte
			lines := true // an object a line
			for line := range bytes.SplitSeq(bytes.TrimPrefix(data, []byte("\ufeff")), []byte("\n")) {
				if t := bytes.TrimSpace(line); len(t) > 0 {
					objs = append(objs, line)
					lines = lines && t[0] == '{' && t[len(t)-1] == '}'
				}
			}
			array := append(append([]byte("[\n"), bytes.Join(objs, []byte(",\n"))...), "\n]"...)
			if _, read := opened(array); lines && !slices.Equal(read, got) {
				t.Fatalf("in an array, the JSON Lines read\n%q\nand as they are\n%q", read, got)
			}
		}
		for name, compressed := range map[string][]byte{"gzip": encodetest.Gzip(data), "zstd": encodetest.Zstd(data)} {
			cin, read := opened(compressed)
			if !slices.Equal(read, got) {
				t.Fatalf("compressed with %s, the input reads\n%q\nand as it is\n%q", name, read, got)
			}
			if cin.Compression() != name {
				t.Fatalf("compressed with %s, the input's compression is %q", name, cin.Compression())
			}
		}
	})
}

// opened opens data as ctconv opens a file and returns the Input, nil if
// it did not open, and what reading it gave: each record, or error, as
// text, up to the error that ended the records, or Open's.
func opened(data []byte) (*snapshot.Input, []string) {
	in, err := snapshot.Open(bytes.NewReader(data), snapshot.Text(format.Auto), format.Dialect{Location: time.UTC}, format.WithMaxLine(1024))
	if err != nil {
		return nil, []string{"open: " + err.Error()}
	}
	defer in.Close()
	switch {
	case in.Statistics():
		return in, texts(in.Stats())
	case in.Expectations():
		return in, texts(in.Expects())
	}
	return in, texts(in.Flows())
}

// texts returns the records of seq, and its errors, as text, up to an
// error that is not a line's.
func texts[T any](seq iter.Seq2[*T, error]) []string {
	var all []string
	for r, err := range seq {
		if err != nil {
			all = append(all, "error: "+err.Error())
			var pe *format.ParseError
			if !errors.As(err, &pe) {
				break
			}
			continue
		}
		all = append(all, fmt.Sprint(r))
	}
	return all
}
