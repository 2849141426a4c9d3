package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRestoreDuplicates converts captures that hold an identity twice:
// --to restore prints the first flow of each identity alone, since
// conntrack -R stops at the first line the kernel refuses ("Such conntrack
// exists"), says which lines it left out, and exits 0, as for other flows
// a target cannot hold; the other formats print every flow.
func TestRestoreDuplicates(t *testing.T) {
	const (
		a = "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=0 use=1\n"
		// a's original tuple in another state: the same identity.
		a2 = "tcp      6 10 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=9 use=1\n"
		// a's tuples in zone 5: another identity. In the original
		// direction's zone 6 only, its reply tuple is a's, in zone 0: the
		// kernel refuses it.
		aZone     = "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=0 zone=5 use=1\n"
		aOrigZone = "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 zone-orig=6 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=0 use=1\n"
		// SNAT: b's reply tuple is c's, whose original tuple differs.
		b = "udp      17 29 src=192.168.1.5 dst=10.0.0.53 sport=5000 dport=53 src=10.0.0.53 dst=10.0.0.99 sport=53 dport=6000 mark=0 use=1\n"
		c = "udp      17 29 src=10.0.0.99 dst=10.0.0.53 sport=6000 dport=53 src=10.0.0.53 dst=10.0.0.99 sport=53 dport=6000 mark=0 use=1\n"
		// d's original tuple is b's reply: a clash of the two directions.
		d = "udp      17 29 src=10.0.0.53 dst=10.0.0.99 sport=53 dport=6000 src=10.0.0.99 dst=10.0.0.53 sport=6000 dport=53 mark=0 use=1\n"
		// ICMP echo and its reply's tuple: one identity; another id, another.
		ping  = "icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=7 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=7 mark=0 use=1\n"
		pong  = "icmp     1 29 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=7 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=7 mark=0 use=1\n"
		ping2 = "icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=8 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=8 mark=0 use=1\n"
	)
	dir := t.TempDir()
	file := filepath.Join(dir, "dup.txt")
	if err := os.WriteFile(file, []byte(a+a+aZone+aOrigZone+a2+b+c+d+ping+pong+ping2), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := ctconv(t, "", "convert", "--to", "restore", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var kept []string
	for _, want := range []string{a, aZone, b, ping, ping2} {
		_, line, _ := ctconv(t, want, "convert", "--from", "conntrack", "--to", "restore", "-")
		kept = append(kept, line)
	}
	if want := strings.Join(kept, ""); out != want {
		t.Errorf("printed\n%s\nwant\n%s", out, want)
	}
	for _, want := range []string{"left out 6 flow(s)", file + ":2 (as line 1)", file + ":4 (as line 1)", file + ":5 (as line 1)", file + ":7 (as line 6)", file + ":8 (as line 6)", "and 1 more"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	// Listings keep every flow.
	if code, out, _ := ctconv(t, "", "convert", "--to", "conntrack", file); code != 0 || strings.Count(out, "\n") != 11 {
		t.Errorf("--to conntrack: exit %d, %d lines, want 11", code, strings.Count(out, "\n"))
	}
}

// TestRestoreDuplicatesMany: the message names the first few duplicates
// only, and counts them all, across inputs.
func TestRestoreDuplicatesMany(t *testing.T) {
	const a = "udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 use=1\n"
	dir := t.TempDir()
	one, two := filepath.Join(dir, "one.txt"), filepath.Join(dir, "two.txt")
	os.WriteFile(one, []byte(strings.Repeat(a, 20)), 0o644)
	os.WriteFile(two, []byte(a), 0o644)
	code, out, errs := ctconv(t, "", "convert", "--to", "restore", one, two)
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Fatalf("exit %d, %d lines: %s", code, strings.Count(out, "\n"), errs)
	}
	if !strings.Contains(errs, "left out 20 flow(s)") || !strings.Contains(errs, one+":2 (as line 1)") ||
		strings.Contains(errs, one+":20") || !strings.Contains(errs, "and 15 more") {
		t.Errorf("stderr:\n%s", errs)
	}
}

// TestRestoreLabels: --to restore leaves labels out, and says so, unless
// --with labels asks for them or the input is a restore file with them.
func TestRestoreLabels(t *testing.T) {
	const (
		labelled = "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=7 use=1 labels=zero-label\n"
		plain    = "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=3 src=10.0.0.2 dst=10.0.0.1 sport=3 dport=1 [ASSURED] mark=7 use=1\n"
	)
	code, out, errs := ctconv(t, labelled+plain, "convert", "--from", "conntrack", "--to", "restore", "-")
	if code != 0 || strings.Contains(out, "--label-add") || !strings.Contains(errs, "1 flow(s) restore without their labels") {
		t.Errorf("default: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = ctconv(t, labelled+plain, "convert", "--from", "conntrack", "--to", "restore", "--with", "labels", "-")
	if code != 0 || !strings.Contains(out, " -m 7 --label-add zero-label\n") || strings.Contains(errs, "labels") {
		t.Errorf("--with labels: exit %d\n%s%s", code, out, errs)
	}
	code, back, errs := ctconv(t, out, "convert", "-")
	if code != 0 || back != out {
		t.Errorf("a restore file with labels printed back as\n%s%s", back, errs)
	}
}

// TestRestoreHeartbeat: an SCTP flow in a heartbeat state, which conntrack
// -I has no name for, restores as ESTABLISHED, and ctconv says so.
func TestRestoreHeartbeat(t *testing.T) {
	const line = "ipv4     2 sctp     132 29 HEARTBEAT_SENT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 zone=0 use=2\n"
	code, out, errs := ctconv(t, line, "convert", "--from", "proc", "--to", "restore", "-")
	if code != 0 || !strings.Contains(out, " --state ESTABLISHED ") || !strings.Contains(errs, "1 SCTP flow(s) in a heartbeat state restore as ESTABLISHED") {
		t.Errorf("exit %d\n%s%s", code, out, errs)
	}
}

// TestRestoreOffloaded: /proc shows no timeout and no TCP state of an
// offloaded flow; it restores as an established flow with the default
// timeout, and ctconv says so.
func TestRestoreOffloaded(t *testing.T) {
	const line = "ipv4     2 tcp      6 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [OFFLOAD] mark=0 zone=0 use=3\n"
	code, out, errs := ctconv(t, line, "convert", "--from", "proc", "--to", "restore", "-")
	if code != 0 || !strings.Contains(out, "-I -t 432000 ") || !strings.Contains(errs, "1 offloaded flow(s) restore") {
		t.Errorf("exit %d\n%s%s", code, out, errs)
	}
}
