package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConntrackdConvert converts every capture of conntrackd's caches to
// conntrackd's formats, with the format named and detected: each prints
// back byte for byte; check reads them clean; the help names the formats;
// a flow of conntrackd -e, which has no reply tuple, does not print as
// conntrack -L, and says why.
func TestConntrackdConvert(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/conntrackd/*conntrackd-[ie]*.txt")
	if len(files) == 0 {
		t.Fatal("no captures of conntrackd")
	}
	for _, file := range files {
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(file)
		f := "conntrackd"
		switch {
		case strings.HasSuffix(base, "-expect-x.txt"):
			f = "conntrackd-xml-expect"
		case strings.HasSuffix(base, "-x.txt"):
			f = "conntrackd-xml"
		case strings.HasSuffix(base, "-expect.txt"):
			f = "conntrackd-expect"
		}
		for _, args := range [][]string{{"--from", f, "--to", f}, {}} {
			code, out, errs := ctconv(t, "", append(append([]string{"convert"}, args...), file)...)
			if code != 0 || out != string(want) {
				t.Errorf("convert %v %s: %d, %s\n%s", args, base, code, errs, out)
			}
		}
		if code, out, errs := ctconv(t, "", "check", "--from", f, file); code != 0 {
			t.Errorf("check --from %s %s: %d %s %s", f, base, code, out, errs)
		}
	}
	code, _, errs := ctconv(t, "", "convert", "--to", "conntrack", "../../testdata/conntrackd/conntrackd-e.txt")
	if code != 1 || !strings.Contains(errs, "no reply tuple") {
		t.Errorf("conntrackd -e to conntrack: %d, %s", code, errs)
	}
	_, usage, _ := ctconv(t, "", "--help")
	_, help, helpErr := ctconv(t, "", "convert", "--help")
	for _, name := range []string{"conntrackd", "conntrackd-expect", "conntrackd-xml", "conntrackd-xml-expect"} {
		if !strings.Contains(usage, name) || !strings.Contains(help+helpErr, name) {
			t.Errorf("the help does not name %s", name)
		}
	}
}
