package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/ctnetlink"
	"github.com/ctconv/ctconv/internal/netns"
)

// procStatsFile is the running kernel's /proc file of counters, of the
// live namespace (see command.openLive).
const procStatsFile = "/proc/net/stat/nf_conntrack"

// liveCounters returns the running kernel's counters, of the live
// namespace (see inNetns): over netlink (ctnetlink.ReadStats: each CPU's
// counters and expectation counters, the table's count and maximum), if
// asked to and it answers, else from /proc/net/stat/nf_conntrack.
// Counters of a later kernel than ctconv knows, which netlink sends and
// the records leave out, are said on stderr.
func (c *command) liveCounters(netlink bool) ([]format.Stats, error) {
	if netlink {
		var all []format.Stats
		var newer int
		err := c.inNetns(func() (err error) {
			all, newer, err = ctnetlink.ReadStats()
			return err
		})
		if newer > 0 {
			fmt.Fprintf(c.stderr, "ctconv %s: left out %s of a later kernel than this ctconv knows\n", c.name, plural(newer, "counter"))
		}
		if err == nil {
			return all, nil
		}
	}
	f, err := c.openLive(procStatsFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc, err := format.NewScanner(f, format.Dialect{Format: format.ProcStats}, format.WithName(procStatsFile))
	if err != nil {
		return nil, err
	}
	var all []format.Stats
	for s, err := range sc.Stats() {
		if err != nil {
			return all, err
		}
		all = append(all, *s)
	}
	return all, nil
}

// carryLive writes the running kernel's counters of the moment into a
// snapshot of its live table, or of each namespace's with --all-netns,
// each record naming its namespace; a failure to read them is said, and
// the snapshot holds the flows without them.
func (c *converter) carryLive() {
	if len(c.namespaces) == 0 {
		all, err := c.cmd.liveCounters(c.netlink)
		if err != nil {
			fmt.Fprintf(c.stderr, "ctconv %s: the table's counters: %v (the snapshot holds the flows without them)\n", c.cmd.name, err)
			return
		}
		c.carry(all)
		return
	}
	defer func(ns *netns.NS) { c.cmd.ns = ns }(c.cmd.ns)
	var all []format.Stats
	for _, ns := range c.namespaces {
		c.cmd.ns = ns
		some, err := c.cmd.liveCounters(c.netlink)
		if err != nil {
			fmt.Fprintf(c.stderr, "ctconv %s: the table's counters of %s: %v (the snapshot holds its flows without them)\n", c.cmd.name, ns, err)
			continue
		}
		for i := range some {
			some[i].Netns = ns.Name
		}
		all = append(all, some...)
	}
	c.carry(all)
}

// countersJSON is how ctconv stats --format json shows the counters: in
// all ("total", the table's, without a CPU), and CPU by CPU, each object
// as a line of ctconv's JSON Lines of counters (codec.AppendJSONStats).
type countersJSON struct {
	Total json.RawMessage   `json:"total"`
	CPUs  []json.RawMessage `json:"cpus"`
}

// totals returns the counters of the whole table, as a record without a
// CPU.
func (cs *counterSet) totals() format.Stats {
	t := format.Stats{CPU: -1}
	for st := format.StatSearched; st <= format.StatExpectDelete; st++ {
		if v, ok := cs.total(st); ok {
			t.Set(st, v)
		}
	}
	return t
}

// json returns the counters as stats --format json shows them, nil for
// none.
func (cs *counterSet) json() *countersJSON {
	t := cs.totals()
	if empty(&t) {
		return nil
	}
	raw := func(s *format.Stats) json.RawMessage {
		b, _ := codec.AppendJSONStats(nil, s)
		return bytes.TrimSuffix(b, []byte("\n"))
	}
	j := &countersJSON{Total: raw(&t), CPUs: []json.RawMessage{}}
	for _, cpu := range cs.cpus {
		j.CPUs = append(j.CPUs, raw(cs.byCPU[cpu]))
	}
	return j
}

// print writes the counters as stats shows them to people: in all, then
// CPU by CPU, each in the kernel's order.
func (cs *counterSet) print(w io.Writer) {
	t := cs.totals()
	if empty(&t) {
		return
	}
	line := func(title string, s *format.Stats) {
		var b strings.Builder
		for st, v := range s.All() {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %d", st, v)
		}
		fmt.Fprintf(w, "%-22s %s\n", title, b.String())
	}
	line("kernel counters", &t)
	for _, cpu := range cs.cpus {
		line(fmt.Sprintf("  cpu=%d", cpu), cs.byCPU[cpu])
	}
}
