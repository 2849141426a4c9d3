package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFromHint reads captures with a --from that names another format:
// every line is then bad, and each error says only what the named format
// wanted, so every command says once what format the lines read as. A
// bad line of the format named, or one that reads as no format, gets no
// such word.
func TestFromHint(t *testing.T) {
	corpus := "../../testdata/corpus/"
	list, proc, jsonl := corpus+"conntrack-L.txt", corpus+"proc.txt", corpus+"proc.jsonl"
	dir := t.TempDir()
	lines := strings.SplitAfter(string(readFile(t, proc)), "\n")
	badProc := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(badProc, []byte(lines[0]+strings.Replace(lines[1], "src=", "src=300.", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	snap, pq := filepath.Join(dir, "a.ctsnap"), filepath.Join(dir, "a.parquet")
	for to, out := range map[string]string{"snapshot": snap, "parquet": pq} {
		if code, _, errs := ctconv(t, "", "convert", "--to", to, "-o", out, proc); code != 0 {
			t.Fatal(errs)
		}
	}
	junk := filepath.Join(dir, "junk.txt")
	if err := os.WriteFile(junk, []byte("no flow here\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		hint string // "" for none
	}{
		{"check", []string{"check", "--from", "proc", list}, "ctconv check: " + list + ": its first bad line reads as conntrack, not proc: --from conntrack, or no --from to detect the format\n"},
		{"convert", []string{"convert", "--from", "save", list}, "ctconv convert: " + list + ": the line reads as conntrack, not save: --from conntrack, or no --from to detect the format\n"},
		{"xml", []string{"convert", "--from", "xml", list}, "reads as conntrack, not xml: --from conntrack"},
		{"expectations", []string{"convert", "--from", "conntrack-expect", list}, "reads as conntrack, not conntrack-expect: --from conntrack"},
		{"json as text", []string{"convert", "--from", "conntrack", jsonl}, "reads as json, not conntrack: --from json"},
		{"text as json", []string{"convert", "--from", "json", proc}, "reads as proc, not json: --from proc"},
		{"stats", []string{"stats", "--from", "conntrack", proc}, "ctconv stats: " + proc + ": the line reads as proc, not conntrack"},
		{"snapshot as text", []string{"convert", "--from", "proc", snap}, "reads as snapshot, not proc: --from snapshot"},
		{"parquet as text", []string{"check", "--from", "xml", pq}, "its first bad line reads as parquet, not xml: --from parquet"},
		{"diff", []string{"diff", "--from", "proc", proc, list}, "ctconv diff: " + list + ": the line reads as conntrack, not proc"},
		{"bad line of its format", []string{"check", "--from", "proc", badProc}, ""},
		{"auto", []string{"check", badProc}, ""},
		{"no format", []string{"check", "--from", "proc", junk}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, errs := ctconv(t, "", c.args...)
			got := strings.Count(errs, "no --from to detect the format")
			switch {
			case c.hint == "" && got != 0:
				t.Errorf("a hint where none is due:\n%s", errs)
			case c.hint != "" && (got != 1 || !strings.Contains(errs, c.hint)):
				t.Errorf("want %q once, stderr:\n%s", c.hint, errs)
			}
		})
	}
}

// TestUndetected reads a capture of no format with every command: each
// reports it as a bad line, named once, with the line underlined. check,
// stats and diff named the file twice ("ctconv check: F: F:1:1: ...")
// and underlined nothing.
func TestUndetected(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "junk.txt")
	if err := os.WriteFile(junk, []byte("ipv9 tcp 6 431999 ESTABLISHED src=10.0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"check", junk},
		{"convert", junk},
		{"stats", junk},
		{"snapshot", "-o", junk + ".ctsnap", junk},
		{"diff", junk, corpusProc},
		{"diff", corpusProc, junk},
	} {
		code, _, errs := ctconv(t, "", args...)
		if code == 0 || !strings.HasPrefix(errs, junk+":1:1: cannot detect the format") ||
			strings.Count(errs, junk) != 1 || !strings.Contains(errs, "\n    ipv9 tcp") || !strings.Contains(errs, "\n    ^") {
			t.Errorf("%s: exit %d, stderr:\n%s", args[0], code, errs)
		}
	}
}

// TestFormatMeant gives --from and --to the names that people give the
// formats, and ctconv's in other letters' case: each error names the
// format meant, and a name like none names none.
func TestFormatMeant(t *testing.T) {
	for _, c := range []struct{ name, meant string }{
		{"jsonl", "json"},
		{"NDJSON", "json"},
		{"JSON", "json"},
		{"Proc", "proc"},
		{"nf_conntrack", "proc"},
		{"ip_conntrack", "iplegacy"},
		{"ctsnap", "snapshot"},
		{"PARQUET", "parquet"},
		{"bogus", ""},
		{"auto", ""}, // not an output format
	} {
		want := ": did you mean " + c.meant + "?"
		for _, args := range [][]string{{"convert", "--to", c.name, corpusProc}, {"check", "--from", c.name, corpusProc}} {
			if c.name == "auto" && args[1] == "--from" {
				continue
			}
			code, _, errs := ctconv(t, "", args...)
			if code != 2 || strings.Contains(errs, want) != (c.meant != "") || c.meant == "" && strings.Contains(errs, "did you mean") {
				t.Errorf("%v: exit %d, %s", args, code, errs)
			}
		}
	}
}
