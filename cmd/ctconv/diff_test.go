package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiffCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lines := strings.SplitAfter(string(readFile(t, corpusProc)), "\n")
	old := write("old.txt", strings.Join(lines[:10], ""))
	new := write("new.txt", strings.Join(lines[1:11], ""))
	bad := write("bad.txt", lines[0]+"tcp 6 garbage\n")
	for _, c := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		out   string // in stdout; "" for no output at all
		err   string // in stderr
	}{
		{"same", "", []string{"diff", old, old}, 0, "", ""},
		{"differ", "", []string{"diff", old, new}, 1, "diff: 1 added, 1 removed, 0 changed, 9 unchanged\n", ""},
		{"new from stdin", strings.Join(lines[1:11], ""), []string{"diff", old, "-"}, 1, "diff: 1 added, 1 removed, 0 changed, 9 unchanged\n", ""},
		{"json", "", []string{"diff", "--format", "json", old, new}, 1, `{"op":"added","flow":{"family":`, ""},
		{"volatile", "", []string{"diff", "--include-volatile", old, old}, 0, "", ""},
		{"one capture", "", []string{"diff", old}, 2, "", "want two captures"},
		{"two stdins", "", []string{"diff", "-", "-"}, 2, "", "standard input can be only one"},
		{"bad form", "", []string{"diff", "--format", "yaml", old, new}, 2, "", `"yaml" is neither text nor json`},
		{"bad field", "", []string{"diff", "--ignore", "colour", old, new}, 2, "", `no field "colour" to ignore`},
		{"bad line", "", []string{"diff", old, bad}, 2, "", bad + ":2:"},
		{"no file", "", []string{"diff", old, "/nonexistent"}, 2, "", "no such file"},
		{"expectations", "", []string{"diff", old, "../../testdata/corpus/proc-expect.txt"}, 2, "", "expectations"},
		{"help", "", []string{"diff", "--help"}, 0, "--include-volatile", ""},
	} {
		code, out, errs := ctconv(t, c.stdin, c.args...)
		outOK := strings.Contains(out, c.out)
		if c.out == "" {
			outOK = out == ""
		}
		if code != c.code || !outOK || !strings.Contains(errs, c.err) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", c.name, code, out, errs)
		}
	}
}
