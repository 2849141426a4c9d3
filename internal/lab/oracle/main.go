// Command oracle captures what conntrackd and the table's counters print,
// byte for byte, from labs of its own with real loopback traffic: with
// -conntrackd, the caches and statistics of two daemons that sync over a
// veth pair (lab.Pair), beside conntrack's listings of the same moment;
// with -stats, conntrack -S, -S expect, -C and /proc/net/stat/nf_conntrack,
// and the same before and after bare TCP ACKs that raise invalid. Run it
// as root through testdata/conntrackd/make.sh and testdata/stats/make.sh.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ctconv/ctconv/internal/lab"
)

func main() {
	ctd := flag.String("conntrackd", "", "write conntrackd's captures to `folder`")
	stats := flag.String("stats", "", "write the counters' captures to `folder`")
	flag.Parse()
	if *ctd == "" && *stats == "" {
		flag.Usage()
		os.Exit(2)
	}
	var errs []error
	if *ctd != "" {
		errs = append(errs, write(*ctd, captureConntrackd))
	}
	if *stats != "" {
		errs = append(errs, write(*stats, captureStats))
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		os.Exit(1)
	}
}

// files are captures by file name.
type files map[string][]byte

// write runs capture and writes its files to dir.
func write(dir string, capture func(files) error) error {
	fs := files{}
	if err := capture(fs); err != nil {
		return err
	}
	for name, text := range fs {
		if err := os.WriteFile(filepath.Join(dir, name), text, 0o644); err != nil {
			return err
		}
		fmt.Printf("%-40s %6d bytes\n", filepath.Join(dir, name), len(text))
	}
	return nil
}

// A query is one command whose stdout is a capture: the lab's conntrack
// or, with ctd set, the daemon's client.
type query struct {
	ctd  bool
	args []string
}

// Queries of the internal cache and the table that holds it, run at
// one moment (conntrack -L expect lists IPv4 only unless -f says
// otherwise); and of the peer's external cache, which holds the same flows.
var (
	internal = map[string]query{
		"conntrackd-i.txt":            {true, []string{"-i"}},
		"conntrackd-i-x.txt":          {true, []string{"-i", "-x"}},
		"conntrackd-i-expect.txt":     {true, []string{"-i", "expect"}},
		"conntrackd-i-expect-x.txt":   {true, []string{"-i", "expect", "-x"}},
		"conntrack-L.txt":             {false, []string{"-L"}},
		"conntrack-L-xml.txt":         {false, []string{"-L", "-o", "xml"}},
		"conntrack-L-expect.txt":      {false, []string{"-L", "expect"}},
		"conntrack-L-expect-ipv6.txt": {false, []string{"-L", "expect", "-f", "ipv6"}},
		"conntrack-L-expect-xml.txt":  {false, []string{"-L", "expect", "-o", "xml"}},
	}
	external = map[string]query{
		"conntrackd-e.txt":          {true, []string{"-e"}},
		"conntrackd-e-x.txt":        {true, []string{"-e", "-x"}},
		"conntrackd-e-expect.txt":   {true, []string{"-e", "expect"}},
		"conntrackd-e-expect-x.txt": {true, []string{"-e", "expect", "-x"}},
	}
	// conntrackd -s with each argument conntrackd(8) lists; process lists
	// child processes, which a running daemon has only while it commits.
	statistics = []string{"", "network", "cache", "runtime", "link", "rsqueue", "process", "queue", "ct", "expect"}
)

// modes are the sync modes captured, the file names' prefix of each and
// the conntrackd -s arguments captured of each daemon: FTFW fully; of the
// others, the caches as text (ALARM's external cache prints [expires in
// Ns]) and the statistics that differ from FTFW's by more than numbers
// (they have no resend queue).
var modes = []struct {
	mode, prefix string
	stats        []string
}{
	{"FTFW", "", statistics},
	{"ALARM", "alarm-", []string{"queue", "rsqueue"}},
	{"NOTRACK", "notrack-", []string{"queue", "rsqueue"}},
}

func captureConntrackd(fs files) error {
	for _, m := range modes {
		if err := capturePair(fs, m.mode, m.prefix, m.stats); err != nil {
			return fmt.Errorf("%s: %w", m.mode, err)
		}
	}
	return nil
}

// capturePair fills lab a, whose daemon syncs in mode with lab b's, and
// captures a's internal cache with a's table, b's external cache and both
// daemons' statistics, conntrackd -s with each argument of stats.
func capturePair(fs files, mode, prefix string, stats []string) error {
	a, err := lab.New("ctconv-oracle", lab.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := lab.New("ctconv-oracle", lab.Options{})
	if err != nil {
		return err
	}
	defer b.Close()
	da, db, err := lab.Pair(a, b, mode)
	if err != nil {
		return err
	}
	if err := a.Insert(lab.Fixed()); err != nil {
		return err
	}
	closeAll, err := a.Traffic()
	if err != nil {
		return err
	}
	defer closeAll()
	if err := settle([]count{lines(a.Conntrack, "-L"), lines(da.Client, "-i")}, []count{lines(db.Client, "-e")}); err != nil {
		return err
	}
	for _, side := range []struct {
		l       *lab.Lab
		d       *lab.Conntrackd
		queries map[string]query
	}{{a, da, internal}, {b, db, external}} {
		for name, q := range side.queries {
			if prefix != "" && (!q.ctd || len(q.args) > 1) {
				continue
			}
			run := side.l.Conntrack
			if q.ctd {
				run = side.d.Client
			}
			if fs[prefix+name], err = run(q.args...); err != nil {
				return err
			}
		}
	}
	for _, s := range stats {
		name, args := "-s", []string{"-s"}
		if s != "" {
			name, args = "-s-"+s, append(args, s)
		}
		for _, side := range []struct {
			name string
			d    *lab.Conntrackd
		}{{"a", da}, {"b", db}} {
			if fs[prefix+"conntrackd"+name+"-"+side.name+".txt"], err = side.d.Client(args...); err != nil {
				return err
			}
		}
	}
	return errors.Join(da.Stop(), db.Stop())
}

// A count is a number of entries some command lists.
type count func() (int, error)

// lines counts the lines that run prints.
func lines(run func(...string) ([]byte, error), args ...string) count {
	return func() (int, error) {
		out, err := run(args...)
		return strings.Count(string(out), "\n"), err
	}
}

// settle waits until the counts of equal are the same and all counts,
// of equal and of others, are what they were a second before: the kernel
// removes an entry some time after it expires, and the daemons then learn
// of it (in ALARM mode the peer's external cache keeps it until its timer
// ends, so it is among others). Then captures of one after the other agree.
func settle(equal, others []count) error {
	var last []int
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(time.Second) {
		var now []int
		for _, c := range append(equal, others...) {
			n, err := c()
			if err != nil {
				return err
			}
			now = append(now, n)
		}
		if slices.Equal(now, last) && slices.Equal(now[:len(equal)], slices.Repeat(now[:1], len(equal))) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the table and the caches do not settle: %v entries", now)
		}
		last = now
	}
}

// counters are the commands that print the table's counters, by the
// capture's file name.
var counters = map[string][]string{
	"conntrack-S.txt":        {"conntrack", "-S"},
	"conntrack-S-expect.txt": {"conntrack", "-S", "expect"},
	"conntrack-C.txt":        {"conntrack", "-C"},
	"proc-stat.txt":          {"cat", "/proc/net/stat/nf_conntrack"},
}

// moment captures counters, and the table they count, at one moment.
func moment(fs files, l *lab.Lab, suffix string) error {
	for name, args := range counters {
		out, err := l.Exec(nil, args...)
		if err != nil {
			return err
		}
		fs[strings.TrimSuffix(name, ".txt")+suffix+".txt"] = out
	}
	return nil
}

func captureStats(fs files) error {
	l, err := lab.New("ctconv-oracle", lab.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	if err := l.Insert(lab.Fixed()); err != nil {
		return err
	}
	closeAll, err := l.Traffic()
	if err != nil {
		return err
	}
	defer closeAll()
	if err := l.Do(related); err != nil {
		return err
	}
	table := func() (int, error) { // conntrack -C
		out, err := l.Conntrack("-C")
		if err != nil {
			return 0, err
		}
		return strconv.Atoi(strings.TrimSpace(string(out)))
	}
	if err := settle([]count{table, lines(l.Conntrack, "-L")}, nil); err != nil {
		return err
	}
	if err := moment(fs, l, ""); err != nil {
		return err
	}
	for name, args := range map[string][]string{
		"conntrack-L.txt":             {"-L"},
		"conntrack-L-expect.txt":      {"-L", "expect"},
		"conntrack-L-expect-ipv6.txt": {"-L", "expect", "-f", "ipv6"},
	} {
		if fs[name], err = l.Conntrack(args...); err != nil {
			return err
		}
	}
	if fs["proc-sys.txt"], err = l.Exec(nil, "sh", "-c", "cd /proc/sys/net/netfilter && grep . nf_conntrack_count nf_conntrack_max nf_conntrack_buckets nf_conntrack_expect_max"); err != nil {
		return err
	}
	if fs["proc-stat-ls.txt"], err = l.Exec(nil, "ls", "/proc/net/stat"); err != nil {
		return err
	}
	// Around bare ACKs, in a lab of no other traffic: what rose is theirs.
	q, err := lab.New("ctconv-oracle", lab.Options{})
	if err != nil {
		return err
	}
	defer q.Close()
	if err := moment(fs, q, "-before"); err != nil {
		return err
	}
	if err := q.BareACKs(100, 8000); err != nil {
		return err
	}
	return moment(fs, q, "-after")
}

// related makes the data connection that the IPv6 FTP exchange of
// lab.Traffic announced (EPSV, port 10003): it uses up that expectation,
// so that expect_new counts one, and is tracked as RELATED.
func related() error {
	ln, err := net.Listen("tcp", "[::1]:10003")
	if err != nil {
		return err
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return err
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		return err
	}
	return s.Close()
}
