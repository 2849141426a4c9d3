package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"
)

// lockedWriter serialises the writes of goroutines to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Stat answers for the writer underneath, so that isTerminal sees through.
func (l *lockedWriter) Stat() (os.FileInfo, error) {
	if s, ok := l.w.(interface{ Stat() (os.FileInfo, error) }); ok {
		return s.Stat()
	}
	return nil, errors.New("not a file")
}

// brokenPipe reports whether err is a write to a pipe whose reader has
// gone away, as head(1) does: the end of the output, not a failure to
// report. (main ignores SIGPIPE, so that the write fails with EPIPE.)
func brokenPipe(err error) bool { return errors.Is(err, syscall.EPIPE) }

// wrote returns the exit status of a command whose writes to standard
// output ended with err: status, what the run earned, when the writes
// succeeded or met a broken pipe; 1 otherwise, after reporting err.
func wrote(stderr io.Writer, cmd string, err error, status int) int {
	if err == nil || brokenPipe(err) {
		return status
	}
	writeFailed(stderr, cmd, err)
	return 1
}

// writeFailed reports a failed write as "ctconv CMD: write: ERR", without
// the name of the file written, standard output's or a temporary file's.
func writeFailed(stderr io.Writer, cmd string, err error) {
	if pe, ok := err.(*fs.PathError); ok && pe.Op == "write" {
		err = pe.Err
	}
	fmt.Fprintf(stderr, "ctconv %s: write: %v\n", cmd, err)
}
