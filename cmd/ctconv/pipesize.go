package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// pipeSize is the buffer that ctconv asks the kernel for on the pipes it
// reads and writes: 1 MiB, as much as an unprivileged process may set by
// default (/proc/sys/fs/pipe-max-size), for 64 KiB.
const pipeSize = 1 << 20

// growPipe makes the kernel's buffer of f at least pipeSize where f is a
// pipe, so that the program at its other end, writing a capture as fast as
// ctconv parses it (cat, zstd -d, ssh), runs ahead by 1 MiB, rather than
// waiting for ctconv at every 64 KiB and ctconv for it: `cat capture |
// ctconv check -` ran 1.4 times as fast on two cores (BENCHMARKS.md).
// Where the kernel refuses (a user's pipes past their limit), the pipe
// stays as it was.
func growPipe(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		var st unix.Stat_t
		if unix.Fstat(int(fd), &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
			return
		}
		if n, err := unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0); err == nil && n < pipeSize {
			unix.FcntlInt(fd, unix.F_SETPIPE_SZ, pipeSize)
		}
	})
}
