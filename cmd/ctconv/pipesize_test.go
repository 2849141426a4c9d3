package main

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestGrowPipe: a pipe's buffer grows to pipeSize, from either end; a
// regular file is left as it is.
func TestGrowPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	size := func() int {
		n, err := unix.FcntlInt(r.Fd(), unix.F_GETPIPE_SZ, 0)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := size(); n >= pipeSize {
		t.Skipf("pipes hold %d bytes here already", n)
	}
	growPipe(w)
	if n := size(); n != pipeSize {
		t.Errorf("a pipe grown from its end to write holds %d bytes, want %d", n, pipeSize)
	}
	growPipe(r) // already as large: no change, no error
	if n := size(); n != pipeSize {
		t.Errorf("grown again: %d bytes", n)
	}

	f, err := os.Create(filepath.Join(t.TempDir(), "capture.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	growPipe(f)
	if _, err := f.WriteString("not a pipe\n"); err != nil {
		t.Errorf("a file after growPipe: %v", err)
	}
}
