package lab

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// WaitSubscribed waits until the process pid holds a netfilter netlink
// socket in the lab's namespace that has joined a multicast group, as
// conntrack -E and ctconv watch do before they read: from then on the
// kernel queues every event for it, however late it reads. A sleep
// instead lost the first events of a listener that started slowly. It
// gives up after timeout, or when the process has gone.
func (l *Lab) WaitSubscribed(pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		inodes, err := socketInodes(pid)
		if err != nil {
			return fmt.Errorf("process %d, before it subscribed to events: %w", pid, err)
		}
		if len(inodes) > 0 {
			table, err := l.Exec(nil, "cat", "/proc/net/netlink")
			if err != nil {
				return err
			}
			if subscribed(table, inodes) {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d did not subscribe to netfilter events in %v", pid, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// socketInodes returns the inodes of the sockets that process pid holds.
func socketInodes(pid int) (map[string]bool, error) {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	fds, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(dir, fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	return inodes, nil
}

// netlinkNetfilter is NETLINK_NETFILTER, the protocol of ctnetlink's
// sockets in /proc/net/netlink's Eth column.
const netlinkNetfilter = "12"

// subscribed reports whether table, a /proc/net/netlink, lists a netfilter
// socket of one of inodes with a group joined: "sk Eth Pid Groups Rmem
// Wmem Dump Locks Drops Inode", Groups in hex, the first 32 groups.
func subscribed(table []byte, inodes map[string]bool) bool {
	sc := bufio.NewScanner(bytes.NewReader(table))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 10 && f[1] == netlinkNetfilter && strings.Trim(f[3], "0") != "" && inodes[f[9]] {
			return true
		}
	}
	return false
}
