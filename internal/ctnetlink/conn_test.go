package ctnetlink

import (
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestProgname looks up the test's own ctnetlink socket: its port id
// leads to this process's name, as conntrack -E finds the name of the
// process behind a [USERSPACE] event.
func TestProgname(t *testing.T) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_NETFILTER)
	if err != nil {
		t.Skipf("no netlink socket: %v", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	portid := sa.(*unix.SockaddrNetlink).Pid
	want := comm(os.Getpid())
	if want == "" {
		t.Fatal("no name in /proc/self/stat")
	}
	var p Prognames
	for range 2 { // the second answer is the kept one
		if got := p.Lookup(portid); got != want {
			t.Errorf("Lookup(%d) = %q, want %q", portid, got, want)
		}
	}
	if got := p.Lookup(portid + 12345); got != "" {
		t.Errorf("Lookup of a port nobody holds = %q", got)
	}
}

// TestListenClose closes a listening connection while a Scan waits for
// events, as ctconv watch does on SIGINT: the Scan ends cleanly.
func TestListenClose(t *testing.T) {
	c, err := Dial()
	if err != nil {
		t.Skipf("no netlink socket: %v", err)
	}
	sc, err := c.Listen(0, &Decoder{})
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
