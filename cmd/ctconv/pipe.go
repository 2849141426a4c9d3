package main

import (
	"errors"
	"io"
	"os"
	"sync"
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
