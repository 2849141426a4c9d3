package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/atomicfile"
	"github.com/ctconv/ctconv/internal/ctnetlink"
	"github.com/ctconv/ctconv/snapshot"
)

const watchHelp = `Usage: ctconv watch [flags]

Follows the running kernel's connection-tracking events over netlink (new
flows, updates, destroyed flows) and prints them as conntrack -E does,
byte for byte, or in another format (--to), or writes them to a file (-o),
such as a snapshot that ctconv convert reads like any capture.

It runs until interrupted (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT) or until
--count events; then it completes the output, and a file given with -o
appears whole, atomically ("-o -" is standard output).

When events come faster than they are read, the kernel's socket buffer
overflows and the kernel drops events. watch never hides it: it says so on
standard error each time, counts the overruns at the end, and exits with
status 3. A larger --buffer makes it rarer.

Like conntrack -E, it needs CAP_NET_ADMIN, and reports the events of the
network namespace it runs in.

It prints as conntrack 1.4.7 does; --with conntrack-1.4.9 as 1.4.9 does:
-o timestamp shows the kernel's time of each event (Linux 6.14 and later,
with net.netfilter.nf_conntrack_timestamp=1; otherwise the time watch reads
it), and XML no [USERSPACE] after the events that processes caused.

Examples:
  ctconv watch
  ctconv watch --with timestamp --proto tcp
  ctconv watch --to json | jq .
  ctconv watch -o events.ctsnap --count 100000
`

func watchCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("watch", watchHelp, stdout, stderr)
	to := c.fs.String("to", "conntrack", "output `format`: conntrack, xml, save, json, snapshot")
	with := c.fs.String("with", "", "conntrack's -o `options`: extended, id, ktimestamp, labels, timestamp;\nconntrack-1.4.9 to print as conntrack 1.4.9")
	out := c.fs.String("o", "", "write to `FILE`, atomically, when the watch ends")
	count := c.intFlag("count", 0, 0, math.MaxInt, "stop after `N` events (0: run until interrupted)")
	buffer := c.intFlag("buffer", 8<<20, 0, 1<<30, "the socket's receive buffer, in `bytes` (0: the system's default)")
	tz := c.fs.String("tz", "Local", "time `zone` of the local times printed (<when>, [start=...])")
	c.filters = addFilterFlags(c.fs)
	c.help += filterHelp
	operands, status, ok := c.parse(args)
	if !ok {
		return status
	}
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

	labels, err := ctnetlink.LoadLabels()
	if err != nil {
		fmt.Fprintln(stderr, "ctconv watch: label names:", err)
	}
	conn, err := ctnetlink.Dial()
	if err != nil {
		fmt.Fprintln(stderr, "ctconv watch: netlink:", err)
		return 1
	}
	defer conn.Close()
	events, err := conn.Listen(*buffer, &ctnetlink.Decoder{Labels: labels, Progname: new(ctnetlink.Prognames).Lookup})
	if err != nil {
		fmt.Fprintln(stderr, "ctconv watch:", err)
		return 1
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
	follow := *out == "" && enc != snapshot.File // show each event as it comes
	n, lost := 0, 0
	// earned is the exit status of a watch that ends here.
	earned := func() int {
		if events.Lost() > 0 {
			return 3
		}
		return 0
	}
	for f, err := range events.Flows() {
		if err != nil {
			fmt.Fprintln(stderr, "ctconv watch:", err)
			return 1
		}
		if l := events.Lost(); l > lost {
			lost = l
			fmt.Fprintln(stderr, "ctconv watch: the kernel dropped events: its socket buffer overflowed (raise --buffer)")
		}
		if x != nil && !x.Match(f) {
			continue
		}
		eventTime(f, opts, enc == snapshot.Text(format.XML), time.Now)
		if err := o.Write(f); err != nil {
			return wrote(stderr, "watch", err, earned())
		}
		n++
		if follow {
			if err := bw.Flush(); err != nil {
				return wrote(stderr, "watch", err, earned())
			}
		}
		if n == *count {
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
	if lost := events.Lost(); lost > 0 {
		fmt.Fprintf(stderr, "ctconv watch: events were lost: the socket buffer overflowed %d times\n", lost)
	}
	return earned()
}
