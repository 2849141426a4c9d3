package lab

import (
	"os"
	"runtime"
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
