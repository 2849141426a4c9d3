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

// TestRestoreNAT converts NAT'd flows to restore. /proc, conntrack -L and
// XML show no NAT flags, but a reply tuple whose addresses are not the
// original's swapped is NAT's work, which the kernel flags: restore prints
// -n and -g for it, so that conntrack -R sets the flags again and the flow
// is translated as before, and says so. save and restore tell NAT
// themselves: their -r and -q stay.
func TestRestoreNAT(t *testing.T) {
	const (
		snat  = "ipv4     2 tcp      6 99 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1000 dport=80 src=10.0.0.2 dst=192.0.2.1 sport=80 dport=2000 mark=0 zone=0 use=2\n"
		dnat  = "ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=5000 dport=53 src=10.0.0.9 dst=10.0.0.1 sport=53 dport=5000 mark=0 zone=0 use=2\n"
		plain = "ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=5001 dport=53 src=10.0.0.2 dst=10.0.0.1 sport=53 dport=5001 mark=0 zone=0 use=2\n"
		saveQ = "-A -t 99 -u SEEN_REPLY -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 192.0.2.1 -p tcp --sport 1000 --dport 80 --reply-port-src 80 --reply-port-dst 2000 --state ESTABLISHED\n"
	)
	for _, c := range []struct {
		from, in string
		want     []string
		note     string
	}{
		{"proc", snat + dnat + plain, []string{" -r 10.0.0.2 -n 192.0.2.1 ", " -g 10.0.0.9 -q 10.0.0.1 ", " -r 10.0.0.2 -q 10.0.0.1 "}, "2 flow(s) restore as NAT'd"},
		{"save", saveQ, []string{" -r 10.0.0.2 -q 192.0.2.1 "}, ""},
		// JSON Lines made from /proc carry no NAT flags either; a flow with
		// a flag of NAT's setup (netlink shows them) tells NAT itself.
		{"json", toJSON(t, "proc", snat+dnat+plain), []string{" -r 10.0.0.2 -n 192.0.2.1 ", " -g 10.0.0.9 -q 10.0.0.1 ", " -r 10.0.0.2 -q 10.0.0.1 "}, "2 flow(s) restore as NAT'd"},
		{"json", strings.Replace(toJSON(t, "proc", snat), `"confirmed"`, `"confirmed","src-nat-done","dst-nat-done"`, 1), []string{" -r 10.0.0.2 -q 192.0.2.1 "}, ""},
	} {
		code, out, errs := ctconv(t, c.in, "convert", "--from", c.from, "--to", "restore", "-")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.from, code, errs)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != len(c.want) {
			t.Fatalf("%s: printed\n%s", c.from, out)
		}
		for i, want := range c.want {
			if !strings.Contains(lines[i], want) {
				t.Errorf("%s: %s\nlacks %q", c.from, lines[i], want)
			}
		}
		if c.note != "" && !strings.Contains(errs, c.note) || c.note == "" && strings.Contains(errs, "NAT") {
			t.Errorf("%s: stderr %q, want %q", c.from, errs, c.note)
		}
	}
}

// toJSON converts text of format from to JSON Lines.
func toJSON(t *testing.T, from, text string) string {
	t.Helper()
	code, out, errs := ctconv(t, text, "convert", "--from", from, "--to", "json", "-")
	if code != 0 {
		t.Fatalf("--to json: exit %d: %s", code, errs)
	}
	return out
}

// TestRestoreNotes converts flows that restore otherwise than their source
// has them, for lack of what the source shows or conntrack -I takes: each
// kind is counted and said, none is lost silently.
func TestRestoreNotes(t *testing.T) {
	for _, c := range []struct {
		name, from, in, note string
	}{
		{"save shows no marks", "save", "-A -t 99 -u SEEN_REPLY -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p tcp --sport 1000 --dport 80 --reply-port-src 80 --reply-port-dst 1000 --state ESTABLISHED\n",
			"1 flow(s) restore with mark 0"},
		{"NAT changed an ICMP id", "proc", "ipv4     2 icmp     1 29 src=10.1.0.1 dst=10.1.0.2 type=8 code=0 id=5 src=10.1.0.2 dst=10.1.0.9 type=0 code=0 id=9 mark=0 zone=0 use=2\n",
			"1 ICMP flow(s) restore with the reply's id the original's"},
	} {
		code, _, errs := ctconv(t, c.in, "convert", "--from", c.from, "--to", "restore", "-")
		if code != 0 || !strings.Contains(errs, c.note) {
			t.Errorf("%s: exit %d, stderr %q, want %q", c.name, code, errs, c.note)
		}
	}
	// /proc shows every mark, and an ICMP reply of the original's id.
	code, _, errs := ctconv(t, "ipv4     2 icmp     1 29 src=10.1.0.1 dst=10.1.0.2 type=8 code=0 id=5 src=10.1.0.2 dst=10.1.0.1 type=0 code=0 id=5 mark=3 zone=0 use=2\n",
		"convert", "--from", "proc", "--to", "restore", "-")
	if code != 0 || errs != "" {
		t.Errorf("exit %d, stderr %q, want none", code, errs)
	}
}

// TestRestoreWithoutReply converts conntrackd -e's flows, which have no
// reply tuple, to restore: each is reported as a record restore cannot
// show, and the run exits 1, where the check for duplicate tuples used to
// panic on the missing reply, and notes nothing of them as restored.
func TestRestoreWithoutReply(t *testing.T) {
	for _, file := range []string{"conntrackd-e.txt", "conntrackd-e-x.txt", "alarm-conntrackd-e.txt"} {
		path := filepath.Join("..", "..", "testdata", "conntrackd", file)
		code, out, errs := ctconv(t, "", "convert", "--keep-going", "--to", "restore", path)
		lines := strings.Count(string(readFile(t, path)), "\n")
		if code != 1 || out != "" || strings.Count(errs, "cannot print as restore: the flow has no reply tuple") != lines || strings.Contains(errs, "panic") ||
			strings.Contains(errs, "restore as NAT'd") { // what is not restored is not noted as restored

			t.Errorf("%s: exit %d, stdout %q, stderr\n%s", file, code, out, errs)
		}
	}
}
