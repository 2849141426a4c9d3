package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/atomicfile"
	"github.com/ctconv/ctconv/internal/ctnetlink"
	"github.com/ctconv/ctconv/internal/netns"
	"github.com/ctconv/ctconv/snapshot"
)

const snapshotHelp = `Usage: ctconv snapshot [flags] [SOURCE]
       ctconv snapshot --info FILE...

Captures a connection-tracking table into a snapshot file: the running
kernel's when no SOURCE is given, or a capture in any format ("-" for
standard input). A snapshot is small (compressed, with the structure of
the records), fast to read, checked against corruption, and gives back the
text it was made from:

  ctconv convert table.ctsnap         prints the source's text again
  ctconv convert --to json table.ctsnap

The file is written to a temporary file beside it and renamed into place
when complete, so a failed or interrupted run leaves no part of a file and
an earlier file untouched. Without -o, the name is
ctconv-HOST-YYYYMMDD-HHMMSS.ctsnap in the current folder, or, where that
is taken, the same with -1, -2... before .ctsnap: a run without -o never
overwrites a file. "-o -" writes the snapshot to standard output.

The running kernel's table is read over netlink (--source netlink), as
conntrack -L reads it, with ids, labels and helpers, and printed back as
conntrack -L prints it; or from /proc/net/nf_conntrack (--source proc),
which many kernels do not have. --source auto, the default, takes netlink
where it can (it needs CAP_NET_ADMIN and the nf_conntrack_netlink module)
and /proc otherwise.

--info prints a snapshot's header: when and where it was taken, from what,
and how many records it holds. It reads every record first, checking the
count and the checksums: a damaged file is an error, exit status 1.
--header-only prints the header without reading the records, and says so.

Examples:
  ctconv snapshot -o before.ctsnap
  ctconv snapshot --source proc --proto tcp -o tcp.ctsnap
  conntrack -L -o extended,id | ctconv snapshot -o table.ctsnap -
  ctconv snapshot --info before.ctsnap
  ctconv snapshot --netns blue -o blue.ctsnap       (ip netns's blue)
  ctconv snapshot --netns 4242 -o pod.ctsnap        (process 4242's namespace)
  ctconv snapshot --all-netns -o host.ctsnap
`

// allNetnsHelp is the part of snapshot's help about --all-netns.
const allNetnsHelp = `
--all-netns captures the tables of every network namespace it finds into
one snapshot: those ip netns names (/run/netns), then those of running
processes, each once (by its inode), under the first name found: its ip
netns name, or "pid N". Each flow carries the name of its namespace
(JSON: "netns"), and ctconv convert, diff and stats select one with
--netns NAME; text formats cannot show it (convert says so). The
counters of each namespace come with them.
`

const liveTable = "/proc/net/nf_conntrack"

func snapshotCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	stderr = &lockedWriter{w: stderr} // the reading goroutine reports bad lines too
	c := newCommand("snapshot", snapshotHelp, stdout, stderr)
	out := c.fs.String("o", "", "write the snapshot to `FILE`")
	info := c.fs.Bool("info", false, "print the header of each FILE instead, once its records are checked")
	headerOnly := c.fs.Bool("header-only", false, "with --info, print the header without reading the records")
	c.readFlags("the source's", true)
	from := c.fs.String("source", "auto", "where the running kernel's table is read when no SOURCE is given:\nnetlink, proc (/proc/net/nf_conntrack), or auto: netlink where it can")
	sorted := c.fs.Bool("sort", false, "store the flows in the order of their identities, not the source's,\nso that ctconv diff streams two such snapshots in constant memory\n(the snapshot prints back in that order)")
	capture := c.captureFlags("the snapshot's header", "a snapshot's; this host's,\nfor the running kernel's table")
	c.netnsFlag(true)
	allNetns := c.fs.Bool("all-netns", false, "capture the tables of every network namespace found (ip netns's, and\nthose of running processes), each flow with the name of its own")
	c.help += allNetnsHelp
	operands, status, ok := c.parse(args)
	if !ok {
		return status
	}
	defer c.closeNetns()
	if *headerOnly && !*info {
		return c.fail("--header-only goes with --info")
	}
	if *info {
		if len(operands) == 0 {
			return c.fail("--info needs a FILE")
		}
		status := 0
		for _, name := range operands {
			text, err := infoText(name, !*headerOnly)
			if err != nil {
				fmt.Fprintf(stderr, "ctconv snapshot: %s: %v\n", name, err)
				status = 1
				continue
			}
			if _, err := io.WriteString(stdout, text); err != nil {
				return wrote(stderr, "snapshot", err, status)
			}
		}
		return status
	}
	if len(operands) > 1 {
		return c.fail("one SOURCE at a time (ctconv convert --to snapshot takes several)")
	}
	if *allNetns && (*c.netns != "" || len(operands) > 0) {
		return c.fail("--all-netns captures the running kernel's tables: it takes neither --netns nor a SOURCE")
	}
	var namespaces []*netns.NS
	if *allNetns {
		var err error
		if namespaces, err = netns.All(); err != nil {
			fmt.Fprintln(stderr, "ctconv snapshot: network namespaces:", err)
			return 1
		}
		defer func() {
			for _, ns := range namespaces {
				ns.Close()
			}
		}()
	} else if len(operands) == 0 {
		if _, err := c.liveNS(); err != nil { // say so before anything else
			fmt.Fprintln(stderr, "ctconv snapshot:", err)
			return 1
		}
	}
	source, err := c.liveSource(*from)
	if err != nil {
		return c.fail("--source: %v", err)
	}
	if len(operands) == 1 {
		source = operands[0]
	}
	name, cancel := *out, func() {}
	if name == "" {
		// The conversion replaces the empty file; a run that fails removes it.
		cancel, err = guarded(func() (func(), error) {
			var err error
			name, err = reserveName(time.Now())
			return func() { os.Remove(name) }, err
		})
		if err != nil {
			fmt.Fprintln(stderr, "ctconv snapshot:", err)
			return 1
		}
		defer func() {
			if status != 0 {
				os.Remove(name)
			}
		}()
	}
	req := conversion{inputs: []string{source}, to: snapshot.File, toSet: true, output: name, sort: *sorted,
		bad:  &badLines{w: stderr, max: new(defaultMaxErrors)},
		live: source == liveTable || source == netlinkSource, netlink: source == netlinkSource, namespaces: namespaces}
	if err = c.fromUnused(req.inputs); err == nil {
		req.from, req.loc, req.filter, err = c.reading()
	}
	if err == nil {
		err = capture(&req)
	}
	if err != nil {
		status = c.fail("%v", err)
	} else {
		if req.from.IsAuto() && source == liveTable {
			req.from = snapshot.Text(format.Proc) // so that an empty table is known as one too
		}
		status = c.convert(req, stdin)
	}
	cancel() // converted: the file is the snapshot now, or removed below
	if status == 0 && *out == "" {
		fmt.Fprintln(stderr, "ctconv snapshot: wrote", name)
	}
	return status
}

// reserveName creates the default snapshot file of a run at time t, empty,
// and returns its name: ctconv-HOST-YYYYMMDD-HHMMSS.ctsnap, or, where a
// file of that name exists, the first of ...-1.ctsnap, ...-2.ctsnap that
// does not. So a run never overwrites a snapshot, another run's of the
// same second neither.
func reserveName(t time.Time) (string, error) {
	host, _ := os.Hostname()
	base := fmt.Sprintf("ctconv-%s-%s", host, t.Format("20060102-150405"))
	name := base + ".ctsnap"
	for i := 1; ; i++ {
		err := atomicfile.Reserve(name)
		if !errors.Is(err, fs.ErrExist) || i > 1000 {
			return name, err
		}
		name = fmt.Sprintf("%s-%d.ctsnap", base, i)
	}
}

// liveSource returns the operand that reads the running kernel's table from
// where --source says: netlink, proc, or auto, which is netlink where the
// kernel answers this process over it in the live namespace, and proc
// otherwise.
func (c *command) liveSource(from string) (string, error) {
	switch from {
	case "netlink":
		return netlinkSource, nil
	case "proc":
		return liveTable, nil
	case "auto":
		if c.inNetns(func() error { _, _, err := ctnetlink.TableSize(); return err }) == nil {
			return netlinkSource, nil
		}
		return liveTable, nil
	}
	return "", fmt.Errorf("%q is not a source (want auto, netlink or proc)", from)
}

// liveHeader fills in the host and kernel release of the machine.
func liveHeader(h *snapshot.Header) {
	h.Host, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h.Kernel = string(bytes.TrimSpace(b))
	}
}

// infoText returns what --info prints of the snapshot name: its header
// and the count of its records, read and checked first if verify, as the
// header says otherwise. A damaged file is an error.
func infoText(name string, verify bool) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	r, err := snapshot.NewReader(f)
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := r.Header()
	counters := 0
	if verify {
		if counters, err = readAll(r, &h); err != nil {
			return "", err
		}
	}
	kind := "flows"
	if h.Expectations {
		kind = "expectations"
	}
	var records string
	switch {
	case verify && h.Stats:
		records = plural(counters, "record") + " of the table's counters"
	case h.Stats:
		records = "the table's counters, not read (--header-only)"
	case verify && h.Count == snapshot.UnknownCount:
		records = fmt.Sprintf("%d %s, counted (written to a pipe, the header has no count)", r.Count(), kind)
	case verify:
		records = fmt.Sprintf("%d %s", r.Count(), kind)
	case h.Count == snapshot.UnknownCount:
		records = "unknown (written to a pipe), not read (--header-only)"
	default:
		records = fmt.Sprintf("%d %s, as the header says: not read (--header-only)", h.Count, kind)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "file:     %s\n", appendEscaped(nil, name))
	fmt.Fprintf(&b, "created:  %s\n", h.Created.Format(time.RFC3339))
	fmt.Fprintf(&b, "host:     %s\n", orUnknown(h.Host))
	fmt.Fprintf(&b, "kernel:   %s\n", orUnknown(h.Kernel))
	if h.Netns != "" {
		fmt.Fprintf(&b, "netns:    %s\n", appendEscaped(nil, h.Netns))
	}
	source := h.Source.String()
	if h.Source.IsAuto() {
		source = "unknown (an empty input)"
	}
	fmt.Fprintf(&b, "source:   %s\n", source)
	if h.Options != 0 {
		fmt.Fprintf(&b, "options:  %s\n", h.Options)
	}
	fmt.Fprintf(&b, "records:  %s\n", records)
	if counters > 0 && !h.Stats {
		fmt.Fprintf(&b, "counters: %s of the table's counters, of the moment it was taken\n", plural(counters, "record"))
	}
	if gaps := r.Gaps(); len(gaps) > 0 {
		fmt.Fprintf(&b, "gaps:     %s\n", gapsText(gaps))
	}
	if h.Sorted {
		fmt.Fprintf(&b, "order:    sorted by identity (family, protocol, zone, original tuple)\n")
	}
	fmt.Fprintf(&b, "tool:     %s\n", orUnknown(h.Tool))
	return b.String(), nil
}

// gapsText says where a capture of events lost events, the first few
// gaps of many: "2, where the kernel dropped 1200 events (ctconv watch was
// behind): after records 10 (1000 at TIME) and 500 (200 at TIME)".
func gapsText(gaps []snapshot.Gap) string {
	const shown = 5
	var where []string
	for _, g := range gaps[:min(len(gaps), shown)] {
		lost := "?"
		if g.Events >= 0 {
			lost = strconv.FormatInt(g.Events, 10)
		}
		where = append(where, fmt.Sprintf("%d (%s at %s)", g.After, lost, g.Time.UTC().Format(time.RFC3339Nano)))
	}
	list := strings.Join(where, ", ")
	switch {
	case len(gaps) > shown:
		list += fmt.Sprintf(" and %d more", len(gaps)-shown)
	case len(where) > 1:
		list = strings.Join(where[:len(where)-1], ", ") + " and " + where[len(where)-1]
	}
	return fmt.Sprintf("%d, where the kernel dropped %s events (ctconv watch was behind): after records %s", len(gaps), lostIn(gaps), list)
}

// lostIn says how many events the gaps lost: "1200", or "at least 1200"
// where a gap's count is unknown.
func lostIn(gaps []snapshot.Gap) string {
	var total int64
	atLeast := ""
	for _, g := range gaps {
		if total = addLost(total, g.Events); g.Events < 0 {
			atLeast = "at least "
		}
	}
	return atLeast + strconv.FormatInt(total, 10)
}

// addLost adds n lost events to total, n < 0 (unknown) as none, and
// stops at the most an int64 holds: a hostile file's counts must not wrap.
func addLost(total, n int64) int64 {
	if n <= 0 {
		return total
	}
	return total + min(n, math.MaxInt64-total)
}

// readAll reads the records of r, whose header is h, to their end,
// which checks them, and returns the number of records of counters.
func readAll(r *snapshot.Reader, h *snapshot.Header) (int, error) {
	n := 0
	var err error
	switch {
	case h.Stats:
		for _, err := range r.Stats() {
			if err != nil {
				return n, err
			}
			n++
		}
		return n, nil
	case h.Expectations:
		for _, e := range r.Expects() {
			if e != nil {
				err = e
				break
			}
		}
	default: // checked on every core, not laid out
		for e := range r.EachCount(func(int, int) {}) {
			err = e
			break
		}
	}
	return len(r.CarriedStats()), err
}

// orUnknown returns s, a header's text, escaped for a terminal, or
// "unknown".
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return string(appendEscaped(nil, s))
}
