package format_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// sample is one line of a format, for the allocation tests and benchmarks.
type sample struct {
	name string // format/protocol/family, as in "proc/tcp/ipv4"
	f    format.Format
	line []byte
}

// samples returns the first corpus line of each format, protocol and family.
func samples(t testing.TB) []sample {
	var out []sample
	seen := map[string]bool{}
	for _, file := range corpusFiles(t) {
		f, _ := corpusFormat(file)
		if f.Expectations() {
			continue // see TestExpectZeroAlloc
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			var fl format.Flow
			if err := f.Parse(sc.Bytes(), &fl); errors.Is(err, format.ErrNoRecord) {
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			name := f.String() + "/" + fl.Proto.String() + "/" + fl.Family.String()
			if fl.Quirks&format.QuirkUnknownName != 0 {
				name = f.String() + "/unknown-" + fl.Proto.String() + "/" + fl.Family.String()
			}
			if !seen[name] {
				seen[name] = true
				out = append(out, sample{name, f, bytes.Clone(sc.Bytes())})
			}
		}
	}
	return out
}

func readFile(t testing.TB, name string) []byte {
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
