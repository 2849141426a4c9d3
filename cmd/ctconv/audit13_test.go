package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestDiffEscapesC1 (audit of issue 13, item 13): diff prints for a person
// and escapes C1 control characters in a changed field's values (055504c:
// "a terminal takes U+009B as CSI"), but the flow itself, printed by
// conntrack's printer, carries them raw. The readers take U+0080 to U+009F
// (valid UTF-8, no C0 byte), so a helper, secctx or label name of a JSON
// Lines input, or of conntrack's text, reaches the terminal as CSI through
// the "+", "-" and "~" lines of diff.
func TestDiffEscapesC1(t *testing.T) {
	const (
		base   = `{"family":"ipv4","proto":"tcp","proto-num":6,"timeout":431996,"state":"ESTABLISHED","tuple-orig":{"src":"127.0.0.1","dst":"127.0.0.1","proto-src-port":40704,"proto-dst-port":2121},"tuple-reply":{"src":"127.0.0.1","dst":"127.0.0.1","proto-src-port":2121,"proto-dst-port":40704},"status":["seen-reply","assured","confirmed"],"mark":0,"help-name":"HELPER","use":1}`
		csi    = "\u009b31m"
		other  = `"proto-src-port":40705`
		origSP = `"proto-src-port":40704`
	)
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	plain := write("plain.json", strings.Replace(base, "HELPER", "ftp", 1))
	evil := write("evil.json", strings.Replace(base, "HELPER", "ftp"+csi, 1))
	added := write("added.json", strings.Replace(strings.Replace(base, "HELPER", "ftp"+csi, 1), origSP, other, 1))
	for _, c := range []struct{ name, old, new string }{
		{"a changed helper", plain, evil},
		{"an added flow", plain, added},
		{"a removed flow", added, plain},
	} {
		code, out, errs := ctconv(t, "", "diff", c.old, c.new)
		if code != 1 {
			t.Fatalf("%s: exit %d, stderr %q", c.name, code, errs)
		}
		for _, r := range out {
			if r >= 0x80 && r < 0xa0 || r == utf8.RuneError {
				t.Errorf("%s: diff printed U+%04X raw: %q", c.name, r, out)
				break
			}
		}
	}
}
