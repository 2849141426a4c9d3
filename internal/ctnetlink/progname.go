package ctnetlink

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Prognames looks up the name of the process that holds a netlink port,
// as conntrack -E does for [USERSPACE] events: the socket's inode from
// /proc/net/netlink, the process whose descriptors include that socket
// (first the one whose pid is the port id, as most netlink users bind),
// and its name from /proc/PID/stat. A process that has already exited is
// not found. The last answer is kept, so that a flush, which sends an
// event for every flow, is looked up once. Its zero value is ready to use.
type Prognames struct {
	mu     sync.Mutex
	portid uint32
	inode  uint64
	name   string
}

// Lookup returns the name of the process holding netlink port portid, or
// "" if it cannot be found.
func (p *Prognames) Lookup(portid uint32) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	inode := netlinkInode(portid)
	if inode == 0 {
		return ""
	}
	if portid == p.portid && inode == p.inode {
		return p.name
	}
	name := holder(int(portid), inode)
	if name == "" {
		if dir, err := os.ReadDir("/proc"); err == nil {
			for _, e := range dir {
				pid, err := strconv.Atoi(e.Name())
				if err != nil || pid <= 1 || pid == int(portid) {
					continue
				}
				if name = holder(pid, inode); name != "" {
					break
				}
			}
		}
	}
	p.portid, p.inode, p.name = portid, inode, name
	return name
}

// netlinkInode returns the inode of the NETLINK_NETFILTER socket bound to
// portid, from /proc/net/netlink (columns: sk Eth Pid Groups Rmem Wmem Dump
// Locks Drops Inode), or 0.
func netlinkInode(portid uint32) uint64 {
	b, err := os.ReadFile("/proc/net/netlink")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[1] != "12" || f[2] != strconv.FormatUint(uint64(portid), 10) { // 12: NETLINK_NETFILTER
			continue
		}
		inode, _ := strconv.ParseUint(f[9], 10, 64)
		return inode
	}
	return 0
}

// holder returns the name of process pid if it holds socket inode.
func holder(pid int, inode uint64) string {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	fds, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	want := "socket:[" + strconv.FormatUint(inode, 10) + "]"
	for _, fd := range fds {
		if target, err := os.Readlink(dir + fd.Name()); err == nil && target == want {
			return comm(pid)
		}
	}
	return ""
}

// comm returns the process name of /proc/PID/stat: the text in
// parentheses after the pid, up to the first ')'.
func comm(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	_, rest, ok := bytes.Cut(b, []byte(" ("))
	if !ok {
		return ""
	}
	name, _, ok := bytes.Cut(rest, []byte(")"))
	if !ok {
		return ""
	}
	return string(name)
}
