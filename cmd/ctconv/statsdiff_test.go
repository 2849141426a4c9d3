package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDiffStats diffs captures of the table's counters taken before and
// after 100 bare TCP ACKs in a namespace (testdata/stats/README.md): the
// diff exits 1 and shows invalid +400, in all and on the CPU that counted
// them, whether the captures are conntrack -S, /proc, or one of each;
// a capture against itself exits 0 and prints nothing; trouble exits 2.
func TestDiffStats(t *testing.T) {
	const acked = "invalid                  +400   0→400\n  cpu=0                  +400   0→400\n"
	for _, c := range []struct {
		name     string
		args     []string
		code     int
		out      string // the output, or its start
		errs     string // in standard error
		wantJSON bool
	}{
		{name: "conntrack -S", args: []string{"conntrack-S-before.txt", "conntrack-S-after.txt"}, code: 1,
			out: acked + "diff: 1 counter changed, 9 unchanged\n"},
		{name: "proc", args: []string{"proc-stat-before.txt", "proc-stat-after.txt"}, code: 1,
			out: acked + "diff: 1 counter changed, 16 unchanged\n"},
		{name: "conntrack -S against proc", args: []string{"conntrack-S-before.txt", "proc-stat-after.txt"}, code: 1,
			out: acked + "diff: 1 counter changed, 9 unchanged\n", errs: "NEW (" + statsDir + "proc-stat-after.txt) alone holds new, ignore, delete, entries, expect_new, expect_create, expect_delete: not compared"},
		{name: "json", args: []string{"--format", "json", "proc-stat-before.txt", "proc-stat-after.txt"}, code: 1, wantJSON: true,
			out: `{"counter":"invalid","old":0,"new":400,"delta":400,"cpus":[{"cpu":0,"old":0,"new":400,"delta":400}]}` + "\n"},
		{name: "expect counters, unchanged", args: []string{"conntrack-S-expect-before.txt", "conntrack-S-expect-after.txt"}},
		{name: "the same", args: []string{"conntrack-S-after.txt", "conntrack-S-after.txt"}},
		{name: "the count", args: []string{"conntrack-C.txt", "conntrack-C-after.txt"}, code: 1,
			out: "entries                   -59   59→0\ndiff: 1 counter changed, 0 unchanged\n"},
		{name: "insertions of a busier moment", args: []string{"conntrack-S-after.txt", "conntrack-S.txt"}, code: 1,
			out: "invalid                  -400   400→0\n  cpu=0                  -400   400→0\ninsert                    +40   0→40\n  cpu=0                   +17   0→17\n  cpu=1                   +23   0→23\n"},
		{name: "counters against flows", args: []string{"conntrack-S-after.txt", "conntrack-L.txt"}, code: 2,
			errs: "holds the table's counters, " + statsDir + "conntrack-L.txt flows"},
		{name: "filters", args: []string{"--proto", "tcp", "conntrack-S-before.txt", "conntrack-S-after.txt"}, code: 2, errs: "filters select flows"},
	} {
		var args []string
		for _, a := range c.args {
			if strings.HasSuffix(a, ".txt") {
				a = statsDir + a
			}
			args = append(args, a)
		}
		code, out, errs := ctconv(t, "", append([]string{"diff"}, args...)...)
		if code != c.code || !strings.HasPrefix(out, c.out) || c.out == "" && out != "" || !strings.Contains(errs, c.errs) || c.errs == "" && errs != "" {
			t.Errorf("%s: exit %d, want %d; output:\n%s\nstderr: %s", c.name, code, c.code, out, errs)
		}
		if c.wantJSON {
			var v map[string]any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
		}
	}
}

// TestDiffStatsEncodings diffs the before and after captures through JSON
// Lines and snapshots: the same changes.
func TestDiffStatsEncodings(t *testing.T) {
	dir := t.TempDir()
	var files [2]string
	for i, name := range []string{"conntrack-S-before.txt", "proc-stat-after.txt"} {
		to := []string{"json", "snapshot"}[i]
		files[i] = dir + "/" + name + "." + to
		if code, _, errs := ctconv(t, "", "convert", "--to", to, "-o", files[i], statsDir+name); code != 0 {
			t.Fatal(errs)
		}
	}
	code, out, _ := ctconv(t, "", "diff", files[0], files[1])
	if code != 1 || !strings.HasPrefix(out, "invalid                  +400   0→400\n") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}
