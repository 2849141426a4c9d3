package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
)

const statsDir = "../../testdata/stats/"

// statsCaptures are the captures of counters, with their format.
var statsCaptures = map[string]string{
	"conntrack-S.txt": "conntrack-stats", "conntrack-S-expect.txt": "conntrack-stats",
	"conntrack-C.txt": "conntrack-stats", "conntrack-S-before.txt": "conntrack-stats",
	"conntrack-S-after.txt": "conntrack-stats", "proc-stat.txt": "proc-stats",
	"proc-stat-before.txt": "proc-stats", "proc-stat-after.txt": "proc-stats",
	"older/conntrack-S-4.9.txt": "conntrack-stats", "older/conntrack-S-before-4.9.txt": "conntrack-stats",
	"older/conntrack-S-list-1.2.txt": "conntrack-stats", "older/proc-stat-2.6.31.txt": "proc-stats",
	"older/proc-stat-3.6.txt": "proc-stats", "older/proc-stat-5.10.txt": "proc-stats",
}

// TestConvertStatsRoundTrip prints each capture of counters back, byte for
// byte: with auto and the format named, and through JSON Lines and a
// snapshot; check reads it clean.
func TestConvertStatsRoundTrip(t *testing.T) {
	for file, fm := range statsCaptures {
		path := statsDir + file
		want := string(readFile(t, path))
		for _, args := range [][]string{{path}, {"--from", fm, "--to", fm, "-"}} {
			code, out, errs := ctconv(t, want, append([]string{"convert"}, args...)...)
			if code != 0 || out != want || errs != "" {
				t.Errorf("convert %v: exit %d, stderr %q, output:\n%s", args, code, errs, out)
			}
		}
		for _, to := range []string{"json", "snapshot"} {
			snap := filepath.Join(t.TempDir(), "x")
			if code, _, errs := ctconv(t, "", "convert", "--to", to, "-o", snap, path); code != 0 {
				t.Fatalf("%s --to %s: exit %d: %s", file, to, code, errs)
			}
			code, out, errs := ctconv(t, "", "convert", "--to", fm, snap)
			if code != 0 || out != want {
				t.Errorf("%s through %s: exit %d, stderr %q, output:\n%s", file, to, code, errs, out)
			}
			if to == "snapshot" {
				code, out, _ = ctconv(t, "", "convert", snap) // a snapshot prints as its source
				if code != 0 || out != want {
					t.Errorf("%s through a snapshot, printed as its source: exit %d:\n%s", file, code, out)
				}
			}
		}
		// JSON Lines of counters in a snapshot print back as themselves.
		js := filepath.Join(t.TempDir(), "c.jsonl")
		snap := filepath.Join(t.TempDir(), "c.ctsnap")
		ctconv(t, "", "convert", "--to", "json", "-o", js, path)
		if code, _, errs := ctconv(t, "", "convert", "--to", "snapshot", "-o", snap, js); code != 0 {
			t.Fatalf("%s: JSON to a snapshot: %s", file, errs)
		}
		if code, out, errs := ctconv(t, "", "convert", snap); code != 0 || out != string(readFile(t, js)) || errs != "" {
			t.Errorf("%s: JSON through a snapshot: exit %d, %q:\n%s", file, code, errs, out)
		}
		code, out, errs := ctconv(t, "", "check", path)
		if code != 0 || !strings.HasPrefix(out, path+": "+fm+", ") || !strings.Contains(out, " counter record") || errs != "" {
			t.Errorf("check %s: exit %d, %q, %q", file, code, out, errs)
		}
	}
}

// TestConvertStatsBetween converts between conntrack-stats and proc-stats:
// conntrack -S, -S expect and -C of one moment together print as its
// /proc/net/stat/nf_conntrack, and that prints as the three, byte for
// byte; what a conversion lacks or cannot show is reported, a record at a
// time, with exit status 1, and nothing is printed in its place.
func TestConvertStatsBetween(t *testing.T) {
	read := func(names ...string) string {
		var b strings.Builder
		for _, n := range names {
			b.Write(readFile(t, statsDir+n))
		}
		return b.String()
	}
	for _, c := range []struct {
		name    string
		args    []string
		code    int
		out     string
		errs    []string // each said on standard error
		nLines  int      // lines on standard error
		printed bool     // what came before the failure is printed
	}{
		{name: "S, S expect, C to proc", args: []string{"--to", "proc-stats", statsDir + "conntrack-S.txt", statsDir + "conntrack-S-expect.txt", statsDir + "conntrack-C.txt"},
			out: read("proc-stat.txt")},
		{name: "the same, in another order", args: []string{"--to", "proc-stats", statsDir + "conntrack-C.txt", statsDir + "conntrack-S-expect.txt", statsDir + "conntrack-S.txt"},
			out: read("proc-stat.txt")},
		{name: "after: S, S expect, C to proc", args: []string{"--to", "proc-stats", statsDir + "conntrack-S-after.txt", statsDir + "conntrack-S-expect-after.txt", statsDir + "conntrack-C-after.txt"},
			out: read("proc-stat-after.txt")},
		{name: "proc to S, S expect, C", args: []string{"--to", "conntrack-stats", statsDir + "proc-stat.txt"},
			out: read("conntrack-S.txt", "conntrack-S-expect.txt", "conntrack-C.txt")},
		{name: "proc of 5.10 to conntrack -S of 5.10", args: []string{"--to", "conntrack-stats", statsDir + "older/proc-stat-5.10.txt"},
			out: "cpu=0   \tfound=0 invalid=46 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=12 clash_resolve=3 \ncpu=0   \texpect_new=0 expect_create=0 expect_delete=0 \n500\n"},
		{name: "S alone to proc: no entries, no expectation counters", args: []string{"--to", "proc-stats", statsDir + "conntrack-S.txt"},
			code: 1, errs: []string{"CPU 0's counters not printed: proc-stats needs entries, expect_new, expect_create, expect_delete, which the input lacks (conntrack -C prints entries, conntrack -S expect prints the expect_ counters",
				"CPU 1's counters not printed", "2 records of counters not printed whole in proc-stats"}, nLines: 3},
		{name: "S and C to proc: no expectation counters", args: []string{"--to", "proc-stats", statsDir + "conntrack-S.txt", statsDir + "conntrack-C.txt"},
			code: 1, errs: []string{"proc-stats needs expect_new, expect_create, expect_delete, which the input lacks (conntrack -S expect prints"}, nLines: 3},
		{name: "C alone to proc", args: []string{"--to", "proc-stats", statsDir + "conntrack-C.txt"},
			code: 1, errs: []string{"the table's counters: proc-stats has no place for entries, left out (the count alone"}, nLines: 2},
		{name: "counters to flows", args: []string{"--to", "conntrack", statsDir + "conntrack-S.txt"},
			code: 1, errs: []string{"holds the table's counters, which conntrack does not list: counters print in conntrack-stats, proc-stats, json or snapshot"}, nLines: 1},
		{name: "flows to counters", args: []string{"--to", "proc-stats", statsDir + "conntrack-L.txt"},
			code: 1, errs: []string{"holds flows, which proc-stats does not list"}, nLines: 1},
		{name: "counters after flows", args: []string{"--to", "json", statsDir + "conntrack-L.txt", statsDir + "conntrack-S.txt"},
			code: 1, errs: []string{"conntrack-S.txt: holds the table's counters, the inputs before flows"}, printed: true},
		{name: "filters select flows", args: []string{"--proto", "tcp", statsDir + "conntrack-S.txt"},
			code: 1, errs: []string{"holds the table's counters, and filters select flows"}, nLines: 1},
	} {
		code, out, errs := ctconv(t, "", append([]string{"convert"}, c.args...)...)
		if code != c.code || c.out != "" && out != c.out {
			t.Errorf("%s: exit %d, want %d; output:\n%s\nstderr:\n%s", c.name, code, c.code, out, errs)
		}
		if c.code != 0 && out != "" && !c.printed {
			t.Errorf("%s: printed %q", c.name, out)
		}
		for _, e := range c.errs {
			if !strings.Contains(errs, e) {
				t.Errorf("%s: stderr %q lacks %q", c.name, errs, e)
			}
		}
		if n := strings.Count(errs, "\n"); c.nLines != 0 && n != c.nLines || c.errs == nil && errs != "" {
			t.Errorf("%s: stderr has %d lines:\n%s", c.name, n, errs)
		}
	}
}

// TestSnapshotStatsInfo checks what snapshot --info says of a snapshot of
// counters.
func TestSnapshotStatsInfo(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "s.ctsnap")
	if code, _, errs := ctconv(t, "", "convert", "--to", "snapshot", "-o", snap, statsDir+"proc-stat.txt"); code != 0 {
		t.Fatal(errs)
	}
	code, out, _ := ctconv(t, "", "snapshot", "--info", snap)
	if code != 0 || !strings.Contains(out, "source:   proc-stats\n") || !strings.Contains(out, "records:  2 records of the table's counters\n") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(snap); err != nil {
		t.Fatal(err)
	}
}

// TestConvertStatsMax converts what a netlink read of the counters gives,
// the table's count and maximum among them: the maximum has no place in
// either text format, and is reported, not printed (the rest of its
// record is); JSON keeps it.
func TestConvertStatsMax(t *testing.T) {
	in := `{"cpu":0,"found":1,"invalid":2,"insert":3,"insert_failed":0,"drop":0,"early_drop":0,"error":0,"search_restart":0,"clash_resolve":0,"chaintoolong":0}
{"cpu":0,"expect_new":0,"expect_create":0,"expect_delete":0}
{"cpu":null,"entries":5,"max_entries":262144}
`
	for _, c := range []struct {
		to, out string
		code    int
	}{
		{"proc-stats", "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n" +
			"00000005  00000000 00000001 00000000 00000002 00000000 00000000 00000000 00000003 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000000\n", 1},
		{"conntrack-stats", "cpu=0   \tfound=1 invalid=2 insert=3 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=0 clash_resolve=0 chaintoolong=0 \n" +
			"cpu=0   \texpect_new=0 expect_create=0 expect_delete=0 \n5\n", 1},
		{"json", in, 0},
	} {
		code, out, errs := ctconv(t, in, "convert", "--keep-going", "--to", c.to, "-")
		if code != c.code || out != c.out {
			t.Errorf("--to %s: exit %d, want %d; stderr %q; output:\n%s", c.to, code, c.code, errs, out)
		}
		if c.code != 0 && !strings.Contains(errs, "has no place for max_entries, left out (max_entries 262144: /proc/sys/net/netfilter/nf_conntrack_max holds it)") {
			t.Errorf("--to %s: stderr %q", c.to, errs)
		}
	}
}

// TestConvertStatsLosses checks the typed errors of convertStats: which
// record, which counters, lacking or left out.
func TestConvertStatsLosses(t *testing.T) {
	read := func(file string) []format.Stats {
		sc, _ := format.NewScanner(bytes.NewReader(readFile(t, statsDir+file)), format.Dialect{Format: format.Auto})
		var all []format.Stats
		for s, err := range sc.Stats() {
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, *s)
		}
		return all
	}
	_, losses := convertStats(read("conntrack-S-expect.txt"), format.ProcStats)
	var le *statsLossError
	if len(losses) != 2 || !errors.As(losses[1], &le) || le.CPU != 1 || !le.Lacking || le.To != format.ProcStats ||
		!slices.Contains(le.Counters, format.StatEntries) || !slices.Contains(le.Counters, format.StatInvalid) || slices.Contains(le.Counters, format.StatExpectNew) {
		t.Errorf("conntrack -S expect alone to proc: %v", losses)
	}
	out, losses := convertStats(read("proc-stat.txt"), format.ConntrackStats)
	if len(losses) != 0 || len(out) != 5 {
		t.Errorf("proc to conntrack -S: %d records, %v", len(out), losses)
	}
}
