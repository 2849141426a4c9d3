package ctnetlink

import (
	"bufio"
	"bytes"
	"io"
	"maps"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Prognames looks up the name of the process that holds a netlink port,
// as conntrack -E does for [USERSPACE] events: the socket's inode from
// /proc/net/netlink, the process whose descriptors include that socket
// (first the one whose pid is the port id, as most netlink users bind),
// and its name from /proc/PID/stat.
//
// A flush or a restore sends hundreds of thousands of events from one
// port, faster than /proc can be read for each, so each port's answer is
// kept, and the port is looked at again (its socket's inode) at most once
// a Recheck: only a port whose socket has changed is looked up anew. A
// port that no socket holds any more keeps its last answer, as the events
// still queued were caused by the process that held it; a port that was
// not found is not looked for again until a Recheck has passed. Its zero
// value is ready to use.
type Prognames struct {
	// Table is the netlink sockets' table of the namespace whose events
	// are looked up, /proc/thread-self/net/netlink opened inside it; nil
	// for the caller's own, /proc/net/netlink. Port ids are a
	// namespace's.
	Table *os.File

	mu    sync.Mutex
	ports map[uint32]*holding
	inode func(portid uint32) uint64 // netlinkInode, or a test's count of it
}

// Recheck is how long Prognames trusts a port's answer before it looks at
// the port's socket again.
const Recheck = time.Second

// holding is what Prognames knows of a port: the inode of the socket that
// held it, and the name of its process, when it last looked.
type holding struct {
	inode   uint64
	name    string
	checked time.Time
}

// Lookup returns the name of the process holding netlink port portid, or
// "" if it cannot be found.
func (p *Prognames) Lookup(portid uint32) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	h := p.ports[portid]
	if h != nil && now.Sub(h.checked) < Recheck {
		return h.name
	}
	if p.inode == nil {
		p.inode = func(portid uint32) uint64 { return netlinkInode(p.Table, portid) }
	}
	inode := p.inode(portid)
	if h != nil && (inode == 0 || inode == h.inode) {
		h.checked = now
		return h.name
	}
	name := ""
	if inode != 0 {
		name = findHolder(portid, inode)
	}
	if p.ports == nil {
		p.ports = map[uint32]*holding{}
	}
	if len(p.ports) >= 256 { // the ports of programs that have ended
		maps.DeleteFunc(p.ports, func(_ uint32, h *holding) bool { return now.Sub(h.checked) > Recheck })
	}
	p.ports[portid] = &holding{inode: inode, name: name, checked: now}
	return name
}

// findHolder returns the name of the process that holds socket inode,
// bound to portid: first the process whose pid is the port id, as most
// netlink users bind, then any.
func findHolder(portid uint32, inode uint64) string {
	if name := holder(int(portid), inode); name != "" {
		return name
	}
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return ""
	}
	for _, e := range dir {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 1 || pid == int(portid) {
			continue
		}
		if name := holder(pid, inode); name != "" {
			return name
		}
	}
	return ""
}

// netlinkInode returns the inode of the NETLINK_NETFILTER socket bound to
// portid, from table, or /proc/net/netlink if nil (columns: sk Eth Pid
// Groups Rmem Wmem Dump Locks Drops Inode), or 0.
func netlinkInode(table *os.File, portid uint32) uint64 {
	var b []byte
	var err error
	if table == nil {
		b, err = os.ReadFile("/proc/net/netlink")
	} else {
		b, err = io.ReadAll(io.NewSectionReader(table, 0, math.MaxInt64)) // the file anew
	}
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
