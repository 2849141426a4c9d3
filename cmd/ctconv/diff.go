package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ctconv/ctconv/codec"
	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

const diffHelp = `Usage: ctconv diff [flags] OLD NEW

Compares two captures of a connection-tracking table: which flows appeared,
which vanished, and what changed in the ones that stayed. The captures may
be of any formats: text of any kind, JSON Lines, snapshot files ("-" reads
one of them from standard input, netlink: the running kernel's table, over
netlink). Flows are matched by their identity in the kernel's table:
family, protocol, zone and original tuple, and the namespace where a
capture of several (ctconv snapshot --all-netns) names it on each flow:
--netns NAME compares one namespace's flows, and those of a capture of
that namespace alone. An ICMP flow of conntrack's
XML, which has no ICMP type, code and id, matches one of the same
addresses, the first left in capture order.

A line a flow, the flow as conntrack -L prints it (the new one, for a
changed flow), then a summary line:

  + FLOW                  only NEW holds it
  - FLOW                  only OLD holds it
  ~ FLOW | CHANGES        both hold it, and it changed:
                          state ESTABLISHED→TIME_WAIT, reply.dport 51000→61000,
                          status +assured, orig.packets +12
  ! FLOW | duplicate in OLD   a capture holds the identity more than once

A flow of a capture of several namespaces shows its namespace before it:
"+ [netns blue] tcp ...".

Compared: the reply tuple (a NAT mapping that moved), state, status, mark,
secmark, secctx, labels, helper, id, start and stop, the reply zone, GRE
timeouts and counters, each where both captures have it. Timeout, use and
delta-time move on every read: --include-volatile compares them too.
--ignore leaves fields out; its names are those of the changes, and
"reply", "counters" and "gre" for groups of them.

Changes come in the order of the larger capture (by the size of its file),
then those of flows only the smaller holds: ctconv keeps the smaller in
memory, about 150 bytes a flow, and streams the larger, whatever its size.
Duplicate identities are looked for among all the flows of the smaller,
the flows of the larger that the smaller has too, and as many of the
others (at least 65,536); past them, a note on standard error says how
many were not checked. Two snapshots written with "ctconv snapshot --sort"
are read side by side in constant memory (but for the ICMP flows between
the same two addresses), every duplicate found, and their changes come
in the order of the flows' identities.

An event stream (conntrack -E, in any format, or ctconv watch) is not a
table: diff refuses it.

Two captures of the table's counters (conntrack -S, -S expect, -C,
/proc/net/stat/nf_conntrack, or their JSON Lines or snapshots) compare
counter by counter: each that changed, by how much in all and on each CPU
that changed it, old→new, then a summary line; with --format json, a JSON
object a changed counter. So "what did the table drop in between":

  $ conntrack -S >before.txt; ...; conntrack -S >after.txt
  $ ctconv diff before.txt after.txt
  invalid                  +400   0→400
    cpu=0                  +400   0→400
  diff: 1 counter changed, 9 unchanged

Counters that only one capture holds (conntrack -S against /proc) are not
compared, and named on standard error.

Exit status: 0 when the captures match, 1 when they differ, 2 on trouble.

Examples:
  ctconv diff before.ctsnap after.ctsnap
  ctconv diff --ignore counters before.txt /proc/net/nf_conntrack
  ctconv diff before.ctsnap netlink:    (the running kernel's table, over netlink)
  conntrack -L | ctconv diff --format json before.ctsnap -
  ctconv diff --format json before-S.txt after-S.txt | jq .counter
  ctconv diff --netns blue before.ctsnap netlink:   (ip netns's blue, live)
  ctconv diff --netns blue all-netns.ctsnap blue.ctsnap
`

func diffCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("diff", diffHelp, stdout, stderr)
	c.readFlags("the captures'", true)
	out := c.fs.String("format", "text", "output `form`: text, or json (a JSON object a line, with \"op\"\nadded, removed, changed or duplicate)")
	ignore := c.fs.String("ignore", "", "`fields` not to compare, comma-separated")
	volatile := c.fs.Bool("include-volatile", false, "compare timeout, use and delta-time too")
	c.netnsFlag(true)
	operands, status, ok := c.parse(args)
	if !ok {
		return status
	}
	defer c.closeNetns()
	fail := c.fail
	if len(operands) != 2 {
		return fail("want two captures, OLD and NEW (ctconv diff --help)")
	}
	if operands[0] == "-" && operands[1] == "-" {
		return fail("standard input can be only one of the captures")
	}
	if *out != "text" && *out != "json" {
		return fail("--format: %q is neither text nor json", *out)
	}
	enc, loc, x, err := c.reading()
	if err != nil {
		return fail("%v", err)
	}
	opts := snapshot.DiffOptions{Volatile: *volatile, Filter: x, ReuseChanges: true} // each change is printed at once
	if *ignore != "" {
		opts.Ignore = strings.Split(*ignore, ",")
	}
	var inputs [2]*snapshot.Input
	var sizes [2]int64
	var rs [2]*input
	for i, name := range operands {
		r, err := c.open(name, stdin, x)
		if err != nil {
			return fail("%v", err)
		}
		defer r.Close()
		rs[i] = r
	}
	prog := newProgress(stderr, fileSize(rs[0].file)+fileSize(rs[1].file), "diff") // one bar for both
	for i, r := range rs {
		r.track(prog)
		sizes[i] = 1 << 62 // unknown: hold the other
		if n := fileSize(r.file); n > 0 {
			sizes[i] = n
		}
		in, err := r.records(enc, format.Dialect{Location: loc})
		if err != nil {
			c.readError(r.name, err)
			return 2
		}
		defer in.Close()
		inputs[i] = in
		if h, ok := in.Header(); ok {
			sizes[i] = int64(min(h.Count, 1<<40)) * 150 // about a text line's bytes
		}
	}
	if inputs[0].Statistics() || inputs[1].Statistics() {
		return c.diffStats(inputs, [2]string{rs[0].name, rs[1].name}, x, *out == "json")
	}
	opts.HoldNew = sizes[1] < sizes[0]

	bw := bufio.NewWriterSize(stdout, 64<<10)
	p := &diffPrinter{w: bw, json: *out == "json", pr: format.Dialect{Format: format.Conntrack, Location: loc}}
	d, err := snapshot.NewDiff(inputs[0], inputs[1], opts)
	var oe *snapshot.OptionError
	switch {
	case errors.As(err, &oe) && oe.Option == "DiffOptions.Ignore":
		return fail("--ignore: %s (fields: %s)", oe.Msg, strings.Join(oe.Valid, ", "))
	case errors.As(err, &oe) && (oe.Option == "old" || oe.Option == "new"):
		return fail("%s: %s", operands[map[string]int{"old": 0, "new": 1}[oe.Option]], oe.Msg)
	case err != nil:
		return fail("%v", err)
	}
	var werr error
	for c, derr := range d.Changes() {
		if derr != nil {
			err = derr
			break
		}
		if werr = p.change(c); werr != nil {
			break
		}
	}
	if err != nil {
		bw.Flush()
		var ee *snapshot.EventsError
		if errors.As(err, &ee) {
			name := operands[1]
			if ee.Old {
				name = operands[0]
			}
			return fail("%s is an event stream (conntrack -E: new, update and destroy events), not a table: diff compares tables, such as conntrack -L lists and ctconv snapshot captures (to compare two event streams, convert both and diff the text)", name)
		}
		if pe, ok := err.(*format.ParseError); ok {
			c.badLine(pe)
			return 2
		}
		return fail("%v", err)
	}
	sum := d.Summary()
	if sum.Differ() && !p.json && werr == nil {
		fmt.Fprintf(bw, "diff: %d added, %d removed, %d changed, %d unchanged", sum.Added, sum.Removed, sum.Changed, sum.Unchanged)
		if sum.Duplicates > 0 {
			fmt.Fprintf(bw, ", %d duplicate identities", sum.Duplicates)
		}
		bw.WriteByte('\n')
	}
	if werr == nil {
		werr = bw.Flush()
	}
	for i, in := range inputs {
		lineNotes(stderr, "ctconv diff: "+rs[i].name, in.Counts(), false)
	}
	if sum.Unchecked > 0 {
		fmt.Fprintf(stderr, "ctconv diff: %d flows that only %s holds were not checked for duplicate identities, to keep memory to the smaller capture's (diff two snapshots written with --sort to check all)\n",
			sum.Unchecked, map[bool]string{false: "NEW", true: "OLD"}[opts.HoldNew])
	}
	switch {
	case brokenPipe(werr):
		return 1 // only changes are written: the captures differ
	case werr != nil:
		writeFailed(stderr, "diff", werr)
		return 2 // trouble, as 1 says they differ
	case sum.Differ():
		return 1
	}
	return 0
}

// diffPrinter prints changes, as text or JSON.
type diffPrinter struct {
	w    *bufio.Writer
	json bool
	pr   format.Dialect
	buf  []byte
}

var opSigns = map[snapshot.Op]string{snapshot.Added: "+ ", snapshot.Removed: "- ", snapshot.Changed: "~ ", snapshot.Duplicate: "! "}

// change prints c, and returns the error of writing, if any.
func (p *diffPrinter) change(c *snapshot.Change) error {
	f, side := c.New, "new"
	if f == nil {
		f, side = c.Old, "old"
	}
	if p.json {
		p.buf = append(p.buf[:0], `{"op":"`...)
		p.buf = append(p.buf, c.Op.String()...)
		p.buf = append(p.buf, '"')
		if c.Op == snapshot.Duplicate {
			p.buf = append(p.buf, `,"side":"`+side+`"`...)
		}
		p.buf = append(p.buf, `,"flow":`...)
		p.buf = appendJSONFlow(p.buf, f)
		if c.Op == snapshot.Changed {
			p.buf = append(p.buf, `,"old":`...)
			p.buf = appendJSONFlow(p.buf, c.Old)
			p.buf = append(p.buf, `,"changes":[`...)
			for i, fc := range c.Fields {
				if i > 0 {
					p.buf = append(p.buf, ',')
				}
				p.buf = appendJSONChange(p.buf, &fc)
			}
			p.buf = append(p.buf, ']')
		}
		p.buf = append(p.buf, "}\n"...)
		_, err := p.w.Write(p.buf)
		return err
	}
	p.buf = append(p.buf[:0], opSigns[c.Op]...)
	if f.Netns != "" { // a capture of several namespaces: no text format shows it
		p.buf = append(appendEscaped(append(p.buf, "[netns "...), f.Netns), "] "...)
	}
	start := len(p.buf)
	line, err := p.pr.Append(p.buf, f)
	if err != nil { // a flow conntrack would not list: as /proc has it
		line, err = format.Dialect{Format: format.Proc}.Append(p.buf, f)
	}
	if err != nil { // nor /proc: as JSON, which shows every field
		line, err = codec.AppendJSON(p.buf, f)
	}
	if err != nil {
		line = appendEscaped(append(p.buf, "(a flow no format prints: "...), err.Error()+")")
	}
	// A person reads the line: the flow is escaped as a changed field's
	// values are. The text printers refuse control characters, but JSON,
	// the last resort, keeps DEL and C1 (U+009B is CSI to a terminal),
	// and a flow of the kernel's, over netlink, is not checked as the
	// readers of files check theirs.
	p.buf = escapeFrom(bytes.TrimSuffix(line, []byte("\n")), start)
	switch c.Op {
	case snapshot.Changed:
		p.buf = append(p.buf, " | "...)
		for i, fc := range c.Fields {
			if i > 0 {
				p.buf = append(p.buf, ", "...)
			}
			p.buf = appendTextChange(p.buf, &fc)
		}
	case snapshot.Duplicate:
		p.buf = append(p.buf, " | duplicate in "+strings.ToUpper(side)...)
	}
	p.buf = append(p.buf, '\n')
	_, err = p.w.Write(p.buf)
	return err
}

// appendTextChange appends a change as a person reads it: "state
// ESTABLISHED→TIME_WAIT", "orig.packets +12", "status +assured".
func appendTextChange(b []byte, fc *snapshot.FieldChange) []byte {
	b = append(b, fc.Field...)
	b = append(b, ' ')
	switch {
	case fc.Counter:
		if fc.Delta >= 0 {
			b = append(b, '+')
		}
		return strconv.AppendInt(b, fc.Delta, 10)
	case fc.Field == "status":
		old, new := strings.Split(fc.Old, "|"), strings.Split(fc.New, "|")
		sep := ""
		for _, n := range new {
			if !contains(old, n) {
				b = append(b, sep+"+"+n...)
				sep = " "
			}
		}
		for _, o := range old {
			if !contains(new, o) {
				b = append(b, sep+"-"+o...)
				sep = " "
			}
		}
		return b
	}
	b = appendEscaped(b, fc.Old)
	b = append(b, "→"...)
	return appendEscaped(b, fc.New)
}

// appendEscaped appends s for a person to read: control characters (C0,
// DEL, C1) and invalid UTF-8, which could forge lines or reach a terminal,
// as \xNN for each of their bytes.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < 0x20 || r >= 0x7f && r < 0xa0 || r == utf8.RuneError && n == 1 {
			for _, c := range []byte(s[i : i+n]) {
				b = append(b, '\\', 'x', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			}
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return b
}

// escapeFrom returns b with its bytes from start on escaped as
// appendEscaped escapes them; b itself, without a copy, when they hold no
// control character and are valid UTF-8, as nearly every line does.
func escapeFrom(b []byte, start int) []byte {
	if plain(b[start:]) {
		return b
	}
	return appendEscaped(b[:start], string(b[start:]))
}

// plain reports whether appendEscaped would leave b as it is: valid UTF-8
// without C0, DEL or C1 (U+0080 to U+009F, 0xc2 0x80 to 0xc2 0x9f).
func plain(b []byte) bool {
	var all byte // the OR of the bytes: ASCII needs no UTF-8 check
	for i, c := range b {
		if c < 0x20 || c == 0x7f || c == 0xc2 && i+1 < len(b) && b[i+1] < 0xa0 {
			return false
		}
		all |= c
	}
	return all < utf8.RuneSelf || utf8.Valid(b)
}

func contains(s []string, x string) bool {
	for _, e := range s {
		if e == x {
			return true
		}
	}
	return false
}

// textFields are the fields whose values are not numbers.
var textFields = map[string]bool{"reply.src": true, "reply.dst": true, "state": true, "status": true, "secctx": true, "labels": true, "helper": true}

func appendJSONChange(b []byte, fc *snapshot.FieldChange) []byte {
	b = append(b, `{"field":`...)
	b = appendJSONString(b, fc.Field)
	value := func(v string) {
		if textFields[fc.Field] {
			b = appendJSONString(b, v)
		} else {
			b = append(b, v...)
		}
	}
	b = append(b, `,"old":`...)
	value(fc.Old)
	b = append(b, `,"new":`...)
	value(fc.New)
	if fc.Counter {
		b = strconv.AppendInt(append(b, `,"delta":`...), fc.Delta, 10)
	}
	return append(b, '}')
}

func appendJSONString(b []byte, s string) []byte {
	out, err := codec.AppendJSONString(b, s)
	if err != nil {
		return append(b, "null"...)
	}
	return out
}

func appendJSONFlow(b []byte, f *format.Flow) []byte {
	out, err := codec.AppendJSON(b, f)
	if err != nil {
		return append(b, "null"...)
	}
	return bytes.TrimSuffix(out, []byte("\n"))
}
