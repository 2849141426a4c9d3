package main

import (
	"bytes"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/lab"
)

// TestLiveStatsCounters runs ctconv stats in a namespace with entries of
// every protocol and bare ACKs its tracker finds invalid: its OpenMetrics
// pass Prometheus' parsers, and they, its text and its JSON show the
// namespace's table (as many flows as conntrack -C counts) and its
// counters, CPU by CPU as /proc/net/stat/nf_conntrack has them. A
// snapshot of the live table carries the same counters.
func TestLiveStatsCounters(t *testing.T) {
	l := newLab(t)
	bin := build(t)
	var entries []lab.Entry
	for _, e := range lab.Fixed() {
		if i := slices.Index(e, "-t"); i < 0 || e[i+1] != "1" {
			entries = append(entries, e) // not the one that expires in a second
		}
	}
	if err := l.Insert(entries); err != nil {
		t.Fatal(err)
	}
	if err := l.BareACKs(10, 8000); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := l.Exec(nil, append([]string{bin}, args...)...)
		if err != nil {
			t.Fatalf("ctconv %v: %v", args, err)
		}
		return string(out)
	}
	count, err := l.Conntrack("-C")
	if err != nil {
		t.Fatal(err)
	}
	flows, _ := strconv.Atoi(strings.TrimSpace(string(count)))
	proc, err := l.Exec(nil, "cat", "/proc/net/stat/nf_conntrack")
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := format.NewScanner(bytes.NewReader(proc), format.Dialect{Format: format.ProcStats})
	var cpus []format.Stats
	for s, err := range sc.Stats() {
		if err != nil {
			t.Fatalf("/proc/net/stat/nf_conntrack: %v", err)
		}
		cpus = append(cpus, *s)
	}
	if len(cpus) == 0 {
		t.Fatal("/proc/net/stat/nf_conntrack: no records")
	}
	var invalid uint64
	for _, c := range cpus {
		v, _ := c.Value(format.StatInvalid)
		invalid += v
	}
	if invalid < 10 {
		t.Fatalf("invalid %d after 10 bare ACKs", invalid)
	}

	om, prom := parseMetrics(t, run("stats", "--format", "openmetrics"))
	for parser, fams := range map[string]map[string]omFamily{"openmetrics": om, "text": prom} {
		if v, ok := family(fams, "ctconv_flows").value(); !ok || v != float64(flows) {
			t.Errorf("%s: ctconv_flows %v, conntrack -C %d", parser, v, flows)
		}
		for _, c := range cpus {
			for st, want := range c.All() {
				if tableWide(st) {
					continue // the count moves with the table's timers
				}
				v, ok := family(fams, "ctconv_conntrack_"+st.String()).value("cpu", strconv.Itoa(c.CPU))
				if !ok && want == 0 {
					continue // /proc's columns that stay 0, which netlink does not send (new, ignore, delete)
				}
				if !ok || v < float64(want) {
					t.Errorf("%s: %v of CPU %d: %v (%v), /proc %d before", parser, st, c.CPU, v, ok, want)
				}
			}
		}
	}
	text := run("stats")
	if !strings.Contains(text, "\nkernel counters        ") || !strings.Contains(text, "\n  cpu=0  ") || !strings.Contains(text, "invalid "+strconv.FormatUint(invalid, 10)) {
		t.Errorf("ctconv stats:\n%s", text)
	}

	snap := filepath.Join(t.TempDir(), "live.ctsnap")
	run("snapshot", "-o", snap)
	info := run("snapshot", "--info", snap)
	// Over netlink: each CPU's counters and expectation counters, and the
	// table's count and maximum.
	if !strings.Contains(info, "counters: "+plural(2*len(cpus)+1, "record")+" of the table's counters") {
		t.Errorf("snapshot --info:\n%s", info)
	}
	text = run("stats", snap)
	if !strings.Contains(text, "invalid "+strconv.FormatUint(invalid, 10)) {
		t.Errorf("ctconv stats of the snapshot:\n%s", text)
	}
}
