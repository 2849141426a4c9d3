package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// pipeSize is the buffer that ctconv asks the kernel for on the pipes it
// reads captures from, in place of the kernel's 64 KiB: 1 MiB, as much as
// an unprivileged process may ask for by default
// (/proc/sys/fs/pipe-max-size), out of a user's allowance of 64 MiB for
// all their pipes (pipe-user-pages-soft). 256 KiB took 5% longer on one
// core, and 9% on two.
const pipeSize = 1 << 20

// growPipe asks the kernel for a buffer of pipeSize where f is a pipe with
// less, so that the program at its other end, writing a capture as fast
// as ctconv parses it (cat, zstd -d, ssh), runs ahead rather than waiting
// for ctconv at every 64 KiB, and ctconv for it: `cat capture | ctconv
// check -` ran 1.25 times as fast on two cores (BENCHMARKS.md). Where f is
// no pipe, or the kernel refuses (a user's pipes past their allowance), f
// stays as it was.
func growPipe(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		if n, err := unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0); err == nil && n < pipeSize { // fails where fd is no pipe
			unix.FcntlInt(fd, unix.F_SETPIPE_SZ, pipeSize)
		}
	})
}
