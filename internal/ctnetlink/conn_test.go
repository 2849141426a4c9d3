package ctnetlink

import (
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// netlinkPort opens a ctnetlink socket bound to port (0: the kernel's
// choice) and returns it with its port.
func netlinkPort(t *testing.T, port uint32) (fd int, portid uint32) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_NETFILTER)
	if err != nil {
		t.Skipf("no netlink socket: %v", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: port}); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	return fd, sa.(*unix.SockaddrNetlink).Pid
}

// TestProgname looks up the test's own ctnetlink socket: its port id
// leads to this process's name, as conntrack -E finds the name of the
// process behind a [USERSPACE] event. A burst of events from the port
// looks at /proc once, found or not; a port whose program has closed its
// socket keeps its name; a port that another socket took is looked up
// anew.
func TestProgname(t *testing.T) {
	fd, portid := netlinkPort(t, 0)
	want := comm(os.Getpid())
	if want == "" {
		unix.Close(fd)
		t.Fatal("no name in /proc/self/stat")
	}
	looks := 0
	p := Prognames{inode: func(portid uint32) uint64 { looks++; return netlinkInode(nil, portid) }}
	for range 100000 {
		if got := p.Lookup(portid); got != want {
			t.Fatalf("Lookup(%d) = %q, want %q", portid, got, want)
		}
	}
	if looks != 1 {
		t.Errorf("100,000 lookups of one port read /proc/net/netlink %d times, want 1", looks)
	}
	first := p.ports[portid].inode
	unix.Close(fd)
	p.ports[portid].checked = time.Time{}
	if got := p.Lookup(portid); got != want || looks != 2 {
		t.Errorf("Lookup of a port whose socket closed = %q after %d looks, want the kept %q after 2", got, looks, want)
	}
	fd, _ = netlinkPort(t, portid)
	defer unix.Close(fd)
	p.ports[portid].checked = time.Time{}
	if got := p.Lookup(portid); got != want || p.ports[portid].inode == first {
		t.Errorf("Lookup of a port another socket took = %q, inode %d (the old socket's: %d)", got, p.ports[portid].inode, first)
	}
	looks = 0
	for range 1000 {
		if got := p.Lookup(portid + 12345); got != "" {
			t.Fatalf("Lookup of a port nobody holds = %q", got)
		}
	}
	if looks != 1 {
		t.Errorf("1,000 lookups of a port nobody holds read /proc/net/netlink %d times, want 1", looks)
	}
}

// TestListenClose closes a listening connection while a Scan waits for
// events, as ctconv watch does on SIGINT: the Scan ends cleanly.
func TestListenClose(t *testing.T) {
	c, err := Dial()
	if err != nil {
		t.Skipf("no netlink socket: %v", err)
	}
	sc, err := c.Listen(Events{}, &Decoder{})
	if err != nil {
		c.Close()
		t.Skipf("cannot listen to conntrack events (needs CAP_NET_ADMIN): %v", err)
	}
	done := make(chan error)
	go func() {
		var last error
		for _, err := range sc.Flows() {
			last = err
		}
		done <- last
	}()
	time.Sleep(50 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("error after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the loop still waits after Close")
	}
}

// TestReceiveZeroAlloc: receiving a batch of datagrams, and reading the
// kernel's count of what it dropped, as the scanner of events does for
// each batch, allocate nothing (on a datagram socket pair, which serves as
// well as netlink's).
func TestReceiveZeroAlloc(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Skipf("no socket pair: %v", err)
	}
	defer unix.Close(fds[1])
	f := os.NewFile(uintptr(fds[0]), "pair")
	defer f.Close()
	raw, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	b, m := newBatch(raw), newMeminfo(raw)
	msg := []byte("an event")
	allocs := testing.AllocsPerRun(100, func() {
		unix.Write(fds[1], msg)
		unix.Write(fds[1], msg)
		if err := b.receive(); err != nil || b.n != 2 {
			t.Fatalf("received %d datagrams, %v", b.n, err)
		}
		if _, ok := m.dropped(); !ok {
			t.Fatal("no drop count")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations a batch", allocs)
	}
}
