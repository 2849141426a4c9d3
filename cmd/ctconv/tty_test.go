package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

// TestPasteInTerminal pastes a capture into ctconv reading a terminal, as
// a user without a file does, and ends it with Ctrl-D: ctconv says how to
// end it, and reads what was pasted. Read from a pipe, it says nothing.
func TestPasteInTerminal(t *testing.T) {
	capture, _ := os.ReadFile("../../testdata/corpus/conntrack-L.txt")
	master, tty, closePTY, err := openPTY()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer closePTY()
	go io.Copy(io.Discard, master) // the terminal's echo
	go func() {
		master.Write(capture)
		master.Write([]byte{4}) // Ctrl-D, at the start of a line
	}()
	var out, errs bytes.Buffer
	if code := run([]string{"convert", "--to", "json"}, tty, &out, &errs); code != 0 {
		t.Fatalf("status %d: %s", code, errs.String())
	}
	if got, want := strings.Count(out.String(), "\n"), strings.Count(string(capture), "\n"); got != want {
		t.Errorf("%d records printed of the %d pasted", got, want)
	}
	if !strings.Contains(errs.String(), "Ctrl-D") {
		t.Errorf("reading a terminal, ctconv says %q; want how to end the paste", errs.String())
	}
	code, _, stderr := ctconv(t, string(capture), "convert", "--to", "json")
	if code != 0 || stderr != "" {
		t.Errorf("reading a pipe: status %d, %q", code, stderr)
	}
}
