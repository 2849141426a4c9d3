package ctnetlink_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/ctnetlink"
	"github.com/ctconv/ctconv/internal/lab"
)

var statsSeeds = flag.String("stats-seeds", "", "write the replies of the live read of the counters as seeds of FuzzNetlinkStats into `DIR`")

// readStats reads the lab's counters over netlink, from inside its
// namespace.
func readStats(t *testing.T, l *lab.Lab) []format.Stats {
	t.Helper()
	var all []format.Stats
	err := l.Do(func() error {
		var err error
		var newer int
		if all, newer, err = ctnetlink.ReadStats(); err == nil && newer != 0 {
			err = fmt.Errorf("%d counters of a later kernel than ctnetlink knows", newer)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// parseStats reads text, a capture of the counters in format fm.
func parseStats(t *testing.T, text []byte, fm format.Format) []format.Stats {
	t.Helper()
	sc, err := format.NewScanner(bytes.NewReader(text), format.Dialect{Format: fm})
	if err != nil {
		t.Fatal(err)
	}
	var all []format.Stats
	for s, err := range sc.Stats() {
		if err != nil {
			t.Fatalf("%v: %v\n%s", fm, err, text)
		}
		all = append(all, *s)
	}
	return all
}

// statsKey says which of the netlink read's records holds counter st of
// cpu: a CPU's conntrack or expectation counters, or the table's.
type statsKey struct {
	kind string
	cpu  int
}

func keyOf(st format.Stat, cpu int) statsKey {
	switch {
	case st == format.StatEntries || st == format.StatMaxEntries:
		return statsKey{"table", -1}
	case st >= format.StatExpectNew:
		return statsKey{"expect", cpu}
	}
	return statsKey{"conntrack", cpu}
}

func byKey(all []format.Stats) map[statsKey]*format.Stats {
	m := map[statsKey]*format.Stats{}
	for i := range all {
		for st := range all[i].All() {
			m[keyOf(st, all[i].CPU)] = &all[i]
			break
		}
	}
	return m
}

// columns returns the counters s holds, in order.
func columns(s *format.Stats) []format.Stat {
	var cols []format.Stat
	for st := range s.All() {
		cols = append(cols, st)
	}
	return cols
}

// agree checks that every counter of the records of a source, read
// between the netlink reads before and after, lies between what they
// read, wherever netlink reports it too, and returns how many it compared.
func agree(t *testing.T, source string, recs []format.Stats, before, after []format.Stats) int {
	t.Helper()
	b, a := byKey(before), byKey(after)
	n := 0
	for i := range recs {
		for st, v := range recs[i].All() {
			k := keyOf(st, recs[i].CPU)
			if k.kind == "table" && recs[i].CPU >= 0 {
				k.cpu = -1 // /proc's entries, on every CPU's line
			}
			v1, ok1 := b[k].Value(st)
			v2, ok2 := a[k].Value(st)
			if b[k] == nil || a[k] == nil || !ok1 || !ok2 {
				continue // a counter netlink does not report: new, ignore, ...
			}
			if v < min(v1, v2) || v > max(v1, v2) {
				t.Errorf("%s: CPU %d %v=%d, but netlink read %d before and %d after", source, recs[i].CPU, st, v, v1, v2)
			}
			n++
		}
	}
	return n
}

// TestLiveStats fills a namespace's table and counters with entries and
// real traffic, and reads its counters over netlink before and after
// conntrack -S, conntrack -S expect, conntrack -C, /proc/net/stat/nf_conntrack
// and nf_conntrack_max of the same namespace: every counter both report
// lies between the two netlink reads, and each CPU's netlink record holds
// exactly the counters of conntrack -S's line (and -S expect's).
func TestLiveStats(t *testing.T) {
	l := lab.ForTest(t, "ctconv-nls", "the counters read over netlink with conntrack -S, -C and /proc/net/stat")
	if err := l.Insert(lab.Fixed()); err != nil {
		t.Fatal(err)
	}
	closeAll, err := l.Traffic()
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	if *statsSeeds != "" {
		writeStatsSeeds(t, l, *statsSeeds)
	}
	before := readStats(t, l)
	out := map[string][]byte{}
	for _, args := range [][]string{
		{"conntrack", "-S"}, {"conntrack", "-S", "expect"}, {"conntrack", "-C"},
		{"cat", "/proc/net/stat/nf_conntrack"}, {"cat", "/proc/sys/net/netfilter/nf_conntrack_max"},
	} {
		b, err := l.Exec(nil, args...)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.Join(args[1:], " ")] = b
	}
	after := readStats(t, l)
	t.Logf("netlink read:\n%s", showAll(after))

	sources := []struct {
		name string
		recs []format.Stats
	}{
		{"conntrack -S", parseStats(t, out["-S"], format.ConntrackStats)},
		{"conntrack -S expect", parseStats(t, out["-S expect"], format.ConntrackStats)},
		{"conntrack -C", parseStats(t, out["-C"], format.ConntrackStats)},
		{"/proc/net/stat/nf_conntrack", parseStats(t, out["/proc/net/stat/nf_conntrack"], format.ProcStats)},
	}
	max, err := strconv.ParseUint(strings.TrimSpace(string(out["/proc/sys/net/netfilter/nf_conntrack_max"])), 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	var table format.Stats
	table.CPU = -1
	table.Set(format.StatMaxEntries, max)
	sources = append(sources, struct {
		name string
		recs []format.Stats
	}{"nf_conntrack_max", []format.Stats{table}})
	for _, src := range sources {
		if n := agree(t, src.name, src.recs, before, after); n == 0 {
			t.Errorf("%s: no counter compared", src.name)
		}
	}

	// The column sets: one record a CPU, each with conntrack -S's counters.
	for _, s := range sources[:2] {
		var want, got []string
		for i := range s.recs {
			want = append(want, fmt.Sprint(s.recs[i].CPU, columns(&s.recs[i])))
		}
		for i := range after {
			if after[i].CPU >= 0 && after[i].Expectations() == (s.name == "conntrack -S expect") {
				got = append(got, fmt.Sprint(after[i].CPU, columns(&after[i])))
			}
		}
		if !slices.Equal(want, got) {
			t.Errorf("netlink's CPUs and counters differ from %s's:\nnetlink:  %q\n%s: %q", s.name, got, s.name, want)
		}
	}
	var sum uint64
	for i := range after {
		for st, v := range after[i].All() {
			if st != format.StatMaxEntries {
				sum += v
			}
		}
	}
	if sum == 0 {
		t.Error("every counter is 0: the comparison proves little")
	}
}

func showAll(all []format.Stats) string {
	var b strings.Builder
	for i := range all {
		fmt.Fprintf(&b, "cpu %d:", all[i].CPU)
		for st, v := range all[i].All() {
			fmt.Fprintf(&b, " %v=%d", st, v)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// writeStatsSeeds writes the replies of the lab's counters into dir.
func writeStatsSeeds(t *testing.T, l *lab.Lab, dir string) {
	err := l.Do(func() error {
		c, err := ctnetlink.Dial()
		if err != nil {
			return err
		}
		defer c.Close()
		return c.StatsMessages(func(msg []byte) error {
			writeSeed(t, dir, msg)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// total returns the sum of counter st over the CPUs.
func total(all []format.Stats, st format.Stat) uint64 {
	var n uint64
	for i := range all {
		v, _ := all[i].Value(st)
		n += v
	}
	return n
}

// TestLiveStatsInvalid sends TCP ACKs of no connection into a namespace
// with nf_conntrack_tcp_loose=0 and no other traffic: the netlink read
// sees invalid rise, and reads what conntrack -S reads before and after.
func TestLiveStatsInvalid(t *testing.T) {
	l := lab.ForTest(t, "ctconv-nli", "the counters read over netlink with conntrack -S, around bare TCP ACKs")
	read := func() (nl, cs []format.Stats) {
		nl = readStats(t, l)
		b, err := l.Conntrack("-S")
		if err != nil {
			t.Fatal(err)
		}
		return nl, parseStats(t, b, format.ConntrackStats)
	}
	nl1, cs1 := read()
	const acks = 100
	if err := l.BareACKs(acks, 8000); err != nil {
		t.Fatal(err)
	}
	nl2, cs2 := read()
	for _, c := range []struct {
		nl, cs []format.Stats
	}{{nl1, cs1}, {nl2, cs2}} {
		var nl []format.Stats
		for i := range c.nl {
			if c.nl[i].CPU >= 0 && !c.nl[i].Expectations() {
				nl = append(nl, c.nl[i])
			}
		}
		if got, want := showAll(nl), showAll(c.cs); got != want {
			t.Errorf("with no traffic, netlink reads\n%sand conntrack -S\n%s", got, want)
		}
	}
	rise := total(nl2, format.StatInvalid) - total(nl1, format.StatInvalid)
	if rise < acks {
		t.Errorf("invalid rose by %d over netlink for %d bare ACKs", rise, acks)
	}
	t.Logf("invalid rose by %d", rise)
}

// TestLiveStatsPermission reads the counters of a namespace on a thread
// without CAP_NET_ADMIN: the error says so.
func TestLiveStatsPermission(t *testing.T) {
	l := lab.ForTest(t, "ctconv-nlp", "the error of a read of the counters without CAP_NET_ADMIN")
	var readErr error
	err := l.Do(func() error {
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var caps, without [2]unix.CapUserData
		if err := unix.Capget(&hdr, &caps[0]); err != nil {
			return err
		}
		without = caps
		without[0].Effective &^= 1 << unix.CAP_NET_ADMIN
		if err := unix.Capset(&hdr, &without[0]); err != nil {
			return err
		}
		_, _, readErr = ctnetlink.ReadStats()
		return unix.Capset(&hdr, &caps[0]) // back, for the thread to leave the namespace
	})
	if err != nil {
		t.Fatal(err)
	}
	var e *ctnetlink.Error
	if !errors.As(readErr, &e) || !errors.Is(readErr, os.ErrPermission) {
		t.Fatalf("ReadStats without CAP_NET_ADMIN: %v, want an *Error of os.ErrPermission", readErr)
	}
	t.Log(readErr)
}
