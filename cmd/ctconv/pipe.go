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

// terminal answers for the writer underneath, so that a progress line
// shows on it (newProgress).
func (l *lockedWriter) terminal() *termLine {
	if t, ok := l.w.(interface{ terminal() *termLine }); ok {
		return t.terminal()
	}
	return nil
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

// writeFailed reports the error that ended the writing of cmd's output,
// once: "ctconv CMD: write: ERR" for standard output, and for a file the
// error that names it and what was done to it.
func writeFailed(stderr io.Writer, cmd string, err error) {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path != os.Stdout.Name() {
		fmt.Fprintf(stderr, "ctconv %s: %v\n", cmd, err)
		return
	}
	if pe != nil {
		err = pe.Err
	}
	fmt.Fprintf(stderr, "ctconv %s: write: %v\n", cmd, err)
}

// spool holds a snapshot bound for a stream (a pipe, standard output, a
// device) in an unnamed temporary file, where its writer can go back to
// complete its header (count, options, footer), and copies it to the stream
// at the end: a snapshot written to a pipe is as complete as one written to
// a file, and the stream is written in order.
type spool struct {
	*os.File
	dst io.Writer
}

func newSpool(dst io.Writer) (*spool, error) {
	f, err := os.CreateTemp("", "ctconv-spool-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name()) // unnamed: gone with the process, however it ends
	return &spool{File: f, dst: dst}, nil
}

// finish copies the snapshot to the stream and closes the temporary file.
func (s *spool) finish() error {
	defer s.File.Close()
	if _, err := s.File.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(s.dst, s.File)
	return err
}
