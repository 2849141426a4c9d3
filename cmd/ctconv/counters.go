package main

import (
	"fmt"
	"os"

	"github.com/ctconv/ctconv/format"
)

// readLiveCounters is the hook for the netlink read of the running
// kernel's counters (internal/ctnetlink: IPCTNL_MSG_CT_GET_STATS_CPU, the
// expectations' IPCTNL_MSG_EXP_GET_STATS_CPU and IPCTNL_MSG_CT_GET_STATS:
// per-CPU counters, expectation counters, the table's count and maximum).
// Until it is set, liveCounters reads /proc/net/stat/nf_conntrack; a live
// snapshot and ctconv stats take whichever answers.
var readLiveCounters func() ([]format.Stats, error)

// procStatsFile is the running kernel's /proc file of counters, of this
// process's network namespace.
const procStatsFile = "/proc/net/stat/nf_conntrack"

// liveCounters returns the running kernel's counters: over netlink where
// readLiveCounters is set and answers, else from /proc/net/stat/nf_conntrack.
func liveCounters() ([]format.Stats, error) {
	if readLiveCounters != nil {
		if all, err := readLiveCounters(); err == nil {
			return all, nil
		}
	}
	f, err := os.Open(procStatsFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc, err := format.NewScanner(f, format.ProcStats, format.WithName(procStatsFile))
	if err != nil {
		return nil, err
	}
	var all []format.Stats
	var s format.Stats
	for sc.ScanStats(&s) {
		all = append(all, s)
	}
	return all, sc.Err()
}

// carryLive writes the running kernel's counters of the moment into a
// snapshot of its live table; a failure to read them is said, and the
// snapshot holds the flows without them.
func (c *converter) carryLive() {
	all, err := liveCounters()
	if err != nil {
		fmt.Fprintf(c.stderr, "ctconv %s: the table's counters: %v (the snapshot holds the flows without them)\n", c.cmd.name, err)
		return
	}
	c.carry(all)
}
