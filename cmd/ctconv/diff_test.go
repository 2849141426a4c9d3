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

// TestDiffSortedSnapshots diffs two snapshots written with --sort: the
// same summary as from their text.
func TestDiffSortedSnapshots(t *testing.T) {
	dir := t.TempDir()
	lines := strings.SplitAfter(string(readFile(t, corpusProc)), "\n")
	var files []string
	for i, text := range []string{strings.Join(lines[:30], ""), strings.Join(lines[3:40], "")} {
		txt := filepath.Join(dir, "capture"+itoa(i)+".txt")
		snap := txt + ".ctsnap"
		os.WriteFile(txt, []byte(text), 0o644)
		if code, _, errs := ctconv(t, "", "snapshot", "--sort", "-o", snap, txt); code != 0 {
			t.Fatalf("snapshot --sort: exit %d: %s", code, errs)
		}
		if _, info, _ := ctconv(t, "", "snapshot", "--info", snap); !strings.Contains(info, "order:    sorted by identity") {
			t.Errorf("--info:\n%s", info)
		}
		files = append(files, txt, snap)
	}
	_, fromText, _ := ctconv(t, "", "diff", files[0], files[2])
	code, fromSnap, errs := ctconv(t, "", "diff", files[1], files[3])
	last := func(s string) string {
		ls := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		return ls[len(ls)-1]
	}
	if code != 1 || last(fromSnap) != last(fromText) || !strings.HasPrefix(last(fromText), "diff: 10 added, 3 removed") {
		t.Errorf("exit %d, stderr %q: %q against %q", code, errs, last(fromSnap), last(fromText))
	}
	if code, _, errs := ctconv(t, "", "convert", "--sort", "--to", "json", files[0]); code != 2 || !strings.Contains(errs, "--sort sorts a snapshot") {
		t.Errorf("--sort --to json: exit %d, %q", code, errs)
	}
}

// TestDiffXML diffs captures against their conversion to conntrack's XML,
// which has no ICMP type, code and id: no change, whether the ICMP flows
// between the same two hosts are one or several (pings of other ids), as
// text and as sorted snapshots.
func TestDiffXML(t *testing.T) {
	dir := t.TempDir()
	ping := func(id string) string {
		return "ipv4     2 icmp     1 29 src=10.9.0.1 dst=10.9.0.2 type=8 code=0 id=" + id + " packets=" + id + " bytes=84 src=10.9.0.2 dst=10.9.0.1 type=0 code=0 id=" + id + " packets=1 bytes=84 mark=0 zone=0 use=2\n"
	}
	proc := string(readFile(t, corpusProc))
	for i, text := range []string{proc, ping("7") + ping("3") + ping("5") + proc + ping("1")} {
		txt := filepath.Join(dir, "capture"+itoa(i)+".txt")
		if err := os.WriteFile(txt, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		xml := txt + ".xml"
		if code, _, errs := ctconv(t, "", "convert", "--to", "xml", "-o", xml, txt); code != 0 {
			t.Fatalf("convert --to xml: exit %d: %s", code, errs)
		}
		files := []string{txt, xml}
		for _, f := range []string{txt, xml} {
			if code, _, errs := ctconv(t, "", "snapshot", "--sort", "-o", f+".ctsnap", f); code != 0 {
				t.Fatalf("snapshot --sort: exit %d: %s", code, errs)
			}
			files = append(files, f+".ctsnap")
		}
		for _, a := range files {
			for _, b := range files {
				if code, out, errs := ctconv(t, "", "diff", a, b); code != 0 || out != "" || errs != "" {
					t.Errorf("%s against %s: exit %d, stdout %q, stderr %q", filepath.Base(a), filepath.Base(b), code, out, errs)
				}
			}
		}
	}
}
