package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/atomicfile"
	"github.com/ctconv/ctconv/internal/netns"
	"github.com/ctconv/ctconv/parquet"
	"github.com/ctconv/ctconv/snapshot"
)

const convertHelp = `Usage: ctconv convert [flags] [FILE|-]...

Reads flows (or expectations) from each FILE ("-" or none: standard input,
where a capture may be pasted and ended with Ctrl-D; netlink: the running
kernel's table, over netlink) and prints them in another format. Printing
a file in its own format gives it back byte for byte (less blank lines,
which hold no record), so "convert" also checks a capture; a snapshot file
prints, by default, as the text it was made from.

Lines that are not records and hold no data, as pasted captures have them
around their records, are skipped and counted on standard error: shell
prompts with the commands typed, ^C, markdown fences and conntrack's
messages, and blank lines with them (alone, quietly). A record wrapped
with a backslash at the end of a line, as documentation prints long
records, is joined with the next line. --strict does neither (but for
conntrack's messages and blank lines).

Any other bad line stops the run with FILE:LINE:COL and the reason on
standard error and exit status 1; with --keep-going the bad lines are
reported (the first 100, then how many more: see --max-errors), the rest
is converted, and the exit status is still 1. Fields the parser does not
know (vendor kernels add some, such as hwid=) are kept verbatim and
counted; --strict rejects them instead.

-o FILE writes a temporary file beside FILE and renames it over FILE when
the run succeeds, so that a failed or interrupted run leaves FILE as it
was. FILE is found as the shell's > finds it: a symlink leads to the file
replaced, a device or FIFO (/dev/null, /dev/stdout) is written straight,
and "-o -" is standard output. The new file keeps the old one's mode only
where the old one was the writer's.

Printing in conntrack's formats follows conntrack's -o options: those the
input shows, or those --with names (extended, id, ktimestamp, labels,
timestamp). Its local times ([start=...], <when>) are read and printed in
the zone --tz names. It prints as conntrack 1.4.7 does; --with
conntrack-1.4.9 prints XML events as 1.4.9 does, without [USERSPACE].

conntrackd -e lists the peer's flows without their reply tuple: they
print in conntrackd's formats and JSON, and any other format refuses them
(a reply inferred would be wrong for NAT). The kernel's formats and restore
refuse conntrackd's flows, which have no timeout.

--to parquet writes an Apache Parquet file for DuckDB, Spark or Trino: a
row a record, the capture's host and time on every row (a snapshot's, or
--host and --time); docs/PARQUET.md lists its columns. A Parquet file,
as a snapshot, prints by default as the text it was made from.

--to restore prints what conntrack -R loads whole: one line per identity
(the first; those left out are reported), and the labels only with --with
labels, as conntrack 1.4.7 crashes on a file of two lines or more with one.

The table's counters (conntrack -S, conntrack -S expect, conntrack -C:
format conntrack-stats; /proc/net/stat/nf_conntrack: proc-stats) convert
between those two, json and snapshot, never to or from flows. /proc's
line of a CPU holds what conntrack -S, -S expect and -C print apart: give
the three together to make it ("conntrack -S; conntrack -S expect;
conntrack -C" in one file, or three FILEs), and it prints back as the
three. A record that the target cannot show whole, or needs more for, is
reported, and not printed (exit status 1); docs/CONVERSIONS.md says what
each conversion keeps.

Examples:
  ctconv convert testdata/corpus/proc.txt
  ctconv convert --to conntrack --proto tcp --state ESTABLISHED --dport 443 /proc/net/nf_conntrack
  ctconv convert --from proc --to conntrack --with extended,id /proc/net/nf_conntrack
  ctconv convert --to json testdata/corpus/conntrack-L-ktimestamp.txt
  ctconv convert --to snapshot -o table.ctsnap /proc/net/nf_conntrack
  ctconv convert --to parquet --host gw1 -o gw1.parquet /proc/net/nf_conntrack
  ctconv convert --keep-going -o clean.txt damaged.txt
  ctconv convert --to proc-stats counters-S.txt counters-S-expect.txt count-C.txt
  ctconv convert --to conntrack-stats /proc/net/stat/nf_conntrack
  ctconv convert --netns blue --to conntrack netlink:   (ip netns's blue, live)
  ctconv convert --netns blue --to conntrack all-netns.ctsnap
`

// convertCmd runs the convert command: it turns the flags into a
// conversion.
func convertCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	stderr = &lockedWriter{w: stderr} // the reading goroutine reports bad lines too
	cmd := newCommand("convert", convertHelp, stdout, stderr)
	cmd.readFlags("the inputs'", true)
	fs := cmd.fs
	to := fs.String("to", "", "output `format`: "+encodings()+" (default: the input's; a snapshot's source)")
	out := fs.String("o", "", "write to `FILE`, atomically, instead of standard output (\"-\")")
	with := fs.String("with", "", "conntrack's -o `options` to print with: extended, id, ktimestamp,\nlabels, timestamp (default: those the input shows); conntrack-1.4.9\nto print as conntrack 1.4.9")
	keepGoing := fs.Bool("keep-going", false, "report bad lines and convert the rest")
	strict := fs.Bool("strict", false, "reject fields the parser does not know")
	bad := cmd.maxErrorsFlag()
	sorted := fs.Bool("sort", false, "with --to snapshot: store the flows in the order of their identities,\nnot the source's, so that ctconv diff streams two such snapshots\nin constant memory (the snapshot prints back in that order)")
	capture := cmd.captureFlags("the host and captured_at columns of --to parquet and a snapshot's header", "a snapshot's")
	cmd.netnsFlag(true)
	files, status, ok := cmd.parse(args)
	if !ok {
		return status
	}
	defer cmd.closeNetns()
	req := conversion{inputs: files, output: *out, keepGoing: *keepGoing, strict: *strict, sort: *sorted, bad: bad}
	if err := capture(&req); err != nil {
		return cmd.fail("%v", err)
	}
	var err error
	if req.from, req.loc, req.filter, err = cmd.reading(); err != nil {
		return cmd.fail("%v", err)
	}
	if *to != "" {
		if req.to, err = parseEncoding(*to); err != nil || req.to.IsAuto() {
			return cmd.fail("--to: %q is not an output format%s (want %s)", *to, meant(*to), encodings())
		}
		req.toSet = true
	}
	if req.sort && req.to != snapshot.File {
		return cmd.fail("--sort sorts a snapshot: give --to snapshot")
	}
	if *with != "" {
		if req.opts, err = parseWith(*with); err != nil {
			return cmd.fail("--with: %v", err)
		}
		req.withSet = true
	}
	if len(req.inputs) == 0 {
		req.inputs = []string{"-"}
	}
	return cmd.convert(req, stdin)
}

// captureFlags adds --host and --time, which name the host and time of
// the capture in what the help says they go to; it returns what sets them
// in a conversion once the flags are parsed.
func (c *command) captureFlags(goTo, defaultHost string) func(*conversion) error {
	host := c.fs.String("host", "", "the `name` of the host captured (default: "+defaultHost+")")
	at := c.fs.String("time", "", "when the capture was taken, as `RFC3339` (2026-12-01T22:00:00Z)\n(default: a snapshot's; now). --host and --time go in "+goTo)
	return func(req *conversion) error {
		req.host = *host
		if *at == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, *at)
		if err != nil {
			return fmt.Errorf("--time: %q is not a time as RFC 3339 writes it (2026-12-01T22:00:00Z)", *at)
		}
		req.at = t
		return nil
	}
}

// conversion is what a run of convert or snapshot converts, and how.
type conversion struct {
	inputs []string          // files, "-" for standard input, netlink:
	from   snapshot.Encoding // the inputs' encoding, or auto
	to     snapshot.Encoding // the output's; without toSet, the first input's
	toSet  bool
	output string // the file written; "" or "-": standard output
	// opts are conntrack's -o options to print with, if withSet;
	// otherwise those the input shows.
	opts      format.Options
	withSet   bool
	loc       *time.Location // of conntrack's local times
	filter    *format.Filter // the flows to convert, if not all
	keepGoing bool           // report bad lines and convert the rest
	strict    bool           // reject fields the parser does not know
	sort      bool           // write a sorted snapshot
	bad       *badLines      // reports bad lines, with keepGoing, and records not printed
	// live says that the input is the running kernel's table: a
	// snapshot's header names the host and kernel release, and carries the
	// table's counters of the moment, read over netlink if netlink.
	live, netlink bool
	// host and at, if set, are the capture's host and time (--host,
	// --time), for a snapshot's header and Parquet's columns.
	host string
	at   time.Time
	// namespaces, for snapshot --all-netns, are the namespaces whose live
	// tables the inputs are read in, each in turn, each flow named by its
	// own.
	namespaces []*netns.NS
}

// convert runs the conversion req, whose messages name the command cmd; it
// returns the exit status.
func (cmd *command) convert(req conversion, stdin io.Reader) int {
	name, stdout, stderr := cmd.name, cmd.stdout, cmd.stderr
	c := &converter{conversion: req, cmd: cmd, stderr: stderr, withLabels: req.withSet && req.opts&format.OptLabels != 0}
	var w io.Writer = stdout
	var af atomicfile.File
	if out := req.output; out != "" && out != "-" {
		cancel, err := guarded(func() (func(), error) {
			var err error
			af, err = atomicfile.Create(out)
			if err != nil {
				return nil, err
			}
			return af.Abort, nil
		})
		if err != nil {
			fmt.Fprintln(stderr, "ctconv "+name+":", err)
			return 1
		}
		defer cancel()
		defer af.Abort() // after a Commit, does nothing
		w = af
	} else if c.toSet && (c.to == snapshot.File || c.to == parquetEncoding) && isTerminal(stdout) {
		fmt.Fprintln(stderr, "ctconv "+name+": a "+map[bool]string{true: "snapshot", false: "Parquet file"}[c.to == snapshot.File]+" is binary; write it to a file with -o FILE, or to a pipe")
		return 2
	}
	c.bw = bufio.NewWriterSize(w, 64<<10)
	c.dst = w
	ok := true
	rounds := []*netns.NS{nil} // the inputs once, in the live namespace
	if len(c.namespaces) > 0 {
		rounds = c.namespaces
	}
rounds:
	for _, ns := range rounds {
		if ns != nil {
			c.cmd.ns, c.stamp = ns, ns.Name
		}
		for _, name := range c.inputs {
			if !c.file(name, stdin) {
				ok = false
				if !c.keepGoing {
					break rounds
				}
			}
			if c.werr != nil {
				break rounds
			}
		}
	}
	if len(c.namespaces) > 0 {
		c.cmd.ns = nil // the namespaces are the caller's to close
	}
	c.bad.finish(name)
	err := c.werr
	if err == nil && c.out == nil && (c.to == snapshot.File || c.to == parquetEncoding) && ok {
		// Only empty inputs: an empty table is still a capture. Without
		// --from, its source is /proc's format, the kernel's listing, of
		// which an empty input is an empty table.
		from := c.from
		if from.IsAuto() {
			from = snapshot.Text(format.Proc)
		}
		var empty *snapshot.Input
		if empty, err = snapshot.Open(strings.NewReader(""), from, format.Dialect{}); err == nil {
			err = c.start(empty)
		}
	}
	if err == nil && c.out != nil && c.stats {
		if !c.writeStats(name) {
			ok = false
		}
		err = c.werr
	}
	if c.out != nil {
		c.out.SetDialect(format.Dialect{Options: c.options, NoFooter: !c.footer})
		if cerr := c.out.Close(); err == nil {
			err = cerr
		}
	}
	if c.spool != nil {
		if serr := c.spool.finish(); err == nil {
			err = serr
		}
	}
	if err == nil {
		err = c.bw.Flush()
	}
	if err != nil {
		status := 0
		if !ok {
			status = 1 // bad lines before the reader went away
		}
		return wrote(stderr, name, err, status)
	}
	if c.unshown > 0 {
		fmt.Fprintf(stderr, "ctconv "+name+": left out %d flow(s) that %s does not list (IPv6)\n", c.unshown, c.textTo)
	}
	lineNotes(stderr, "ctconv "+name, c.counts, c.expect)
	for note, n := range c.notes {
		if n > 0 {
			fmt.Fprintf(stderr, "ctconv "+name+": "+restoreNotes[note]+"\n", n)
		}
	}
	c.ids.report(stderr, name)
	if c.lost.gaps > 0 {
		target, keep := c.to.String(), "--to snapshot keeps them"
		if c.to == snapshot.File { // a sorted one
			target, keep = "a sorted snapshot", "a snapshot without --sort keeps them"
		}
		fmt.Fprintf(stderr, "ctconv "+name+": the capture has %s, where the kernel dropped %s events as ctconv watch was behind; %s cannot mark them (%s)\n",
			plural(c.lost.gaps, "gap"), map[bool]string{false: "", true: "at least "}[c.lost.unknown]+strconv.FormatInt(c.lost.events, 10), target, keep)
	}
	if c.unnamed > 0 {
		fmt.Fprintf(stderr, "ctconv "+name+": printed %s without the network namespace each names, which %s cannot show (--to json or --to snapshot keeps it; --netns NAME selects one namespace's)\n", plural(c.unnamed, "flow"), c.to)
	}
	if c.uncarried > 0 {
		fmt.Fprintf(stderr, "ctconv "+name+": left out %s of the table's counters that the snapshot carries: %s has no place for them (--to snapshot keeps them; ctconv stats shows them)\n", plural(c.uncarried, "record"), c.to)
	}
	if !ok && !c.keepGoing {
		return 1
	}
	if af != nil {
		if err := af.Commit(); err != nil {
			writeFailed(stderr, name, err)
			return 1
		}
	}
	if !ok {
		return 1
	}
	return 0
}

// encodings lists the names of the output encodings.
func encodings() string {
	var names []string
	for _, f := range format.Formats() {
		names = append(names, f.String())
	}
	return strings.Join(append(names, "json", "snapshot", parquetEncoding.String()), ", ")
}

// converter holds the state of one conversion. Of the request, to, opts
// and withSet change where the first input is a snapshot, which gives them.
type converter struct {
	conversion
	cmd        *command
	withLabels bool // --with labels: restore lines with --label-add
	stderr     io.Writer

	bw     *bufio.Writer
	dst    io.Writer // under bw: a snapshot writes there itself, to set its header at the end
	spool  *spool    // a snapshot bound for a stream, until its header is complete
	out    *snapshot.Output
	expect bool // the records are expectations
	stats  bool // the records are the table's counters, in counters until the end
	// counters are the records of counters read, which convert prints at
	// the end, as the target can show them all together (statsconv.go).
	counters  []format.Stats
	uncarried int      // counter records of snapshots of flows not written
	gapsRead  int      // of the input read now, the gaps passed on
	lost      struct { // the gaps of captures of events not kept
		gaps    int
		events  int64
		unknown bool // a gap of an unknown count
	}
	textTo  format.Format // the text format written, if any
	stamp   string        // the namespace of the flows read, with --all-netns
	unnamed int           // flows printed in text without their namespace

	options  format.Options // what the inputs showed, for a snapshot's header
	footer   bool
	clean    bool                // no record of the current input failed to print
	badLine  bool                // a bad line of the current input was skipped
	werr     error               // the write error that ended the run, reported at its end
	counts   snapshot.LineCounts // of the inputs' lines that are not records, or not their producer's
	unshown  int
	notes    [numRestoreNotes]int // flows restored otherwise than their source has them, by note
	restored bool                 // the current input is itself a restore file: its labels stay
	natTold  bool                 // the current input's format tells NAT's flags (save, restore)
	ids      tupleSet             // of the flows restored, which conntrack -R takes once each
}

// file converts one input and reports whether it was clean.
func (c *converter) file(name string, stdin io.Reader) bool {
	r, err := c.cmd.open(name, stdin, c.filter)
	if err != nil {
		fmt.Fprintln(c.stderr, "ctconv "+c.cmd.name+":", err)
		return false
	}
	defer r.Close()
	display := r.name
	in, err := r.records(c.from, format.Dialect{Location: c.loc, Strict: c.strict})
	if err != nil {
		c.cmd.readError(display, err)
		return false
	}
	defer in.Close()
	c.badLine = false
	return c.input(r, in) && !c.badLine
}

// skip reports whether reading goes on after err, an error of the
// records: with --keep-going, a bad line is reported and skipped; any
// other error, and every error without it, ends the records.
func (c *converter) skip(err error) bool {
	var pe *format.ParseError
	if !c.keepGoing || !errors.As(err, &pe) {
		return false
	}
	c.badLine = true
	c.bad.report(pe)
	return true
}

// input converts the records of one input and reports whether they were
// clean.
func (c *converter) input(r *input, in *snapshot.Input) bool {
	display, prog := r.name, r.prog
	c.clean = true
	if in.Encoding().IsAuto() {
		return true // an empty input
	}
	if (in.Expectations() || in.Statistics()) && c.filter != nil {
		fmt.Fprintf(c.stderr, "ctconv "+c.cmd.name+": %s: holds %s, and filters select flows\n", display, inputKind(in))
		return false
	}
	if err := c.start(in); err != nil {
		if c.werr != nil {
			return true // nothing read yet: convert reports the write
		}
		fmt.Fprintf(c.stderr, "ctconv "+c.cmd.name+": %s: %v\n", display, err)
		return false
	}
	var rerr error // the error that ended the records
	if c.stats {
		for s, err := range in.Stats() {
			if err != nil {
				if c.skip(err) {
					continue
				}
				rerr = err
				break
			}
			prog.entries(1)
			c.counters = append(c.counters, *s)
		}
	} else if c.expect {
		for e, err := range in.Expects() {
			if err != nil {
				if c.skip(err) {
					continue
				}
				rerr = err
				break
			}
			prog.entries(1)
			c.setPrinter(in.Options())
			if !c.written(c.out.WriteExpect(e), display, in.Line()) {
				return c.clean
			}
		}
	} else {
		carried := in.CarriedStats()
		if c.filter != nil && c.filter.Netns != "" { // the namespace's, as its flows
			carried = ofNetns(carried, in.Netns(), c.filter.Netns)
			for i := range carried {
				carried[i].Netns = ""
			}
		}
		c.carry(carried)
		src := in.Encoding()
		if h, ok := in.Header(); ok {
			src = h.Source
			c.options |= h.Options // what its source showed, as a text input's lines show it
		}
		c.restored = src == snapshot.Text(format.Restore)
		fm, _ := src.Format()
		c.natTold = fm == format.Save || fm == format.Restore
		file := -1 // of c.ids, once a flow is restored
		n := 0
		anon := newUnnamed(c.filter, in)
		defer anon.report(c.stderr, c.cmd.name, display)
		pf := in.Prefetch(nil, c.keepGoing)
		pf.OnWait(func() { c.bw.Flush() }) // a live stream's records as they come; an error stays for the next write
		for rec, err := range pf.Flows() {
			if err != nil {
				if c.skip(err) {
					continue
				}
				rerr = err
				break
			}
			prog.entries(1)
			n++
			if !c.gaps(rec.Gaps) {
				return c.clean
			}
			f := &rec.Flow
			if c.stamp != "" {
				f.Netns = c.stamp
			}
			if !in.Match(c.filter, f) {
				continue
			}
			anon.count(f)
			picked(c.filter, f)
			line := rec.Line
			if line == 0 {
				line = n // a snapshot's record
			}
			if c.textTo == format.Restore {
				if file < 0 {
					file = c.ids.file(display, rec.Line == 0)
				}
				if held, ok := c.ids.clash(f); ok {
					c.ids.duplicate(file, line, held)
					continue
				}
			}
			natted := c.textTo == format.Restore && !c.natTold && flagNAT(f) // sets the flags it prints
			if c.textTo != format.Auto && !c.textTo.Shows(f) {
				c.unshown++
				continue
			}
			c.setPrinter(rec.Options)
			err := c.out.Write(f)
			if !c.written(err, display, rec.Line) {
				return c.clean
			}
			if err == nil && f.Netns != "" && c.textTo != format.Auto {
				c.unnamed++
			}
			if c.textTo == format.Restore && err == nil { // a record restore shows
				c.ids.add(f, file, line)
				if f.Proto == format.SCTP && !f.Has(format.FieldVtags) {
					c.notes[noVtags]++
				}
				if natted {
					c.notes[natFlagged]++
				}
				if !f.Has(format.FieldTimeout) && f.Status&(format.StatusOffload|format.StatusHWOffload) != 0 {
					c.notes[offloaded]++
				}
				if f.Proto == format.SCTP && (f.Has(format.FieldState) && f.State >= format.SCTPHeartbeatSent || f.Quirks&format.QuirkNullState != 0) {
					c.notes[heartbeat]++
				}
				if !f.Has(format.FieldMark) {
					c.notes[noMark]++
				}
				if f.Proto.Layer4() == format.L4ICMP && f.Has(format.FieldL4) && f.Reply.ID != f.Orig.ID {
					c.notes[icmpReplyID]++
				}
				if t := c.out.Text(); f.Has(format.FieldLabels) && f.Labels != "" && t.Dialect.Options&format.OptLabels == 0 {
					c.notes[noLabels]++
				}
			}
		}
	}
	if rerr == nil && !c.expect && !c.stats && !c.gaps(in.Gaps()[c.gapsRead:]) {
		return c.clean
	}
	c.gapsRead = 0
	k := in.Counts()
	c.counts.Unknown += k.Unknown
	c.counts.Normalized += k.Normalized
	c.counts.Others += k.Others
	c.counts.NotRecords += k.NotRecords
	c.counts.Blank += k.Blank
	c.counts.Messages += k.Messages
	if !in.Footer() {
		c.footer = false // conntrack -E -o xml prints it only when interrupted
	}

	if t := c.out.Text(); t != nil {
		t.Dialect.NoFooter = !c.footer
	}
	if rerr != nil {
		c.cmd.readError(display, rerr)
		return false
	}
	return c.clean
}

// gaps passes on the gaps of a capture of events before the next record:
// a snapshot keeps them; for other outputs they are counted, for convert
// to say. It reports whether to go on.
func (c *converter) gaps(gaps []snapshot.Gap) bool {
	for _, g := range gaps {
		c.gapsRead++
		kept, err := c.out.WriteGap(g)
		if err != nil {
			c.werr = err
			return false
		}
		if !kept {
			c.lost.gaps++
			if g.Events < 0 {
				c.lost.unknown = true
			}
			c.lost.events = addLost(c.lost.events, g.Events)
		}
	}
	return true
}

// written reports whether to go on after writing a record with err: a
// record the target cannot show is reported with its line, and ends the
// run unless --keep-going; any other error ends it, and is kept in werr
// for convert to report.
func (c *converter) written(err error, display string, line int) bool {
	if err == nil {
		return true
	}
	if !errors.Is(err, format.ErrUnprintable) {
		c.werr = err
		return false
	}
	c.bad.report(fmt.Errorf("%s:%d: %w", display, line, err))
	c.clean = false
	return c.keepGoing
}

// start sets the output up for the first input; later inputs must hold
// records of the same kind. An error writing the output's start is kept
// in werr too.
func (c *converter) start(in *snapshot.Input) error {
	if c.out != nil {
		if in.Expectations() != c.expect || in.Statistics() != c.stats {
			return errors.New("holds " + inputKind(in) + ", the inputs before " + c.kind())
		}
		return nil
	}
	c.expect, c.stats, c.footer = in.Expectations(), in.Statistics(), true
	h := snapshot.Header{Created: time.Now(), Source: in.Encoding(), Location: c.loc.String(), Tool: "ctconv " + version(), Expectations: c.expect, Stats: c.stats}
	if c.live {
		liveHeader(&h)
	}
	sh, snap := in.Header()
	if snap {
		h = sh
		h.Tool = "ctconv " + version()
	}
	if c.host != "" {
		h.Host = c.host
	}
	if !c.at.IsZero() {
		h.Created = c.at
	}
	switch {
	case len(c.namespaces) > 0: // each flow names its own
		h.Netns = ""
	case c.filter != nil && c.filter.Netns != "": // the one selected
		h.Netns = c.filter.Netns
	default:
		h.Netns = in.Netns()
	}
	if snap {
		if h.Source.IsAuto() {
			h.Source = snapshot.Text(format.Proc) // an empty input, as earlier versions recorded it
		}
		if !c.toSet {
			c.to = sh.Source // print the text the snapshot was made from
		}
		if !c.withSet {
			c.opts, c.withSet = sh.Options, true
		}
	}
	if !c.toSet && !snap {
		c.to = in.Encoding()
	}
	if f, ok := c.to.Format(); ok {
		if c.stats != f.Statistics() {
			return errors.New("holds " + c.kind() + ", which " + c.to.String() + " does not list: " + statsTargets(f))
		}
		if c.expect {
			if f = f.ForExpectations(); f == format.Auto {
				return errors.New("holds expectations, which " + c.to.String() + " does not list")
			}
		} else if f.Expectations() {
			return errors.New("holds flows, which " + c.to.String() + " does not list")
		}
		c.textTo = f
		c.to = snapshot.Text(f)
	}
	w := io.Writer(c.bw)
	if c.to == snapshot.File {
		w = c.dst // a snapshot compresses itself, and goes back to set its header
		if _, ok := w.(io.WriterAt); !ok {
			var err error
			if c.spool, err = newSpool(w); err != nil {
				return err
			}
			w = c.spool
		}
		if c.sort {
			if c.expect {
				return errors.New("holds expectations; only flows can be sorted")
			}
			h.Sorted = true
		}
	}
	if c.to == parquetEncoding {
		k := parquet.Flows
		switch {
		case c.expect:
			k = parquet.Expectations
		case c.stats:
			k = parquet.Stats
		}
		c.out = snapshot.NewSinkOutput(newParquetSink(c.bw, k, h), c.to)
		return c.werr
	}
	var err error
	if c.out, err = snapshot.NewOutput(w, c.to, format.Dialect{Location: c.loc}, h); err != nil {
		c.werr = err // a snapshot's header could not be written
		return err
	}
	if c.live && c.to == snapshot.File && !c.expect && !c.stats {
		c.carryLive() // the counters of the moment, before the flows
	}
	return c.werr
}

func kind(expect bool) string {
	if expect {
		return "expectations"
	}
	return "flows"
}

// inputKind names what an input holds.
func inputKind(in *snapshot.Input) string {
	if in.Statistics() {
		return "the table's counters"
	}
	return kind(in.Expectations())
}

// kind names what the run converts.
func (c *converter) kind() string {
	if c.stats {
		return "the table's counters"
	}
	return kind(c.expect)
}

// A restoreNote says how a flow restores otherwise than its source has it,
// for lack of what the source shows or conntrack -R takes.
type restoreNote int

const (
	noVtags restoreNote = iota
	offloaded
	heartbeat
	natFlagged
	noMark
	icmpReplyID
	noLabels
	numRestoreNotes
)

// restoreNotes are the notes' messages, for their count.
var restoreNotes = [numRestoreNotes]string{
	noVtags:     "%d SCTP flow(s) restore with verification tags 0: their source does not show them (conntrack -L -o save does)",
	offloaded:   "%d offloaded flow(s) restore, out of the flow table, with the default timeout of an established flow (TCP's and its state, UDP's stream timeout): their source shows neither",
	heartbeat:   "%d SCTP flow(s) in a heartbeat state restore as ESTABLISHED, as the heartbeat's ack would leave them: conntrack -I has no name for the state",
	natFlagged:  "%d flow(s) restore as NAT'd (-n, -g), as the kernel flags a reply tuple whose addresses are not the original's swapped: their source shows no NAT flags",
	noMark:      "%d flow(s) restore with mark 0: their source does not show marks (conntrack -o save does not)",
	icmpReplyID: "%d ICMP flow(s) restore with the reply's id the original's: NAT changed it, and conntrack -I cannot set the reply's",
	noLabels:    "%d flow(s) restore without their labels: conntrack 1.4.7 crashes on a -R file of two lines or more when one has --label-add; --with labels prints them, to load those lines one at a time",
}

// flagNAT sets the NAT flags that f's tuples show, for a flow whose status
// has none of NAT's flags (its source, /proc, conntrack -L, XML, or JSON made
// from them, shows none; netlink's show NAT's setup too), and reports
// whether it set one: the kernel flags SRC_NAT
// where the reply goes to another address than the original came from, and
// DST_NAT where it comes from another than the original went to. (A port
// that NAT changed alone goes untold: conntrack -I sets no flag for it.)
// conntrack -R sets the flags of the -n and -g that restore prints for
// them, and the kernel translates the flow again.
func flagNAT(f *format.Flow) bool {
	old := f.Status
	if old&(format.StatusSrcNAT|format.StatusDstNAT|format.StatusSrcNATDone|format.StatusDstNATDone) != 0 {
		return false
	}
	if f.Reply.Dst != f.Orig.Src {
		f.Status |= format.StatusSrcNAT
	}
	if f.Reply.Src != f.Orig.Dst {
		f.Status |= format.StatusDstNAT
	}
	return f.Status != old
}

// setPrinter sets the text writer's options for a record that an input
// read when its lines showed shown: none for an input without lines, a
// snapshot, whose header gave them. A record's line end is its own
// (format.QuirkCRLF).
func (c *converter) setPrinter(shown format.Options) {
	opts := c.opts
	if !c.withSet {
		opts = shown // c.opts is 0
	}
	c.options |= shown
	if c.textTo == format.Restore && !c.withLabels && !c.restored {
		// conntrack 1.4.7 crashes on a file of labels: only on demand.
		opts &^= format.OptLabels
	}
	if t := c.out.Text(); t != nil {
		t.Dialect.Options = opts
	}
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// isTerminal reports whether f, a reader or a writer, is a terminal; a
// device such as /dev/null is not.
func isTerminal(f any) bool {
	fd, ok := f.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(fd.Fd()))
}
