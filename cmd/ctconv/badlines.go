package main

import (
	"fmt"
	"io"
	"math"
	"sync"
)

// badLines reports the bad lines of a run on standard error: the first
// max of them (all, with max 0), then how many more there were, so that a
// damaged input of a million bad lines does not print a million errors.
type badLines struct {
	mu  sync.Mutex // convert reports from its reading goroutine too
	w   io.Writer
	max *int // --max-errors
	n   int
}

// defaultMaxErrors is how many bad lines a run reports, by default.
const defaultMaxErrors = 100

// maxErrorsFlag adds --max-errors, the max of the returned badLines.
func (c *command) maxErrorsFlag() *badLines {
	return &badLines{w: c.stderr, max: c.intFlag("max-errors", defaultMaxErrors, 0, math.MaxInt,
		"report at most `N` bad lines, then how many more there were (0: all)")}
}

// report counts a bad line, and prints its error if fewer than max have
// been printed.
func (b *badLines) report(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n++
	if *b.max == 0 || b.n <= *b.max {
		fmt.Fprintln(b.w, err)
	}
}

// finish says how many bad lines were not printed, if any.
func (b *badLines) finish(cmd string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if *b.max > 0 && b.n > *b.max {
		fmt.Fprintf(b.w, "ctconv %s: ... and %d more bad lines, %d in all (--max-errors 0 shows every one)\n", cmd, b.n-*b.max, b.n)
	}
}
