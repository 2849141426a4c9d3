// Package netns names network namespaces as ip netns, /proc and bind
// mounts do, and runs code inside one: a socket opened there, or a file of
// /proc/thread-self/net, stays the namespace's wherever it is used later.
// Entering a namespace takes CAP_SYS_ADMIN.
package netns

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// RunDir is where ip netns keeps its named namespaces, bind-mounted.
const RunDir = "/run/netns"

// NS is an open network namespace.
type NS struct {
	f *os.File
	// Name is how the namespace was named, as All names what it finds:
	// its ip netns name (for a file of RunDir too), "pid N" (for
	// /proc/N/ns/net too), or another path.
	Name string
	// Inode is the namespace's inode number, its identity while it lives,
	// as ip netns identify, lsns and /proc/PID/ns/net (net:[INODE]) show it.
	Inode uint64
}

// Error is a namespace that cannot be opened or entered.
type Error struct {
	Spec string // what named it
	Err  error
}

func (e *Error) Error() string {
	return "network namespace " + strconv.Quote(e.Spec) + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrNotNetns is the Err of an *Error whose file is not a network
// namespace.
var ErrNotNetns = errors.New("not a network namespace")

// Open opens the network namespace that spec names: a name of ip netns
// (a file of RunDir), a path (one with a '/': /proc/PID/ns/net, or a bind
// mount of one), or a process's id, in that order of preference.
func Open(spec string) (*NS, error) {
	path := spec
	switch {
	case spec == "":
		return nil, &Error{Spec: spec, Err: errors.New("empty name")}
	case strings.ContainsRune(spec, '/'):
	case exists(filepath.Join(RunDir, spec)):
		path = filepath.Join(RunDir, spec)
	case isPID(spec):
		path = "/proc/" + spec + "/ns/net"
	default:
		return nil, &Error{Spec: spec, Err: fmt.Errorf("no such name in %s (ip netns list), nor a path or a process id", RunDir)}
	}
	return open(spec, path, NameOf(spec))
}

// NameOf returns the name that Open gives the namespace spec names
// (NS.Name), without opening it: a file of RunDir is named by its ip
// netns name, a process's namespace (a pid that is not an ip netns name,
// or /proc/PID/ns/net) "pid PID", another path by itself.
func NameOf(spec string) string {
	if !strings.ContainsRune(spec, '/') {
		if isPID(spec) && !exists(filepath.Join(RunDir, spec)) {
			return "pid " + spec
		}
		return spec
	}
	clean := filepath.Clean(spec)
	if dir, base := filepath.Split(clean); filepath.Clean(dir) == RunDir {
		return base
	}
	if pid, ok := strings.CutSuffix(strings.TrimPrefix(clean, "/proc/"), "/ns/net"); ok && isPID(pid) {
		return "pid " + pid
	}
	return spec
}

// open opens the namespace file path, which spec named, under name.
func open(spec, path, name string) (*NS, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Spec: spec, Err: err}
	}
	ns := &NS{f: f, Name: name}
	if err := ns.check(); err != nil {
		f.Close()
		return nil, &Error{Spec: spec, Err: err}
	}
	return ns, nil
}

// check makes sure the file is a network namespace and sets its inode.
func (n *NS) check() error {
	typ, err := unix.IoctlRetInt(int(n.f.Fd()), unix.NS_GET_NSTYPE)
	if err != nil || typ != unix.CLONE_NEWNET {
		return ErrNotNetns
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(n.f.Fd()), &st); err != nil {
		return err
	}
	n.Inode = st.Ino
	return nil
}

// Close closes the namespace's file; the namespace lives on as long as
// something else holds it.
func (n *NS) Close() error { return n.f.Close() }

// String returns the namespace's name and inode, as "blue (net:[4026532281])".
func (n *NS) String() string {
	return n.Name + " (net:[" + strconv.FormatUint(n.Inode, 10) + "])"
}

// Do runs fn on a thread of its own that is in the namespace, so that the
// sockets fn opens, and the /proc/thread-self/net files, are the
// namespace's. The calling goroutine waits for it.
func (n *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		// The thread is locked for good: if it cannot go back to its
		// namespace, it ends with the goroutine rather than serve another.
		runtime.LockOSThread()
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- err
			return
		}
		defer self.Close()
		if err := unix.Setns(int(n.f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- &Error{Spec: n.Name, Err: fmt.Errorf("enter: %w", err)}
			return
		}
		err = fn()
		if unix.Setns(int(self.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func isPID(s string) bool {
	_, err := strconv.ParseUint(s, 10, 31)
	return err == nil
}

// All opens every network namespace it can find: the named ones of RunDir,
// in name order, then those of running processes, in pid order, each
// once, by inode, under the first name found. Namespaces that cannot be
// opened (a process that ended, a file that is not a namespace) are
// passed over.
func All() ([]*NS, error) {
	var all []*NS
	seen := map[uint64]bool{}
	add := func(path, name string) {
		ns, err := open(name, path, name)
		if err != nil {
			return
		}
		if seen[ns.Inode] {
			ns.Close()
			return
		}
		seen[ns.Inode] = true
		all = append(all, ns)
	}
	names, err := os.ReadDir(RunDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for _, e := range names {
		add(filepath.Join(RunDir, e.Name()), e.Name())
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		for _, ns := range all {
			ns.Close()
		}
		return nil, err
	}
	var pids []int
	for _, e := range procs {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	for _, pid := range pids {
		add("/proc/"+strconv.Itoa(pid)+"/ns/net", "pid "+strconv.Itoa(pid))
	}
	return all, nil
}
