package main

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestGrowPipe: a pipe's buffer grows to pipeSize, from either end, and a
// larger one is left as it is.
func TestGrowPipe(t *testing.T) {
	pipe := func() (r, w *os.File) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close(); w.Close() })
		return r, w
	}
	size := func(f *os.File) int {
		n, err := unix.FcntlInt(f.Fd(), unix.F_GETPIPE_SZ, 0)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	r, w := pipe()
	if n := size(r); n >= pipeSize {
		t.Skipf("pipes hold %d bytes here already", n)
	}
	if _, err := unix.FcntlInt(r.Fd(), unix.F_SETPIPE_SZ, pipeSize); errors.Is(err, unix.EPERM) {
		t.Skipf("the kernel gives this user no pipe of %d bytes: %v", pipeSize, err)
	}
	for name, end := range map[string]func(r, w *os.File) *os.File{
		"read":  func(r, w *os.File) *os.File { return r },
		"write": func(r, w *os.File) *os.File { return w },
	} {
		r, w := pipe()
		growPipe(end(r, w))
		if n := size(r); n != pipeSize {
			t.Errorf("a pipe grown from its end to %s holds %d bytes, want %d", name, n, pipeSize)
		}
	}
	r, w = pipe()
	if _, err := unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, 2*pipeSize); err != nil {
		t.Logf("no pipe of %d bytes here (%v): that a larger pipe is left as it is goes unchecked", 2*pipeSize, err)
		return
	}
	growPipe(r)
	if n := size(r); n != 2*pipeSize {
		t.Errorf("a pipe of %d bytes holds %d after growPipe", 2*pipeSize, n)
	}
}
