package netns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// newNamed adds a namespace with ip netns, which the test deletes.
func newNamed(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root, to add a network namespace")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip (iproute2)")
	}
	name := fmt.Sprintf("ctconv-netns-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	return name
}

// inodeHere returns the inode of the namespace of the calling thread.
func inodeHere() (uint64, error) {
	var st unix.Stat_t
	err := unix.Stat("/proc/thread-self/ns/net", &st)
	return st.Ino, err
}

func TestOpen(t *testing.T) {
	name := newNamed(t)
	// A process in the namespace, for the pid and /proc forms.
	sleep := exec.Command("ip", "netns", "exec", name, "sleep", "60")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleep.Process.Kill(); sleep.Wait() })
	byName, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer byName.Close()
	self, err := inodeHere()
	if err != nil {
		t.Fatal(err)
	}
	if byName.Inode == self || byName.Name != name {
		t.Fatalf("Open(%q) = %v; the test's own namespace is %d", name, byName, self)
	}
	pid := strconv.Itoa(sleep.Process.Pid)
	// ip netns exec enters the namespace before it runs sleep.
	for range 100 {
		if ns, err := Open(pid); err == nil {
			ns.Close()
			if ns.Inode == byName.Inode {
				break
			}
		}
		exec.Command("sleep", "0.02").Run()
	}
	// Each form is named as All names what it finds: a file of RunDir by
	// its ip netns name, a process's namespace as "pid N".
	for spec, want := range map[string]string{RunDir + "/" + name: name, pid: "pid " + pid, "/proc/" + pid + "/ns/net": "pid " + pid} {
		ns, err := Open(spec)
		if err != nil {
			t.Fatal(err)
		}
		ns.Close()
		if ns.Inode != byName.Inode || ns.Name != want {
			t.Errorf("Open(%q) is %s, want %s (net:[%d])", spec, ns, want, byName.Inode)
		}
	}
	var inside uint64
	if err := byName.Do(func() (err error) { inside, err = inodeHere(); return err }); err != nil {
		t.Fatal(err)
	}
	if inside != byName.Inode {
		t.Errorf("Do ran in net:[%d], want net:[%d]", inside, byName.Inode)
	}
	if after, _ := inodeHere(); after != self {
		t.Errorf("after Do, the caller is in net:[%d], want net:[%d]", after, self)
	}
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	found := map[uint64]string{}
	for _, ns := range all {
		if other, ok := found[ns.Inode]; ok {
			t.Errorf("All has net:[%d] twice: %s and %s", ns.Inode, other, ns.Name)
		}
		found[ns.Inode] = ns.Name
		ns.Close()
	}
	if found[byName.Inode] != name || found[self] == "" {
		t.Errorf("All: %v; want %s as %q and the test's own net:[%d]", found, byName, name, self)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want error
	}{
		{"/proc/self/ns/mnt", ErrNotNetns},
		{"/proc/self/status", ErrNotNetns},
		{"/nonexistent/ns", os.ErrNotExist},
		{"no-such-namespace-name", nil},
		{"", nil},
	} {
		ns, err := Open(tc.spec)
		var e *Error
		if err == nil || !errors.As(err, &e) || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("Open(%q) = %v, %v; want an *Error of %v", tc.spec, ns, err, tc.want)
		}
	}
}

// TestNameOf: a namespace is named as All names it, however it was
// given, without opening it (a capture of another machine names its).
func TestNameOf(t *testing.T) {
	for spec, want := range map[string]string{
		"blue":               "blue",
		RunDir + "/blue":     "blue",
		RunDir + "//blue/":   "blue",
		"4242":               "pid 4242",
		"/proc/4242/ns/net":  "pid 4242",
		"/proc/self/ns/net":  "/proc/self/ns/net",
		"/var/run/pods/x/ns": "/var/run/pods/x/ns",
		"pid 42":             "pid 42",
	} {
		if got := NameOf(spec); got != want {
			t.Errorf("NameOf(%q) = %q, want %q", spec, got, want)
		}
	}
}
