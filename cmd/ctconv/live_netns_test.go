package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ctconv/ctconv/internal/ctnetlink"
	"github.com/ctconv/ctconv/internal/lab"
	"github.com/ctconv/ctconv/internal/netns"
)

// netnsEntries are flows of long timeouts, the same in every lab, one
// labelled with the names of the namespace's own connlabel.conf.
var netnsEntries = []lab.Entry{
	{"-p", "tcp", "-s", "10.9.0.1", "-d", "10.9.0.2", "--sport", "4000", "--dport", "80", "--state", "ESTABLISHED", "-u", "SEEN_REPLY,ASSURED", "-t", "900", "-m", "7"},
	{"-p", "udp", "-s", "10.9.0.1", "-d", "10.9.0.53", "--sport", "5353", "--dport", "53", "-t", "900"},
	{"-p", "tcp", "-s", "2001:db8::1", "-d", "2001:db8::2", "--sport", "4001", "--dport", "443", "--state", "ESTABLISHED", "-t", "900", "-w", "3"},
}

// withoutEnv returns cmd without the environment variable name.
func withoutEnv(cmd *exec.Cmd, name string) *exec.Cmd {
	cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
	return cmd
}

// TestLiveNetns: ctconv snapshot --netns, run from outside the
// namespace, holds the same flows as ctconv snapshot run inside it by ip
// netns exec, label names included: those of
// /etc/netns/NS/xtables/connlabel.conf, which ip netns exec mounts over
// /etc/xtables (in the lab's mount namespace, whose /etc is an overlay).
// The namespace is named by its ip netns name and its /run/netns path;
// named by the pid of a process in it, it is read as nsenter --net reads
// it, with /etc/xtables's names. The snapshot's header names it.
func TestLiveNetns(t *testing.T) {
	l := newLab(t)
	bin := build(t)
	labels := "3\tblue-three\n7\tblue-seven\n"
	if out, err := l.MountCommand("sh", "-c", `mkdir -p /etc/netns/"$1"/xtables && printf "$2" >/etc/netns/"$1"/xtables/connlabel.conf`, "sh", l.NS, labels).CombinedOutput(); err != nil {
		t.Fatalf("the namespace's connlabel.conf: %v: %s", err, out)
	}
	entries := append(slices.Clone(netnsEntries), lab.Entry{"-p", "tcp", "-s", "10.9.0.5", "-d", "10.9.0.6", "--sport", "4002", "--dport", "8080",
		"--state", "ESTABLISHED", "-t", "900", "--label-add", "blue-three,blue-seven"})
	if err := l.Insert(entries); err != nil {
		t.Fatal(err)
	}
	listed, err := l.Conntrack("-L", "-o", "labels")
	if err != nil || !strings.Contains(string(listed), "labels=blue-three,blue-seven") {
		t.Fatalf("conntrack -L -o labels in the namespace: %v:\n%s", err, listed)
	}
	// A process in the namespace, for --netns PID: the shell says its pid
	// from inside, then becomes sleep.
	sleep := l.Command("sh", "-c", "echo $$; exec sleep 60")
	stdout, _ := sleep.StdoutPipe()
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleep.Process.Kill(); sleep.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(line)

	dir := t.TempDir()
	inside := filepath.Join(dir, "inside.ctsnap")
	if out, err := withoutEnv(l.Command(bin, "snapshot", "-o", inside), ctnetlink.LabelEnv).CombinedOutput(); err != nil {
		t.Fatalf("ip netns exec %s ctconv snapshot: %v: %s", l.NS, err, out)
	}
	if _, text, _ := ctconv(t, "", "convert", "--with", "labels", inside); !strings.Contains(text, "labels=blue-three,blue-seven") {
		t.Fatalf("ctconv snapshot inside the namespace lists no label of its connlabel.conf:\n%s", text)
	}
	// A process's namespace is read as nsenter --net enters it, without
	// ip netns exec's /etc/netns: the labels of /etc/xtables (the lab's).
	entered := filepath.Join(dir, "entered.ctsnap")
	if out, err := withoutEnv(l.MountCommand("nsenter", "--net=/proc/"+pid+"/ns/net", bin, "snapshot", "-o", entered), ctnetlink.LabelEnv).CombinedOutput(); err != nil {
		t.Fatalf("nsenter --net ctconv snapshot: %v: %s", err, out)
	}
	for _, c := range []struct{ spec, name, inside, labels string }{
		{l.NS, l.NS, inside, "blue-three,blue-seven"},
		{netns.RunDir + "/" + l.NS, l.NS, inside, "blue-three,blue-seven"},
		{pid, "pid " + pid, entered, "bit3-label,web traffic"},
	} {
		spec, name, inside := c.spec, c.name, c.inside
		t.Run(strings.ReplaceAll(spec, "/", "_"), func(t *testing.T) {
			outside := filepath.Join(dir, "outside.ctsnap")
			if out, err := withoutEnv(l.MountCommand(bin, "snapshot", "--netns", spec, "-o", outside), ctnetlink.LabelEnv).CombinedOutput(); err != nil {
				t.Fatalf("ctconv snapshot --netns %s: %v: %s", spec, err, out)
			}
			if code, out, errs := ctconv(t, "", "diff", inside, outside); code != 0 {
				t.Errorf("ctconv snapshot --netns %s differs from ip netns exec ctconv snapshot (%d):\n%s%s", spec, code, out, errs)
			}
			if _, got, _ := ctconv(t, "", "convert", "--with", "labels", outside); !strings.Contains(got, "labels="+c.labels+"\n") {
				t.Errorf("ctconv snapshot --netns %s lists no labels=%s:\n%s", spec, c.labels, got)
			}
			if _, info, _ := ctconv(t, "", "snapshot", "--info", outside); !strings.Contains(info, "netns:    "+name+"\n") {
				t.Errorf("the header of ctconv snapshot --netns %s does not name %q:\n%s", spec, name, info)
			}
		})
	}
	// /proc/net/nf_conntrack of the namespace, read from outside: the
	// namespace's, not this process's.
	procSnap, procText := filepath.Join(dir, "proc.ctsnap"), filepath.Join(dir, "proc.txt")
	if code, _, errs := ctconv(t, "", "snapshot", "--source", "proc", "--netns", l.NS, "-o", procSnap); code != 0 {
		t.Fatalf("snapshot --source proc --netns %s: %s", l.NS, errs)
	}
	proc, err := l.Proc()
	if err == nil {
		err = os.WriteFile(procText, proc, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errs := ctconv(t, "", "diff", procText, procSnap); code != 0 || strings.Count(string(proc), "\n") != len(entries) {
		t.Errorf("snapshot --source proc --netns %s against the namespace's /proc/net/nf_conntrack (%d):\n%s%s%s", l.NS, code, out, errs, proc)
	}
	// The live table in the namespace is the same over netlink: (diff;
	// this process reads the lab's other label names, $CTCONV_CONNLABEL),
	// and the counters say so too (stats).
	if code, out, errs := ctconv(t, "", "diff", "--ignore", "labels", "--netns", l.NS, inside, "netlink:"); code != 0 {
		t.Errorf("diff --netns %s with netlink: (%d):\n%s%s", l.NS, code, out, errs)
	}
	code, out, errs := ctconv(t, "", "stats", "--netns", l.NS, "--format", "json")
	var st struct {
		Flows    int `json:"flows"`
		Counters struct {
			Total map[string]any `json:"total"`
		} `json:"counters"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Flows != len(entries) || st.Counters.Total["entries"] != float64(len(entries)) {
		t.Errorf("stats --netns %s: %d flows, counters %v (%d, %s); want %d", l.NS, st.Flows, st.Counters.Total, code, errs, len(entries))
	}
}

// TestLiveAllNetns: ctconv snapshot --all-netns captures the tables of two
// labs that hold the same tuples, each flow named by its lab's namespace,
// with each namespace's counters; convert, diff and stats select one
// with --netns, and a text format says what it cannot show. It asserts
// only about its labs' namespaces: the snapshot holds the host's and
// other processes' too.
func TestLiveAllNetns(t *testing.T) {
	a, b := newLab(t), newLab(t)
	for _, l := range []*lab.Lab{a, b} {
		if err := l.Insert(netnsEntries); err != nil {
			t.Fatal(err)
		}
	}
	extra := lab.Entry{"-p", "udp", "-s", "10.9.1.1", "-d", "10.9.1.2", "--sport", "1", "--dport", "2", "-t", "900"}
	if err := b.Insert([]lab.Entry{extra}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	all := filepath.Join(dir, "all.ctsnap")
	if code, _, errs := ctconv(t, "", "snapshot", "--all-netns", "-o", all); code != 0 {
		t.Fatalf("snapshot --all-netns: %d: %s", code, errs)
	}
	// Each flow names its namespace; the labs' hold their flows.
	_, js, _ := ctconv(t, "", "convert", "--to", "json", all)
	byNS := map[string][]string{}
	for line := range strings.Lines(js) {
		var f struct {
			Netns string          `json:"netns"`
			Orig  json.RawMessage `json:"tuple-orig"`
		}
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if f.Netns == "" {
			t.Errorf("a flow of --all-netns names no namespace: %s", line)
		}
		byNS[f.Netns] = append(byNS[f.Netns], string(f.Orig))
	}
	if len(byNS[a.NS]) != len(netnsEntries) || len(byNS[b.NS]) != len(netnsEntries)+1 {
		t.Errorf("--all-netns: %d flows of %s, %d of %s; want %d and %d", len(byNS[a.NS]), a.NS, len(byNS[b.NS]), b.NS, len(netnsEntries), len(netnsEntries)+1)
	}
	for _, l := range []*lab.Lab{a, b} {
		one := filepath.Join(dir, l.NS+".ctsnap")
		if code, _, errs := ctconv(t, "", "snapshot", "--netns", l.NS, "-o", one); code != 0 {
			t.Fatalf("snapshot --netns %s: %s", l.NS, errs)
		}
		// One namespace of the capture of all is the capture of it alone.
		if code, out, errs := ctconv(t, "", "diff", "--netns", l.NS, all, one); code != 0 {
			t.Errorf("diff --netns %s of --all-netns and --netns (%d):\n%s%s", l.NS, code, out, errs)
		}
		// convert --netns selects the namespace's flows, which then are
		// a capture of it alone: they name it no more.
		_, got, errs := ctconv(t, "", "convert", "--netns", l.NS, "--to", "json", all)
		if n := strings.Count(got, "\n"); n != len(byNS[l.NS]) || strings.Contains(got, `"netns"`) || strings.Contains(errs, "namespace") {
			t.Errorf("convert --netns %s of --all-netns: %d flows, want %d:\n%s%s", l.NS, n, len(byNS[l.NS]), got, errs)
		}
		code, out, errs := ctconv(t, "", "stats", "--format", "json", "--netns", l.NS, all)
		var st struct {
			Flows      int            `json:"flows"`
			Namespaces map[string]int `json:"namespaces"`
			Counters   struct {
				Total map[string]any `json:"total"`
			} `json:"counters"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Flows != len(byNS[l.NS]) || st.Counters.Total["entries"] != float64(len(byNS[l.NS])) {
			t.Errorf("stats --netns %s: %d flows, counters %v (%d, %s); want %d", l.NS, st.Flows, st.Counters.Total, code, errs, len(byNS[l.NS]))
		}
	}
	// The same tuples in two namespaces are two flows, not duplicates.
	if code, out, errs := ctconv(t, "", "diff", all, all); code != 0 {
		t.Errorf("diff of --all-netns with itself (%d):\n%s%s", code, out, errs)
	}
	code, out, _ := ctconv(t, "", "stats", "--format", "json", all)
	var st struct {
		Namespaces map[string]int `json:"namespaces"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Namespaces[a.NS] != len(netnsEntries) || st.Namespaces[b.NS] != len(netnsEntries)+1 {
		t.Errorf("stats of --all-netns counts %v by namespace; want %s %d, %s %d", st.Namespaces, a.NS, len(netnsEntries), b.NS, len(netnsEntries)+1)
	}
	// Text cannot name the namespace: convert says how many flows lost it.
	_, _, errs := ctconv(t, "", "convert", "--to", "conntrack", all)
	if !strings.Contains(errs, fmt.Sprintf("printed %d flows without the network namespace", strings.Count(js, "\n"))) {
		t.Errorf("convert --to conntrack of --all-netns says:\n%s", errs)
	}
}
