package corpustest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// TestCaptures checks that every capture of the corpus is listed, with
// its golden JSON Lines, which exist, and the format its name says.
func TestCaptures(t *testing.T) {
	cs := Captures(t)
	all, _ := filepath.Glob("../../testdata/corpus/*.txt")
	if len(cs) != len(all) {
		t.Errorf("%d captures listed, %d in the folder", len(cs), len(all))
	}
	for _, c := range cs {
		if _, err := os.Stat(c.Golden); err != nil {
			t.Errorf("%s: %v", c.Path, err)
		}
	}
	for name, want := range map[string]format.Format{
		"../../testdata/corpus/proc.txt":               format.Proc,
		"../../testdata/corpus/proc-expect.txt":        format.ProcExpect,
		"../../testdata/corpus/conntrack-expect-L.txt": format.ConntrackExpect,
		"../../testdata/corpus/conntrack-L-id.txt":     format.Conntrack,
		"../../testdata/corpus/xml-expect-E-crlf.txt":  format.XMLExpect,
	} {
		var got format.Format
		for _, c := range cs {
			if c.Path == name {
				got = c.Format
			}
		}
		if got != want {
			t.Errorf("%s: format %v; want %v", name, got, want)
		}
	}
	if f, ok := FormatOf("notes.txt"); ok {
		t.Errorf("notes.txt: format %v", f)
	}
}
