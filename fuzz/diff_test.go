package fuzz

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/corpustest"
	"github.com/ctconv/ctconv/snapshot"
)

// FuzzDiff diffs two inputs: it never panics, and an input that reads
// without error diffed with itself has no added, removed or changed flow
// (only duplicates, where it holds an identity twice).
func FuzzDiff(f *testing.F) {
	files := corpustest.Paths(f, "*")
	for i, file := range files {
		a, _ := os.ReadFile(file)
		b, _ := os.ReadFile(files[(i+1)%len(files)])
		f.Add(a[:min(len(a), 2048)], b[:min(len(b), 2048)])
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		diff(a, b)
		changes, err := diff(a, a)
		if err == nil && len(changes) > 0 {
			t.Fatalf("an input diffed with itself: %v", changes)
		}
	})
}

// diff returns the ops of a diff of a and b other than duplicates.
func diff(a, b []byte) ([]string, error) {
	open := func(data []byte) (*snapshot.Input, error) {
		return snapshot.Open(bytes.NewReader(data), snapshot.Text(format.Auto), format.Dialect{Location: time.UTC}, format.WithMaxLine(1024))
	}
	old, err := open(a)
	if err != nil {
		return nil, err
	}
	defer old.Close()
	new, err := open(b)
	if err != nil {
		return nil, err
	}
	defer new.Close()
	d, err := snapshot.NewDiff(old, new, snapshot.DiffOptions{Volatile: true})
	if err != nil {
		return nil, err
	}
	var ops []string
	for c, err := range d.Changes() {
		if err != nil {
			return ops, err
		}
		if c.Op != snapshot.Duplicate {
			ops = append(ops, c.Op.String())
		}
	}
	return ops, nil
}
