package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/ctnetlink"
	"github.com/ctconv/ctconv/internal/netns"
	"github.com/ctconv/ctconv/snapshot"
)

// The plumbing of --netns, which every command that reads the live table
// shares: netnsFlag adds the flag; inNetns runs what opens a socket, or a
// file of /proc/net (procNet) or /proc/sys/net, in the namespace it names;
// labels loads the label names conntrack would print there; liveName
// names it for a header; closeNetns closes it when the command ends.

// netnsHelp is the part of a command's help about --netns; netnsFilesHelp
// follows it where the command reads capture FILEs.
const (
	netnsHelp = `
--netns NAME|PATH|PID reads the running kernel's table, its counters or its
events in another network namespace than ctconv's own: one named by ip netns
(NAME), a /proc/PID/ns/net or a bind mount of one (PATH), or the
namespace of a process (PID). It reads what ip netns exec NAME ctconv ...
reads, label names included (/etc/netns/NAME/xtables/connlabel.conf where
ip netns exec would mount it; a PID's namespace is read as nsenter --net
enters it); it needs CAP_SYS_ADMIN.
`
	netnsFilesHelp = `Given with a capture FILE, it selects the records of that namespace:
those a capture of several (ctconv snapshot --all-netns) names so, or all
of a capture taken with --netns NAME, or of one that names none.
`
)

// netnsFlag adds --netns, the namespace of the live sources, and, where
// the command reads captures, the one to select of a capture of several.
func (c *command) netnsFlag(captures bool) {
	usage := "read the running kernel's table or events in network namespace `NAME|PATH|PID`"
	c.help += netnsHelp
	if captures {
		usage += ",\nor select that namespace's records of a capture"
		c.help += netnsFilesHelp
	}
	c.netns = c.fs.String("netns", "", usage)
}

// netnsName returns the name of the namespace --netns names, as a
// capture names it (netns.NameOf), or "".
func (c *command) netnsName() string {
	if c.netns == nil || *c.netns == "" {
		return ""
	}
	return netns.NameOf(*c.netns)
}

// liveNS returns the namespace where the live sources are read: the one
// being captured by --all-netns, or the one --netns names, opened once;
// nil for the process's own.
func (c *command) liveNS() (*netns.NS, error) {
	if c.ns != nil || c.netns == nil || *c.netns == "" {
		return c.ns, nil
	}
	ns, err := netns.Open(*c.netns)
	if err != nil {
		return nil, err
	}
	c.ns = ns
	return ns, nil
}

// inNetns runs fn where the live sources are read (liveNS): on a thread
// of its own in that namespace, so that the sockets fn opens, and the
// files of /proc/thread-self/net and /proc/sys/net, are the namespace's
// wherever they are read later; or on the calling goroutine for the
// process's own namespace.
func (c *command) inNetns(fn func() error) error {
	ns, err := c.liveNS()
	if err != nil {
		return err
	}
	if ns == nil {
		return fn()
	}
	return ns.Do(fn)
}

// liveName returns the name of the namespace where the live sources are
// read, "" for the process's own (which captures do not name).
func (c *command) liveName() string {
	if c.ns == nil {
		return ""
	}
	return c.ns.Name
}

// closeNetns closes the namespace liveNS opened, if any.
func (c *command) closeNetns() {
	if c.ns != nil {
		c.ns.Close()
		c.ns = nil
	}
}

// procNet returns the path of a file of /proc/net (name, such as
// "/proc/net/nf_conntrack") that inNetns opens as the live namespace's:
// /proc/net is the thread-group leader's, /proc/thread-self/net the
// calling thread's.
func procNet(name string) string {
	if rest, ok := strings.CutPrefix(name, "/proc/net/"); ok {
		return "/proc/thread-self/net/" + rest
	}
	return name
}

// readLive reads a file of the live namespace, such as /proc/net/...
// or /proc/sys/net/...
func (c *command) readLive(name string) ([]byte, error) {
	var b []byte
	err := c.inNetns(func() (err error) {
		b, err = os.ReadFile(procNet(name))
		return err
	})
	return b, err
}

// openLive opens a file of the live namespace for reading.
func (c *command) openLive(name string) (*os.File, error) {
	var f *os.File
	err := c.inNetns(func() (err error) {
		f, err = os.Open(procNet(name))
		return err
	})
	return f, err
}

// labels returns the label names of flows read over netlink in the live
// namespace: those conntrack finds there (ctnetlink.LoadNetnsLabels, for
// a namespace of ip netns).
func (c *command) labels() (ctnetlink.Labels, error) {
	ns, err := c.liveNS()
	if err != nil || ns == nil {
		return ctnetlink.LoadLabels()
	}
	if _, err := os.Stat(filepath.Join(netns.RunDir, ns.Name)); err == nil && !strings.ContainsRune(ns.Name, '/') {
		return ctnetlink.LoadNetnsLabels(ns.Name)
	}
	return ctnetlink.LoadLabels()
}

// unnamed counts the flows of an input that names no namespace (read
// inside one, not by --all-netns), which a filter of one namespace takes
// as that namespace's (format.Filter.Netns), to say so.
type unnamed struct {
	netns string // the namespace selected, if the input names none
	n     int
}

func newUnnamed(x *format.Filter, in *snapshot.Input) unnamed {
	if x == nil || in.Netns() != "" {
		return unnamed{}
	}
	return unnamed{netns: x.Netns}
}

// count counts f, a flow the filter selected.
func (u *unnamed) count(f *format.Flow) {
	if u.netns != "" && f.Netns == "" {
		u.n++
	}
}

// report says on w that the flows counted were taken as the namespace's.
func (u *unnamed) report(w io.Writer, cmd, input string) {
	if u.n > 0 {
		fmt.Fprintf(w, "ctconv %s: %s names no network namespace: took its %s as %s's\n", cmd, input, plural(u.n, "flow"), u.netns)
	}
}

// picked takes f, which filter x selected, out of its capture of several
// namespaces: where x selects one namespace, f's is that of the output,
// which names it once (a snapshot's header), not on each flow.
func picked(x *format.Filter, f *format.Flow) {
	if x != nil && x.Netns != "" {
		f.Netns = ""
	}
}

// ofNetns returns the counters of stats, carried by a capture whose
// records that name no namespace are of netns, that are of namespace name.
func ofNetns(stats []format.Stats, netns, name string) []format.Stats {
	var of []format.Stats
	for _, s := range stats {
		if isOfNetns(&s, netns, name) {
			of = append(of, s)
		}
	}
	return of
}

// isOfNetns reports whether s, of a capture whose records that name no
// namespace are of netns, is of namespace name.
func isOfNetns(s *format.Stats, netns, name string) bool { return cmp.Or(s.Netns, netns) == name }

// namespaces returns the number of namespaces whose counters stats
// holds, counting those that name none as one.
func namespaces(stats []format.Stats) int {
	seen := map[string]bool{}
	for _, s := range stats {
		seen[s.Netns] = true
	}
	return len(seen)
}
