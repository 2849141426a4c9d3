package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestDiffEvents diffs event streams (conntrack -E, its XML and save
// forms): an event stream is not a table, and diff, which compares tables,
// says so with exit status 2 and prints no change. The review saw 98
// "duplicate identities" and exit status 1.
func TestDiffEvents(t *testing.T) {
	const dir = "../../testdata/corpus/"
	table := dir + "conntrack-L.txt"
	for _, c := range []struct{ old, new, events string }{
		{dir + "conntrack-E.txt", dir + "conntrack-E.txt", dir + "conntrack-E.txt"},
		{dir + "xml-E.txt", dir + "xml-E.txt", dir + "xml-E.txt"},
		{dir + "save-E.txt", dir + "save-E.txt", dir + "save-E.txt"},
		{table, dir + "conntrack-E-timestamp.txt", dir + "conntrack-E-timestamp.txt"},
		{dir + "conntrack-E.jsonl", table, dir + "conntrack-E.jsonl"},
	} {
		code, out, errs := ctconv(t, "", "diff", c.old, c.new)
		if code != 2 || out != "" || !strings.Contains(errs, "ctconv diff: "+c.events+" is an event stream") || !strings.Contains(errs, "diff compares tables") {
			t.Errorf("diff %s %s: exit %d, stdout %q, stderr %q", c.old, c.new, code, out, errs)
		}
	}
}

// TestDiffUnchecked diffs a table of one flow against 70,000 others, each
// listed twice: duplicates among those are looked for in the first 65,536
// only, to keep memory to the smaller capture's, and a note says so.
func TestDiffUnchecked(t *testing.T) {
	var b strings.Builder
	for i := range 70_000 {
		line := fmt.Sprintf("ipv4     2 udp      17 29 src=10.%d.%d.%d dst=10.0.0.53 sport=5353 dport=53 src=10.0.0.53 dst=10.0.0.1 sport=53 dport=5353 mark=0 zone=0 use=2\n", 100+i>>16, i>>8&255, i&255)
		b.WriteString(line + line)
	}
	code, out, errs := ctconv(t, b.String(), "diff", corpusProc, "-")
	want := fmt.Sprintf("ctconv diff: %d flows that only NEW holds were not checked for duplicate identities", 2*(70_000-1<<16))
	if code != 1 || !strings.Contains(out, "65536 duplicate identities") || !strings.Contains(errs, want) {
		t.Errorf("exit %d, %q, stderr %q", code, out[max(0, len(out)-200):], errs)
	}
}
