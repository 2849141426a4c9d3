package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/atomicfile"
	"github.com/ctconv/ctconv/internal/ctnetlink"
	"github.com/ctconv/ctconv/snapshot"
	"golang.org/x/sys/unix"
)

const watchHelp = `Usage: ctconv watch [flags]

Follows the running kernel's connection-tracking events over netlink (new
flows, updates, destroyed flows) and prints them as conntrack -E does,
byte for byte, or in another format (--to), or writes them to a file (-o),
such as a snapshot that ctconv convert reads like any capture.

It runs until interrupted (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT) or until
--count events; then it completes the output, and a file given with -o
appears whole, atomically ("-o -" is standard output).

Events come as fast as the kernel makes them: a flush, a restore or
kube-proxy's deletions send hundreds of thousands in a second. The
kernel holds those that wait in the socket's receive buffer, which watch
sizes by default to hold a flush of a full table (net.netfilter.
nf_conntrack_max events, about 1 KiB each, at most a quarter of the
memory): the kernel charges it only for the events that wait. If it
overflows all the same, the kernel drops events until watch has caught
up. watch never hides it: it says on standard error how many events
each overrun lost, marks the gap in a snapshot (--to snapshot), which
snapshot --info lists and convert reports, doubles the buffer up to
--max-buffer, and exits with status 3.

--reliable asks the kernel not to drop destroyed flows' events but to
keep the flows until it can deliver them, as conntrackd's
NetlinkEventsReliable does. The cost is the kernel's: while watch is
behind, destroyed flows stay in memory, and other events of a flow that
the kernel cannot deliver merge into that flow's next event (a NEW may
come only as its DESTROY). watch counts those on standard error, and
marks them as a gap in a snapshot, as it marks what it lost.

Like conntrack -E, it needs CAP_NET_ADMIN, and reports the events of the
network namespace it runs in, or of the one --netns names.

It prints as conntrack 1.4.7 does; --with conntrack-1.4.9 as 1.4.9 does:
-o timestamp shows the kernel's time of each event (Linux 6.14 and later,
with net.netfilter.nf_conntrack_timestamp=1; otherwise the time watch reads
it), and XML no [USERSPACE] after the events that processes caused.

Examples:
  ctconv watch
  ctconv watch --with timestamp --proto tcp
  ctconv watch --to json | jq .
  ctconv watch --to snapshot -o events.ctsnap --count 100000
  ctconv watch --netns blue           (the events of ip netns's namespace blue)
`

func watchCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("watch", watchHelp, stdout, stderr)
	to := c.fs.String("to", "conntrack", "output `format`: conntrack, xml, save, json, snapshot")
	with := c.fs.String("with", "", "conntrack's -o `options`: extended, id, ktimestamp, labels, timestamp;\nconntrack-1.4.9 to print as conntrack 1.4.9")
	out := c.fs.String("o", "", "write to `FILE`, atomically, when the watch ends")
	count := c.intFlag("count", 0, 0, math.MaxInt, "stop after `N` events (0: run until interrupted)")
	buffer := c.fs.String("buffer", "", "the socket's receive `size` in bytes, or with K, M or G (KiB, MiB, GiB); 0: the system's default (default: room for a flush of a full table)")
	maxBuf := c.fs.String("max-buffer", "1G", "each overrun doubles the buffer, up to this `size`")
	reliable := c.fs.Bool("reliable", false, "reliable delivery: the kernel keeps destroyed flows until their events are read")
	tz := c.fs.String("tz", "Local", "time `zone` of the local times printed (<when>, [start=...])")
	c.netnsFlag(false)
	c.filters = addFilterFlags(c.fs)
	c.help += filterHelp
	operands, status, ok := c.parse(args)
	if !ok {
		return status
	}
	defer c.closeNetns()
	if len(operands) > 0 {
		return c.fail("takes no operands; it reads the kernel's events")
	}
	enc, err := snapshot.ParseEncoding(*to)
	if f, text := enc.Format(); err != nil || text && (f == format.Auto || f.Expectations() || !f.HasEvents()) {
		return c.fail("--to: %q is not a format of events (want conntrack, xml, save, json or snapshot)", *to)
	}
	var opts format.Options
	if *with != "" {
		if opts, err = parseWith(*with); err != nil {
			return c.fail("--with: %v", err)
		}
	}
	var sizes [2]int
	for i, f := range []struct{ name, value string }{{"buffer", *buffer}, {"max-buffer", *maxBuf}} {
		if f.value == "" {
			continue
		}
		if sizes[i], err = parseSize(f.value); err != nil {
			return c.fail("--%s %s: %v", f.name, f.value, err)
		}
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return c.fail("--tz: %v", err)
	}
	x, err := c.filters.build()
	if err != nil {
		return c.fail("%v", err)
	}
	if *out == "-" {
		*out = ""
	}
	if enc == snapshot.File && *out == "" && isTerminal(stdout) {
		return c.fail("a snapshot is binary; write it to a file with -o FILE, or to a pipe")
	}

	labels, err := c.labels()
	if err != nil {
		fmt.Fprintln(stderr, "ctconv watch: label names:", err)
	}
	// The socket, the table's size and the netlink sockets' table, in the
	// namespace of --netns.
	var conn *ctnetlink.Conn
	ev := ctnetlink.Events{Buffer: sizes[0], MaxBuffer: sizes[1], Reliable: *reliable}
	var programs ctnetlink.Prognames
	err = c.inNetns(func() (err error) {
		if conn, err = ctnetlink.Dial(); err != nil {
			return fmt.Errorf("netlink: %w", err)
		}
		if *buffer == "" {
			ev.Buffer = burstBuffer()
		}
		if c.liveName() != "" {
			programs.Table, err = os.Open("/proc/thread-self/net/netlink")
		}
		return err
	})
	if err != nil {
		fmt.Fprintln(stderr, "ctconv watch:", err)
		if conn != nil {
			conn.Close()
		}
		return 1
	}
	defer conn.Close()
	if programs.Table != nil {
		defer programs.Table.Close()
	}
	events, err := conn.Listen(ev, &ctnetlink.Decoder{Labels: labels, Progname: programs.Lookup})
	if err != nil {
		fmt.Fprintln(stderr, "ctconv watch:", err)
		return 1
	}
	if got := events.Buffer(); ev.Buffer > 0 && got < min(ev.Buffer, ctnetlink.MaxBuffer) {
		fmt.Fprintf(stderr, "ctconv watch: the socket's buffer is %s, not the %s asked: net.core.rmem_max caps it without CAP_NET_ADMIN\n", sizeText(got), sizeText(ev.Buffer))
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, endingSignals()...)
	defer signal.Stop(stop)
	go func() {
		if _, ok := <-stop; ok {
			conn.Close() // ends the loop over the events below
		}
	}()

	var w io.Writer = stdout
	var af atomicfile.File
	if *out != "" {
		if af, err = atomicfile.Create(*out); err != nil {
			fmt.Fprintln(stderr, "ctconv watch:", err)
			return 1
		}
		defer af.Abort() // after a Commit, does nothing
		w = af
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	h := snapshot.Header{Created: time.Now(), Source: snapshot.Text(format.Conntrack), Options: opts, Location: loc.String(), Tool: "ctconv " + version()}
	liveHeader(&h)
	h.Netns = c.liveName()
	dst := io.Writer(bw)
	if enc == snapshot.File {
		dst = w // a snapshot compresses itself, and goes back to set its header
	}
	o, err := snapshot.NewOutput(dst, enc, format.Dialect{Location: loc, Options: opts}, h)
	if err != nil {
		fmt.Fprintln(stderr, "ctconv watch:", err)
		return 1
	}
	if t := o.Text(); t != nil {
		t.Dialect.Options = opts
	}
	// Show each event as it comes, or with those received with it.
	follow := *out == "" && enc != snapshot.File
	n, lost, unknown := 0, int64(0), false
	buffered := events.Buffer() // the buffer before each overrun
	// earned is the exit status of a watch that ends here.
	earned := func() int {
		if events.Overruns() > 0 {
			return 3
		}
		return 0
	}
	for f, err := range events.Flows() {
		if err != nil { // apart, so that ov is not made for each event
			var ov *ctnetlink.Overrun
			if !errors.As(err, &ov) {
				fmt.Fprintln(stderr, "ctconv watch:", err)
				return 1
			}
			lost, unknown = addLost(lost, int64(ov.Events)), unknown || ov.Events < 0
			fmt.Fprintf(stderr, "ctconv watch: overrun %d: %s\n", events.Overruns(), overrunText(ov, buffered))
			buffered = ov.Buffer
			if _, err := o.WriteGap(snapshot.Gap{Events: int64(ov.Events), Time: time.Now()}); err != nil {
				return wrote(stderr, "watch", err, 3)
			}
			continue
		}
		if x == nil || x.Match(f) {
			eventTime(f, opts, enc == snapshot.Text(format.XML), time.Now)
			if err := o.Write(f); err != nil {
				return wrote(stderr, "watch", err, earned())
			}
			n++
		}
		if follow && !events.Buffered() && bw.Buffered() > 0 {
			if err := bw.Flush(); err != nil {
				return wrote(stderr, "watch", err, earned())
			}
		}
		if n == *count && n > 0 {
			break
		}
	}
	if err = o.Close(); err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return wrote(stderr, "watch", err, earned())
	}
	if af != nil {
		if err := af.Commit(); err != nil {
			writeFailed(stderr, "watch", err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "ctconv watch: %d flow events\n", n)
	if k := events.Overruns(); k > 0 {
		what, when := "dropped", ""
		if *reliable {
			what, when = "could not deliver", " at once"
		}
		fmt.Fprintf(stderr, "ctconv watch: the kernel %s %s events%s in %s of the socket's buffer\n", what, map[bool]string{false: "", true: "at least "}[unknown]+strconv.FormatInt(lost, 10), when, plural(k, "overrun"))
	}
	return earned()
}

// overrunText says what an overrun lost, and what the buffer became.
func overrunText(ov *ctnetlink.Overrun, was int) string {
	n := "events"
	if ov.Events >= 0 {
		n = strconv.Itoa(ov.Events) + " events"
	}
	lost := "the kernel dropped " + n
	if ov.Reliable {
		lost = "the kernel could not deliver " + n + " at once: it resends DESTROY events, and merges the others into their flow's next event"
	}
	if ov.Buffer > was {
		return lost + "; the socket's buffer is now " + sizeText(ov.Buffer) + " (--max-buffer)"
	}
	if ov.Reliable {
		return lost + " (raise --buffer)"
	}
	return lost + " (raise --buffer, or try --reliable)"
}

// burstBuffer returns the default receive buffer: room for a flush of a
// full table, at most a quarter of the memory, and 8 MiB if the table's
// size cannot be read.
func burstBuffer() int {
	_, max, err := ctnetlink.TableSize()
	if err != nil || max <= 0 {
		return 8 << 20
	}
	size := min(ctnetlink.BufferFor(max), maxBuffer)
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		size = min(size, int(min(uint64(si.Totalram)*uint64(si.Unit)/4, maxBuffer)))
	}
	return size
}

// maxBuffer is the largest receive buffer: the kernel takes an int, and
// doubles it.
const maxBuffer = 1 << 30

// parseSize parses a size in bytes: a number, and an optional K, M or G
// (KiB, MiB, GiB; KB, K, kb and k alike), up to maxBuffer.
func parseSize(v string) (int, error) {
	num, shift := v, 0
	upper := strings.ToUpper(v)
	for i, unit := range []string{"K", "M", "G"} {
		for _, suffix := range []string{unit + "IB", unit + "B", unit} {
			if cut, ok := strings.CutSuffix(upper, suffix); ok && cut != "" {
				num, shift = cut, 10*(i+1)
				break
			}
		}
		if shift != 0 {
			break
		}
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n > maxBuffer>>shift {
		return 0, errors.New("not bytes, nor a number with K, M or G (KiB, MiB, GiB), up to 1G, the kernel's most")
	}
	return int(n << shift), nil
}

// sizeText prints bytes in the largest unit that divides them.
func sizeText(n int) string {
	for _, u := range []struct {
		shift int
		unit  string
	}{{30, " GiB"}, {20, " MiB"}, {10, " KiB"}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return strconv.Itoa(n>>u.shift) + u.unit
		}
	}
	return strconv.Itoa(n) + " bytes"
}
