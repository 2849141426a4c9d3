package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/internal/lab"
)

// TestLiveRestore lists a namespace's table of entries of every protocol,
// converts the listing to conntrack -R's input, flushes the table, loads
// it back with conntrack -R, and lists it again: ctconv diff of the two
// listings finds nothing but what moves on every read.
func TestLiveRestore(t *testing.T) {
	l := newLab(t)
	s := seed(t)
	var entries []lab.Entry
	for _, e := range lab.Fixed() {
		if i := slices.Index(e, "-t"); i < 0 || e[i+1] != "1" {
			entries = append(entries, e) // not the one that expires in a second
		}
	}
	entries = append(entries, lab.Random(rand.New(rand.NewPCG(s, s^2)), 200)...)
	entries = append(entries, lab.Entry{"-p", "tcp", "-s", "198.18.1.1", "-d", "198.18.1.2", "--sport", "4000", "--dport", "8080",
		"--state", "ESTABLISHED", "-t", "600", "-m", "7", "--label-add", "zero-label,bit3-label"})
	if err := l.Insert(entries); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	list := func(name string) string {
		text, err := l.Conntrack("-L", "-o", "labels")
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, name)
		os.WriteFile(file, text, 0o644)
		return file
	}
	before := list("before.txt")
	restore := filepath.Join(dir, "restore.txt")
	if code, _, errs := ctconv(t, "", "convert", "--to", "restore", "-o", restore, before); code != 0 {
		t.Fatalf("convert --to restore: exit %d: %s", code, errs)
	}
	if text := string(readFile(t, restore)); !strings.Contains(text, " -m 7 --label-add zero-label,bit3-label") {
		t.Errorf("the labelled entry lost its mark or label:\n%s", text)
	}
	if _, err := l.Conntrack("-F"); err != nil {
		t.Fatal(err)
	}
	// conntrack 1.4.7 crashes on a file of several lines with --label-add
	// in one of them, having loaded only some: load those one at a time.
	var bulk, labelled []string
	for _, line := range strings.SplitAfter(string(readFile(t, restore)), "\n") {
		if strings.Contains(line, "--label-add") {
			labelled = append(labelled, line)
		} else {
			bulk = append(bulk, line)
		}
	}
	for _, part := range append([]string{strings.Join(bulk, "")}, labelled...) {
		if _, err := l.Exec([]byte(part), "conntrack", "-R", "-"); err != nil {
			t.Fatal(err)
		}
	}
	after := list("after.txt")
	if code, out, errs := ctconv(t, "", "diff", before, after); code != 0 {
		t.Errorf("the table changed on its way through conntrack -R: exit %d, stderr %q\n%s", code, errs, out)
	}
}
