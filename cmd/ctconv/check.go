package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

const checkHelp = `Usage: ctconv check [flags] [FILE|-]...

Reads each capture to its end without printing it, and says whether it is
sound: the bad lines on standard error as FILE:LINE:COL: field: reason
(the first 100 of a run, then how many more: see --max-errors), then a
line a file on standard output with the format detected, the records
read, and the bad lines. Blank lines, conntrack's messages, and the lines
pasted around records that hold no data (shell prompts with the commands
typed, ^C, markdown fences) are counted, and are not bad; --strict counts
all but blank lines and conntrack's messages as bad. A record wrapped with
a backslash, as documentation prints it, is read joined (not with
--strict). netlink: as a FILE reads the running kernel's table, over
netlink. Captures of the table's counters (conntrack -S, -S expect, -C,
/proc/net/stat/nf_conntrack; formats conntrack-stats and proc-stats) are
checked as well: their records are one CPU's counters each (conntrack -C's
count, and conntrack 1.2's list of counters, one record).

Fields the parser does not know (vendor kernels print some) are counted but
allowed; --strict counts them as bad.

Exit status: 0 when every file is clean, 1 when one is not, 2 on a usage
mistake.

Examples:
  ctconv check capture.txt
  conntrack -L -o extended 2>&1 | ctconv check -
  ctconv check --strict testdata/corpus/*.txt
  ctconv check netlink:
  ctconv check --netns blue netlink:
  conntrack -S | ctconv check -
`

func checkCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("check", checkHelp, stdout, stderr)
	c.readFlags("the captures'", false)
	strict := c.fs.Bool("strict", false, "count fields the parser does not know as bad")
	bad := c.maxErrorsFlag()
	c.netnsFlag(false)
	files, status, ok := c.parse(args)
	if !ok {
		return status
	}
	defer c.closeNetns()
	if *c.netns != "" && !slices.Contains(files, netlinkSource) {
		return c.fail("--netns %s: names the namespace of netlink:, which no FILE is (check selects no records)", *c.netns)
	}
	enc, loc, _, err := c.reading()
	if err != nil {
		return c.fail("%v", err)
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	for _, name := range files {
		clean, err := c.checkFile(name, stdin, enc, loc, *strict, bad)
		if !clean {
			status = 1
		}
		// A reader of the summaries that has gone away (check | head)
		// does not stop the check: its verdict is the exit status.
		if err != nil && !brokenPipe(err) {
			bad.finish("check")
			return wrote(stderr, "check", err, status)
		}
	}
	bad.finish("check")
	return status
}

// checkFile reads one capture, reporting its bad lines to lines, and
// prints its summary: it returns whether the capture is clean, and the
// error of writing the summary.
func (c *command) checkFile(name string, stdin io.Reader, enc snapshot.Encoding, loc *time.Location, strict bool, lines *badLines) (bool, error) {
	r, err := c.open(name, stdin, nil)
	if err != nil {
		fmt.Fprintln(c.stderr, "ctconv check:", err)
		return false, nil
	}
	defer r.Close()
	in, err := r.records(enc, format.Dialect{Location: loc, Strict: strict})
	if err != nil {
		c.readError(r.name, err)
		return false, nil
	}
	defer in.Close()
	var n, bad int
	var first *format.ParseError // the first bad line, for fromHint
	// read counts a record, or reports a bad line and goes on; it keeps
	// any other error, which ends the records, in err.
	read := func(e error) bool {
		if e == nil {
			n++
			r.prog.entries(1)
			return true
		}
		// Declared here, not for every record: errors.As makes it escape.
		var pe *format.ParseError
		if !errors.As(e, &pe) {
			err = e
			return false
		}
		bad++
		lines.report(pe)
		if first == nil {
			first = pe
		}
		return true
	}
	switch {
	case in.Statistics():
		for _, e := range in.Stats() {
			if !read(e) {
				break
			}
		}
	case in.Expectations():
		for _, e := range in.Expects() {
			if !read(e) {
				break
			}
		}
	default:
		// The flows are counted where they are read, on every core.
		counts := make([]workerCount, in.Workers())
		for e := range in.EachCount(func(w, k int) {
			counts[w].n += k
			r.prog.entries(k)
		}) {
			if !read(e) {
				break
			}
		}
		for _, c := range counts {
			n += c.n
		}
	}
	what := "flow"
	switch {
	case in.Statistics():
		what = "counter record"
	case in.Expectations():
		what = "expectation"
	}
	detected := in.Encoding().String()
	if in.Encoding().IsAuto() {
		detected = "empty"
	}
	var pe *format.ParseError
	var sum strings.Builder
	switch {
	case errors.Is(err, snapshot.ErrCorrupt):
		fmt.Fprintf(&sum, "%s: %s, damaged after %s", r.name, detected, plural(n, what))
	case err != nil && !errors.As(err, &pe):
		fmt.Fprintf(&sum, "%s: %s, unreadable after %s", r.name, detected, plural(n, what))
	default:
		fmt.Fprintf(&sum, "%s: %s, %s, %s", r.name, detected, plural(n, what), plural(bad, "bad line"))
	}
	counts := in.Counts()
	if u := counts.Unknown; u > 0 {
		fmt.Fprintf(&sum, ", %s", plural(u, "unknown field"))
	}
	if n := counts.Normalized; n > 0 {
		fmt.Fprintf(&sum, ", %s in a pasted layout", plural(n, "record"))
	}
	if m := counts.Messages; m > 0 {
		fmt.Fprintf(&sum, ", %s", plural(m, "conntrack message"))
	}
	if b := counts.Blank; b > 0 {
		fmt.Fprintf(&sum, ", %s", plural(b, "blank line"))
	}
	if n := counts.Others; n > 0 {
		fmt.Fprintf(&sum, ", passed over %s", othersNote(n, in.Expectations()))
	}
	if n := counts.NotRecords; n > 0 {
		fmt.Fprintf(&sum, ", %s (prompts, typed commands, ^C, fences)", notRecords(n))
	}
	if gaps := in.Gaps(); len(gaps) > 0 {
		fmt.Fprintf(&sum, ", %s where the kernel dropped %s events", plural(len(gaps), "gap"), lostIn(gaps))
	}
	sum.WriteByte('\n')
	_, werr := io.WriteString(c.stdout, sum.String())
	if first != nil {
		if h := c.fromHint(first); h != "" {
			fmt.Fprintf(c.stderr, "ctconv check: %s: its first bad line %s\n", r.name, h)
		}
	}
	if err != nil {
		if errors.As(err, &pe) {
			fmt.Fprintln(c.stderr, pe)
		} else {
			fmt.Fprintf(c.stderr, "ctconv check: %s: %v\n", r.name, err)
		}
		return false, werr
	}
	return bad == 0, werr
}

// A workerCount is one worker's count, alone in its cache line, where
// other cores' counts do not make it bounce between them.
type workerCount struct {
	n int
	_ [56]byte
}

// plural returns "1 flow", "2 flows".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// lineNotes says on w, a line a note after prefix ("ctconv convert", or
// with an input's name), what the lines of inputs held besides records
// in their producer's layout, as every command but check says it (check
// says it in its summary): fields kept verbatim, records read in a
// pasted layout, lines of the other kind passed over (expect: the
// records read are expectations), lines that are not records skipped.
// Blank lines alone go unsaid.
func lineNotes(w io.Writer, prefix string, c snapshot.LineCounts, expect bool) {
	if c.Unknown > 0 {
		fmt.Fprintf(w, "%s: kept %d unknown field(s) verbatim (--strict rejects them)\n", prefix, c.Unknown)
	}
	if c.Normalized > 0 {
		fmt.Fprintf(w, "%s: read %d record(s) in a pasted layout, as their producer prints them (--strict rejects them)\n", prefix, c.Normalized)
	}
	if c.Others > 0 {
		fmt.Fprintf(w, "%s: passed over %s\n", prefix, othersNote(c.Others, expect))
	}
	if c.NotRecords+c.Messages == 0 {
		return
	}
	var parts []string
	if c.NotRecords == 1 {
		parts = append(parts, "1 prompt, typed command, ^C or fence")
	} else if c.NotRecords > 1 {
		parts = append(parts, fmt.Sprintf("%d prompts, typed commands, ^C or fences", c.NotRecords))
	}
	if c.Blank > 0 {
		parts = append(parts, plural(c.Blank, "blank line"))
	}
	if c.Messages == 1 {
		parts = append(parts, "1 message of conntrack's")
	} else if c.Messages > 1 {
		parts = append(parts, fmt.Sprintf("%d messages of conntrack's", c.Messages))
	}
	fmt.Fprintf(w, "%s: skipped %s (%s)\n", prefix, notRecords(c.NotRecords+c.Blank+c.Messages), strings.Join(parts, "; "))
}

// notRecords returns "1 line that is not a record", "2 lines that are not
// records".
func notRecords(n int) string {
	if n == 1 {
		return "1 line that is not a record"
	}
	return fmt.Sprintf("%d lines that are not records", n)
}

// othersNote says what the lines of the other kind passed over were, and
// how to read them: "2 expectation lines (a 2.4 kernel's EXPECTING:;
// --from proc-expect reads them)".
func othersNote(n int, expect bool) string {
	if expect {
		return plural(n, "flow line") + " (a 2.4 kernel's /proc/net/ip_conntrack; --from iplegacy reads them)"
	}
	return plural(n, "expectation line") + " (a 2.4 kernel's EXPECTING:; --from proc-expect reads them)"
}
