package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
)

// TestLiveDiffStats takes conntrack -S and /proc/net/stat/nf_conntrack of
// a namespace before and after bare TCP ACKs that its tracker finds
// invalid (nf_conntrack_tcp_loose=0 in the namespace), and checks that
// ctconv diff of each pair exits 1 and shows each counter that rose, by
// the amount the two captures differ, and invalid among them.
func TestLiveDiffStats(t *testing.T) {
	l := newLab(t)
	dir := t.TempDir()
	capture := func(moment string) {
		for name, args := range map[string][]string{
			"S":    {"conntrack", "-S"},
			"proc": {"cat", "/proc/net/stat/nf_conntrack"},
		} {
			out, err := l.Exec(nil, args...)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, name+"-"+moment), out, 0o644)
		}
	}
	capture("before")
	if err := l.BareACKs(100, 8000); err != nil {
		t.Fatal(err)
	}
	capture("after")
	for _, name := range []string{"S", "proc"} {
		before, after := filepath.Join(dir, name+"-before"), filepath.Join(dir, name+"-after")
		code, out, errs := ctconv(t, "", "diff", before, after)
		if code != 1 || errs != "" {
			t.Errorf("%s: exit %d, stderr %q", name, code, errs)
		}
		// The counters that rose, by reading the captures here.
		sum := func(file string) map[format.Stat]uint64 {
			sc, _ := format.NewScanner(bytes.NewReader(readFile(t, file)), format.Dialect{Format: format.Auto})
			m := map[format.Stat]uint64{}
			for s, err := range sc.Stats() {
				if err != nil {
					t.Fatal(err)
				}
				for st, v := range s.All() {
					if st == format.StatEntries {
						m[st] = v
					} else {
						m[st] += v
					}
				}
			}
			return m
		}
		b, a := sum(before), sum(after)
		rose := 0
		for st, v := range a {
			if v > b[st] {
				rose++
				if want := fmt.Sprintf("\n%-16s %+12d   %d→%d\n", st, v-b[st], b[st], v); !strings.Contains("\n"+out, want) {
					t.Errorf("%s: %v rose from %d to %d; the diff shows:\n%s", name, st, b[st], v, out)
				}
			}
		}
		if a[format.StatInvalid] < b[format.StatInvalid]+100 || !strings.HasPrefix(out, "invalid ") && !strings.Contains(out, "\ninvalid ") {
			t.Errorf("%s: invalid %d before 100 bare ACKs, %d after; diff:\n%s", name, b[format.StatInvalid], a[format.StatInvalid], out)
		}
		if !strings.Contains(out, fmt.Sprintf("diff: %s changed", plural(rose, "counter"))) {
			t.Errorf("%s: %d counters rose; diff:\n%s", name, rose, out)
		}
	}
}
