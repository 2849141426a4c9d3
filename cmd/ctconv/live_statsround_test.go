package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLiveStatsRoundTrip takes conntrack -S, conntrack -S expect,
// conntrack -C and /proc/net/stat/nf_conntrack of a namespace with traffic
// and expectations, and checks that each prints back byte for byte through
// ctconv convert, with its format named and detected (issue 16).
func TestLiveStatsRoundTrip(t *testing.T) {
	l := newLab(t)
	if err := l.BareACKs(20, 8000); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name   string
		format string
		args   []string
	}{
		{"S", "conntrack-stats", []string{"conntrack", "-S"}},
		{"S-expect", "conntrack-stats", []string{"conntrack", "-S", "expect"}},
		{"C", "conntrack-stats", []string{"conntrack", "-C"}},
		{"proc", "proc-stats", []string{"cat", "/proc/net/stat/nf_conntrack"}},
	} {
		out, err := l.Exec(nil, c.args...)
		if err != nil || len(out) == 0 {
			t.Fatalf("%v: %v", c.args, err)
		}
		file := filepath.Join(dir, c.name)
		if err := os.WriteFile(file, out, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, from := range []string{c.format, "auto"} {
			code, got, errs := ctconv(t, "", "convert", "--from", from, "--to", c.format, file)
			if code != 0 || errs != "" || got != string(out) {
				t.Errorf("%v --from %s: exit %d, stderr %q, prints\n%s\nwant\n%s", c.args, from, code, errs, got, out)
			}
		}
	}
}
