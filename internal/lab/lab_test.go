package lab

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctconv/ctconv/internal/ctnetlink"
)

// TestLiveLabels checks that the lab's commands and the test's process
// find the lab's label names, whatever the host's files name: conntrack
// sets and prints them, nft prints the ruleset's with them.
func TestLiveLabels(t *testing.T) {
	l := ForTest(t, "ctconv-lab", "the lab's label names")
	for _, f := range []string{"/etc/xtables/connlabel.conf", "/etc/connlabel.conf"} {
		if b, err := l.Exec(nil, "cat", f); err != nil || string(b) != connlabels {
			t.Errorf("the lab's %s: %q, %v; want %q", f, b, err, connlabels)
		}
	}
	if b, err := os.ReadFile(os.Getenv(ctnetlink.LabelEnv)); err != nil || string(b) != connlabels {
		t.Errorf("$%s: %q, %v; want %q", ctnetlink.LabelEnv, b, err, connlabels)
	}
	if _, err := l.Conntrack("-I", "-p", "tcp", "-s", "10.0.0.1", "-d", "10.0.0.2", "--sport", "1", "--dport", "2",
		"--state", "ESTABLISHED", "-t", "60", "--label-add", "zero-label,web traffic"); err != nil {
		t.Fatal(err)
	}
	if b, err := l.Conntrack("-L", "-o", "labels"); err != nil || !strings.Contains(string(b), " labels=zero-label,web traffic\n") {
		t.Errorf("conntrack -L -o labels: %q, %v", b, err)
	}
	if b, err := l.Exec(nil, "nft", "list", "chain", "inet", "ctconv", "out"); err != nil || !strings.Contains(string(b), `ct label set "bit3-label"`) {
		t.Errorf("nft list chain: %s, %v", b, err)
	}
}

// TestLiveClose checks that Close ends what New started: the process that
// holds the mount namespace, the network namespace, the temporary folder.
func TestLiveClose(t *testing.T) {
	ForTest(t, "ctconv-lab", "the lab's cleanup") // skips or fails where labs cannot be built
	l, err := New("ctconv-lab", Options{})
	if err != nil {
		t.Fatal(err)
	}
	pid := l.mounts.cmd.Process.Pid
	stop, err := l.Listen("-E")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if !l.mounts.cmd.ProcessState.Exited() {
		t.Errorf("the mount namespace's process %d: %v", pid, l.mounts.cmd.ProcessState)
	}
	for _, f := range []string{"/run/netns/" + l.NS, l.dir} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s is left: %v", f, err)
		}
	}
}

// TestLiveDo checks that Do runs its function in the lab's network
// namespace, and that the thread comes back to the test's afterwards.
func TestLiveDo(t *testing.T) {
	l := ForTest(t, "ctconv-lab", "entering the lab's namespace")
	ns := func(name string) string {
		t.Helper()
		s, err := os.Readlink(name)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	var lab os.FileInfo
	target, err := os.Stat("/var/run/netns/" + l.NS)
	if err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := ns("/proc/thread-self/ns/net")
	if err := l.Do(func() error {
		var err error
		lab, err = os.Stat("/proc/thread-self/ns/net")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(lab, target) {
		t.Errorf("Do ran its function outside the lab's namespace %s", l.NS)
	}
	if after := ns("/proc/thread-self/ns/net"); after != before {
		t.Errorf("after Do, the thread is in %s; want %s, where it was", after, before)
	}
}

// TestLiveListenSubscribed: an event made as soon as Listen returns is
// one conntrack -E prints, for Listen waits until it has subscribed (a
// sleep instead lost the first events of a listener that started late).
func TestLiveListenSubscribed(t *testing.T) {
	l := ForTest(t, "ctconv-lab", "conntrack -E")
	for i := range 3 {
		stop, err := l.Listen("-E")
		if err != nil {
			t.Fatal(err)
		}
		sport := strconv.Itoa(1000 + i)
		if _, err := l.Conntrack("-I", "-p", "tcp", "-s", "10.0.0.1", "-d", "10.0.0.2", "--sport", sport, "--dport", "2",
			"--state", "ESTABLISHED", "-t", "60"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // for conntrack to print what it has received
		out, err := stop()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "[NEW] tcp      6 60 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport="+sport+" ") {
			t.Errorf("run %d: conntrack -E missed the first event: %q", i, out)
		}
	}
}

// TestSubscribed reads /proc/net/netlink as WaitSubscribed does.
func TestSubscribed(t *testing.T) {
	const table = `sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode
0000000011111111 0   0          00000000 0        0        0     2        0        100
0000000022222222 12  4242       00000000 0        0        0     2        0        200
0000000033333333 12  4243       00000007 0        0        0     2        0        300
0000000044444444 0   4244       00000001 0        0        0     2        0        400
`
	for _, c := range []struct {
		inode string
		want  bool
	}{
		{"100", false}, // not netfilter
		{"200", false}, // netfilter, no group
		{"300", true},
		{"400", false}, // a group, not netfilter
		{"999", false},
	} {
		if got := subscribed([]byte(table), map[string]bool{c.inode: true}); got != c.want {
			t.Errorf("inode %s: %v, want %v", c.inode, got, c.want)
		}
	}
}
