package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/ctnetlink"
	"github.com/ctconv/ctconv/internal/netns"
	"github.com/ctconv/ctconv/parquet"
	"github.com/ctconv/ctconv/snapshot"
)

// command holds what ctconv's commands share: a flag set whose help goes
// to standard output, the flags of reading captures, and the way to open
// them.
type command struct {
	name           string
	help           string
	fs             *flag.FlagSet
	stdout, stderr io.Writer
	from, tz       *string
	filters        *filterFlags
	ints           []intFlag // checked by parse
	netns          *string   // --netns, where the command has it
	ns             *netns.NS // where live sources are read (liveNS); nil: here
}

// intFlag is a flag of a whole number, and the range it must be in.
type intFlag struct {
	name   string
	value  *int
	lo, hi int
}

func newCommand(name, help string, stdout, stderr io.Writer) *command {
	return &command{name: name, help: help, fs: newFlagSet(name), stdout: stdout, stderr: stderr}
}

// readFlags adds the flags of reading captures: --from, --tz and, with
// filters, the filters; whose is what --from names the format of, as a
// possessive ("the inputs'").
func (c *command) readFlags(whose string, filters bool) {
	c.from = c.fs.String("from", "auto", whose+" `format`: auto, "+encodings()+"\n(a format of flows reads its producer's expectations too)")
	c.tz = c.fs.String("tz", "Local", "time `zone` of conntrack's local times ([start=...], <when>): Local, UTC\nor a name such as Europe/Berlin")
	if filters {
		c.filters = addFilterFlags(c.fs)
		c.help += filterHelp
	}
}

// intFlag adds a flag of a whole number from lo to hi (math.MaxInt: no
// bound), which parse checks.
func (c *command) intFlag(name string, value, lo, hi int, usage string) *int {
	p := c.fs.Int(name, value, usage)
	c.ints = append(c.ints, intFlag{name, p, lo, hi})
	return p
}

// parse parses the arguments and returns the operands; when it returns
// false, the command ends with status: 0 after printing the help (1 if it
// cannot be written), 2 after a mistake.
func (c *command) parse(args []string) (operands []string, status int, ok bool) {
	operands, err := parseFlags(c.fs, args)
	if helpRequested(err) {
		var b strings.Builder
		b.WriteString(c.help + "\nFlags:\n")
		printDefaults(c.fs, &b)
		_, err := io.WriteString(c.stdout, b.String())
		return nil, wrote(c.stderr, c.name, err, 0), false
	}
	if err != nil {
		c.flagError(err)
		return nil, 2, false
	}
	for _, f := range c.ints {
		switch {
		case *f.value >= f.lo && *f.value <= f.hi:
		case f.hi == math.MaxInt:
			return nil, c.fail("--%s %d: not a number of %d or more", f.name, *f.value, f.lo), false
		default:
			return nil, c.fail("--%s %d: not a number from %d to %d", f.name, *f.value, f.lo, f.hi), false
		}
	}
	if err := c.fromUnused(operands); err != nil {
		return nil, c.fail("%v", err), false
	}
	if c.netns != nil && *c.netns == "" && flagSet(c.fs, "netns") {
		// An unset shell variable, most often: not ctconv's own namespace.
		return nil, c.fail("--netns: an empty name (give a name of ip netns, a path, or a process id)"), false
	}
	return operands, 0, true
}

// flagError reports err, a mistake in the flags that package flag found,
// with the flags spelt as the help spells them (--from), and, for a flag
// the command does not have, the commands that have it.
func (c *command) flagError(err error) {
	msg := err.Error()
	if i := strings.LastIndex(msg, " -"); i >= 0 {
		name, rest, _ := strings.Cut(msg[i+2:], ":")
		flag := "-" + name
		if len(name) > 1 {
			flag = "--" + name
		}
		if strings.HasPrefix(msg, "flag provided but not defined") {
			msg = "unknown flag " + flag
			var others []string
			for _, cmd := range commands {
				if cmd != c.name && slices.Contains(flagsOf(cmd), flag) {
					others = append(others, cmd)
				}
			}
			if len(others) > 0 {
				msg += " (" + flag + " is a flag of " + andList(others) + ")"
			}
		} else if msg = msg[:i+1] + flag; rest != "" {
			msg += ":" + rest
		}
	}
	fmt.Fprintf(c.stderr, "ctconv %s: %s\nRun 'ctconv %s --help' for usage.\n", c.name, msg, c.name)
}

// andList joins words as prose does: "a", "a and b", "a, b and c".
func andList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// flagSet reports whether the command line gave the flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// fromUnused returns an error if --from names a format although every
// capture is netlink:, to which no format applies.
func (c *command) fromUnused(captures []string) error {
	if c.from == nil || len(captures) == 0 {
		return nil
	}
	if enc, err := parseEncoding(*c.from); err != nil || enc.IsAuto() {
		return nil // reading reports a --from that names no format
	}
	for _, name := range captures {
		if name != netlinkSource {
			return nil
		}
	}
	return fmt.Errorf("--from %s: netlink: is the kernel's table, decoded from its messages, not text in a format; --from names the format of a FILE", *c.from)
}

// fail reports a mistake in the command line and returns status 2.
func (c *command) fail(format string, a ...any) int {
	fmt.Fprintf(c.stderr, "ctconv "+c.name+": "+format+"\n", a...)
	return 2
}

// readError reports an error that ended reading the capture name: a bad
// line with badLine, any other error after the capture's name.
func (c *command) readError(name string, err error) {
	var pe *format.ParseError
	if errors.As(err, &pe) {
		c.badLine(pe)
	} else {
		fmt.Fprintf(c.stderr, "ctconv %s: %s: %v\n", c.name, name, err)
	}
}

// badLine reports a bad line that ended reading a capture: its position
// and message, the line underlined, and the format the line reads as
// where --from named another (see fromHint).
func (c *command) badLine(pe *format.ParseError) {
	fmt.Fprintln(c.stderr, pe)
	fmt.Fprintln(c.stderr, indent(pe.Underline()))
	if h := c.fromHint(pe); h != "" {
		fmt.Fprintf(c.stderr, "ctconv %s: %s: the line %s\n", c.name, pe.File, h)
	}
}

// fromHint says what format a bad line reads as ("reads as conntrack, not
// proc: ..."), where --from named another: a --from that names the wrong
// format makes every line bad, and the error of each says only what the
// named format wanted. It returns "" without --from, or where the line
// reads as no other format.
func (c *command) fromHint(pe *format.ParseError) string {
	if c.from == nil || pe.Text == "" {
		return ""
	}
	from, err := parseEncoding(*c.from)
	if err != nil || from.IsAuto() {
		return ""
	}
	line := strings.TrimSpace(pe.Text)
	var is snapshot.Encoding
	switch {
	case pe.Line == 1 && pe.Text+"\n" == snapshot.Magic:
		is = snapshot.File
	case pe.Line == 1 && strings.HasPrefix(pe.Text, parquet.Magic):
		is = parquetEncoding
	case strings.HasPrefix(line, "{"):
		is = snapshot.JSON
	default:
		f, err := format.Detect([]byte(line + "\n"))
		if err != nil {
			return ""
		}
		is = snapshot.Text(f)
	}
	if is == from {
		return ""
	}
	return fmt.Sprintf("reads as %s, not %s: --from %s, or no --from to detect the format", is, from, is)
}

// reading returns what the reading flags give: the inputs' encoding, the
// zone of their local times, and the filter, if any.
func (c *command) reading() (snapshot.Encoding, *time.Location, *format.Filter, error) {
	enc, err := parseEncoding(*c.from)
	if err != nil {
		return enc, nil, nil, fmt.Errorf("--from: %w", err)
	}
	loc, err := time.LoadLocation(*c.tz)
	if err != nil {
		return enc, nil, nil, fmt.Errorf("--tz: %w", err)
	}
	var x *format.Filter
	if c.filters != nil {
		if x, err = c.filters.build(); err != nil {
			return enc, loc, nil, err
		}
		if name := c.netnsName(); name != "" {
			if x == nil {
				x = new(format.Filter)
			}
			x.Netns = name
		}
	}
	return enc, loc, x, nil
}

// input is a capture opened for reading, by name.
type input struct {
	io.Reader
	name  string // as messages show it: the file's, <stdin>, or netlink
	prog  *progress
	file  *os.File
	table *snapshot.Input // netlink:'s records, until records hands them out
	netns string          // the namespace of a live table read in another (--netns)
}

// open opens the capture name: the file, standard input for "-", or the
// running kernel's table for netlink:, which the kernel filters by x's
// family, mark and zone (the caller still applies x). A large file shows
// its progress on a terminal. Every command opens its captures here, so
// that each takes the same names. The kernel's table, over netlink or
// /proc/net/nf_conntrack, is the live namespace's (see inNetns).
func (c *command) open(name string, stdin io.Reader, x *format.Filter) (*input, error) {
	switch name {
	case "-":
		if isTerminal(stdin) { // a capture to paste, which waits for its end
			fmt.Fprintf(c.stderr, "ctconv %s: reading a capture from the terminal: paste it, then press Ctrl-D at the start of a line\n", c.name)
		}
		return &input{Reader: stdin, name: "<stdin>"}, nil
	case netlinkSource:
		return c.netlink(x)
	}
	open := os.Open
	if name == liveTable {
		open = c.openLive
	}
	f, err := open(name)
	if err != nil {
		return nil, err
	}
	growPipe(f) // a named pipe, or <(...) of a shell
	in := &input{name: name, file: f}
	if name == liveTable {
		in.netns = c.liveName()
	}
	in.track(newProgress(c.stderr, fileSize(f), name))
	return in, nil
}

// track shows the progress of reading the input on p, in place of its own.
func (in *input) track(p *progress) {
	in.prog = p
	if in.file == nil {
		return
	}
	// A regular file is read where it is (without a bar, which counts
	// the bytes read in order), so that the workers of a parallel scan
	// read their chunks of it themselves (format.WithWorkers).
	if size := fileSize(in.file); size > 0 && p == nil {
		in.Reader = io.NewSectionReader(in.file, 0, size)
		return
	}
	in.Reader = p.reader(in.file)
}

// records returns the input's records: netlink:'s table, or the capture
// as snapshot.Open reads it from enc, text in Dialect d, named by the
// input, with opts, parsed on GOMAXPROCS goroutines.
func (in *input) records(enc snapshot.Encoding, d format.Dialect, opts ...format.ScanOption) (*snapshot.Input, error) {
	t := in.table
	in.table = nil
	if t == nil && in.isParquet(enc) {
		var err error
		if t, err = in.parquet(); err != nil {
			return nil, err
		}
	}
	if t == nil {
		var err error
		opts = append([]format.ScanOption{format.WithName(in.name), format.WithWorkers(runtime.GOMAXPROCS(0))}, opts...)
		if t, err = snapshot.Open(in.Reader, enc, d, opts...); err != nil {
			return nil, err
		}
	}
	if in.netns != "" {
		t.SetNetns(in.netns)
	}
	return t, nil
}

// Close ends the progress bar and closes the file, or the table that
// records did not hand out.
func (in *input) Close() error {
	in.prog.finish()
	if in.table != nil {
		in.table.Close()
	}
	if in.file != nil {
		return in.file.Close()
	}
	return nil
}

// netlinkSource is the operand that names the running kernel's table, read
// over netlink (ctnetlink) instead of from a file.
const netlinkSource = "netlink:"

// netlink opens the kernel's table over netlink as an input; the kernel
// leaves out flows of other families, marks and zones than x selects.
func (c *command) netlink(x *format.Filter) (*input, error) {
	labels, err := c.labels()
	if err != nil {
		fmt.Fprintf(c.stderr, "ctconv %s: label names: %v\n", c.name, err)
	}
	var conn *ctnetlink.Conn
	if err := c.inNetns(func() (err error) {
		conn, err = ctnetlink.Dial()
		return err
	}); err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	var kf ctnetlink.DumpFilter
	if x != nil {
		if x.Family != nil {
			kf.Family = *x.Family
		}
		if x.Mark != nil {
			kf.Mark, kf.MarkMask = *x.Mark, cmp.Or(x.MarkMask, ^uint32(0))
		}
		if x.Zone != nil {
			kf.Zone = *x.Zone
		}
	}
	sc, err := conn.Dump(kf, &ctnetlink.Decoder{Labels: labels})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &input{name: "netlink", table: snapshot.FromSource(sc, snapshot.Text(format.Conntrack)), netns: c.liveName()}, nil
}
