package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

// TestDamagedSnapshots cuts a snapshot at every length and flips each of
// its bytes, as the review did (it found 995 of 1,201 cut files and 347
// of 400 flipped ones called sound). A file is sound if convert reads it
// to the end and prints what it prints for the original: the damage
// changed nothing that the file holds. snapshot --info and check print
// what they print for the original for a sound file, and fail with exit
// status 1 for any other, without calling it clean on standard output.
// --header-only says that it did not read the records.
func TestDamagedSnapshots(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.ctsnap")
	if code, _, errs := ctconv(t, "", "snapshot", "-o", orig, corpusProc); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	data := readFile(t, orig)
	file := filepath.Join(dir, "t.ctsnap")
	run := func(args ...string) (int, string) {
		code, out, _ := ctconv(t, "", append(args, file)...)
		return code, out
	}
	os.WriteFile(file, data, 0o644)
	_, wantJSON := run("convert", "--to", "json")
	_, wantInfo := run("snapshot", "--info")
	_, wantCheck := run("check")
	if !strings.Contains(wantInfo, "records:  56 flows\n") || wantCheck != file+": snapshot, 56 flows, 0 bad lines\n" {
		t.Fatalf("the original: --info\n%s\ncheck %q", wantInfo, wantCheck)
	}
	test := func(what string, b []byte) {
		os.WriteFile(file, b, 0o644)
		code, out := run("convert", "--to", "json")
		sound := code == 0 && out == wantJSON
		if code, out := run("snapshot", "--info"); sound && (code != 0 || out != wantInfo) || !sound && (code != 1 || out != "") {
			t.Errorf("%s (sound %v): --info exit %d:\n%s", what, sound, code, out)
		}
		code, out = run("check")
		switch {
		case len(b) == 0: // an empty capture
		case sound && (code != 0 || out != wantCheck):
			t.Errorf("%s: sound, and check exits %d: %q", what, code, out)
		case !sound && (code != 1 || strings.Contains(out, "bad lines")):
			t.Errorf("%s: damaged, and check exits %d: %q", what, code, out)
		}
	}
	for n := range data {
		test(fmt.Sprintf("cut at %d of %d", n, len(data)), data[:n])
	}
	for i := range data {
		b := bytes.Clone(data)
		b[i] ^= 0x40
		test(fmt.Sprintf("byte %d of %d flipped", i, len(data)), b)
	}
	b := append(data[:len(data)-10:len(data)-10], data[len(data)-9:]...)
	os.WriteFile(file, b, 0o644)
	if code, out := run("snapshot", "--info", "--header-only"); code != 0 || !strings.Contains(out, "records:  56 flows, as the header says: not read (--header-only)\n") {
		t.Errorf("--header-only: exit %d:\n%s", code, out)
	}
	if code, out := run("check"); code != 1 || !strings.HasPrefix(out, file+": snapshot, damaged after ") {
		t.Errorf("check: exit %d, %q", code, out)
	}
	if code, out := run("snapshot", "--header-only"); code != 2 {
		t.Errorf("--header-only without --info: exit %d, %q", code, out)
	}
	// Written to a stream by a writer that cannot spool it (watch, or a
	// program's), the header has no count: --info counts.
	var piped bytes.Buffer
	w, err := snapshot.NewWriter(&piped, snapshot.Header{Created: time.Now(), Source: snapshot.Text(format.Proc)})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range parseAll(t, format.Proc, readFile(t, corpusProc)) {
		if err := w.WriteFlow(&f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(file, piped.Bytes(), 0o644)
	if code, out := run("snapshot", "--info"); code != 0 || !strings.Contains(out, "records:  56 flows, counted (written to a pipe") {
		t.Errorf("written to a pipe: exit %d:\n%s", code, out)
	}
	if code, out := run("snapshot", "--info", "--header-only"); code != 0 || !strings.Contains(out, "records:  unknown (written to a pipe), not read") {
		t.Errorf("written to a pipe, --header-only: exit %d:\n%s", code, out)
	}
}
