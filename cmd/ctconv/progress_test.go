package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/gen"
)

// TestProgress converts a gzip-compressed capture of a million flows on a
// terminal, which script(1) provides: a progress bar with the entries a
// second shows on it. Piped, the same run shows nothing.
func TestProgress(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a capture of a million flows")
	}
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to give ctconv a terminal (apt-get install bsdutils)")
	}
	bin := build(t)
	dir := t.TempDir()
	capture := filepath.Join(dir, "table.txt.gz")
	f, _ := os.Create(capture)
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	bw := bufio.NewWriterSize(zw, 1<<16)
	w := format.NewWriter(bw, format.Dialect{Format: format.Proc})
	g := gen.New(1)
	var fl format.Flow
	for range 1000000 {
		g.Flow(&fl)
		w.Write(&fl)
	}
	bw.Flush()
	zw.Close()
	f.Close()

	out := filepath.Join(dir, "table.json")
	term, err := exec.Command(script, "-qec", bin+" convert --to json -o "+out+" "+capture, "/dev/null").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, term)
	}
	if !bytes.Contains(term, []byte("entries, ")) || !bytes.Contains(term, []byte("/s")) || !bytes.Contains(term, []byte("%")) {
		t.Errorf("no progress bar on the terminal:\n%q", term[:min(len(term), 400)])
	}
	if n := bytes.Count(readFile(t, out), []byte("\n")); n != 1000000 {
		t.Errorf("converted %d flows", n)
	}

	var stderr bytes.Buffer
	cmd := exec.Command(bin, "convert", "--to", "json", "-o", out, capture)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("piped: %v, stderr %q", err, strings.TrimSpace(stderr.String()))
	}
}
