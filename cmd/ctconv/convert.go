package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/internal/atomicfile"
)

const convertHelp = `Usage: ctconv convert [flags] [FILE|-]...

Reads flows from each FILE ("-" or none: standard input) and prints them in
another format. Printing a file in its own format gives it back byte for
byte, so "convert" also checks a capture.

A bad line stops the run with FILE:LINE:COL and the reason on standard error
and exit status 1; with --keep-going each bad line is reported, the rest is
converted, and the exit status is still 1. Fields the parser does not know
(vendor kernels add some, such as hwid=) are kept verbatim and counted;
--strict rejects them instead.

Printing in conntrack's formats follows conntrack's -o options: those the
input shows, or those --with names (extended, id, ktimestamp, labels,
timestamp). Its local times ([start=...], <when>) are read and printed in
the zone --tz names.

Examples:
  ctconv convert testdata/corpus/proc.txt
  ctconv convert --from proc --to conntrack --with extended,id /proc/net/nf_conntrack
  ctconv convert --to xml testdata/corpus/conntrack-L-ktimestamp.txt
  ctconv convert --keep-going -o clean.txt damaged.txt
`

func convert(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("convert", convertHelp, stdout, stderr)
	from := fs.String("from", "auto", "input `format`: auto, "+outputFormats())
	to := fs.String("to", "", "output `format`: "+outputFormats()+" (default: the input's)")
	out := fs.String("o", "", "write to `FILE`, atomically, instead of standard output")
	with := fs.String("with", "", "conntrack's -o `options` to print with: extended, id, ktimestamp,\nlabels, timestamp (default: those the input shows)")
	tz := fs.String("tz", "Local", "time `zone` of conntrack's local times ([start=...], <when>): Local, UTC or a name\nsuch as Europe/Berlin")
	keepGoing := fs.Bool("keep-going", false, "report bad lines and convert the rest")
	strict := fs.Bool("strict", false, "reject fields the parser does not know")
	files, err := parseFlags(fs, args)
	if helpRequested(err) {
		fmt.Fprint(stdout, convertHelp+"\nFlags:\n")
		printDefaults(fs, stdout)
		return 0
	}
	if err != nil {
		return 2
	}
	inFormat, err := format.ParseFormat(*from)
	if err != nil {
		fmt.Fprintln(stderr, "ctconv convert: --from:", err)
		return 2
	}
	var outFormat format.Format
	if *to != "" {
		if outFormat, err = format.ParseFormat(*to); err != nil || outFormat == format.Auto {
			fmt.Fprintf(stderr, "ctconv convert: --to: %q is not an output format (want %s)\n", *to, outputFormats())
			return 2
		}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	c := &converter{from: inFormat, to: outFormat, keepGoing: *keepGoing, strict: *strict, stderr: stderr}
	if *with != "" {
		if c.opts, err = format.ParseOptions(*with); err != nil {
			fmt.Fprintln(stderr, "ctconv convert: --with:", err)
			return 2
		}
		c.withSet = true
	}
	if c.loc, err = time.LoadLocation(*tz); err != nil {
		fmt.Fprintln(stderr, "ctconv convert: --tz:", err)
		return 2
	}
	var w io.Writer = stdout
	var af *atomicfile.File
	if *out != "" {
		if af, err = atomicfile.Create(*out); err != nil {
			fmt.Fprintln(stderr, "ctconv convert:", err)
			return 1
		}
		defer onInterrupt(af.Abort)()
		defer af.Abort() // after a Commit, does nothing
		w = af
	}
	c.bw = bufio.NewWriterSize(w, 64<<10)
	c.w = format.NewWriter(c.bw, format.Printer{Location: c.loc})
	ok := true
	for _, name := range files {
		if !c.file(name, stdin) {
			ok = false
			if !c.keepGoing {
				break
			}
		}
	}
	err = c.w.Close()
	if err == nil {
		err = c.bw.Flush()
	}
	if err != nil {
		fmt.Fprintln(stderr, "ctconv convert: write:", err)
		return 1
	}
	if c.unshown > 0 {
		fmt.Fprintf(stderr, "ctconv convert: left out %d flow(s) that %s does not list (IPv6)\n", c.unshown, c.to)
	}
	if c.unknown > 0 {
		fmt.Fprintf(stderr, "ctconv convert: kept %d unknown field(s) verbatim (--strict rejects them)\n", c.unknown)
	}
	if !ok && !c.keepGoing {
		return 1
	}
	if af != nil {
		if err := af.Commit(); err != nil {
			fmt.Fprintln(stderr, "ctconv convert:", err)
			return 1
		}
	}
	if !ok {
		return 1
	}
	return 0
}

func outputFormats() string {
	var names []string
	for _, f := range format.Formats() {
		names = append(names, f.String())
	}
	return strings.Join(names, ", ")
}

// converter holds the state of one convert run.
type converter struct {
	from, to  format.Format
	opts      format.Options // conntrack's -o options to print with
	withSet   bool           // opts come from --with, not from the input
	loc       *time.Location
	keepGoing bool
	strict    bool
	bw        *bufio.Writer
	w         *format.Writer
	stderr    io.Writer
	unknown   int
	unshown   int // flows the output format does not list
}

// file converts one input and reports whether it was clean.
func (c *converter) file(name string, stdin io.Reader) bool {
	r, display := stdin, "<stdin>"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(c.stderr, "ctconv convert:", err)
			return false
		}
		defer f.Close()
		r, display = f, name
	}
	clean := true
	opts := []format.ScanOption{format.WithName(display), format.WithLocation(c.loc)}
	if c.strict {
		opts = append(opts, format.WithStrict())
	}
	if c.keepGoing {
		opts = append(opts, format.WithSkip(func(e *format.ParseError) {
			clean = false
			fmt.Fprintln(c.stderr, e)
		}))
	}
	sc, err := format.NewScanner(r, c.from, opts...)
	if err != nil {
		fmt.Fprintln(c.stderr, "ctconv convert:", err)
		return false
	}
	in, err := sc.Detect()
	if err != nil {
		c.readErr(display, err)
		return false
	}
	if in == format.Auto {
		return true // an empty input
	}
	to := c.output(in)
	if to == format.Auto {
		fmt.Fprintf(c.stderr, "ctconv convert: %s: %s holds expectations, which %s does not list\n", display, in, c.to)
		return false
	}
	c.w.Format = to
	var f format.Flow
	var e format.Expect
	for {
		if in.Expectations() {
			if !sc.ScanExpect(&e) {
				break
			}
			c.setPrinter(sc)
			err = c.w.WriteExpect(&e)
		} else {
			if !sc.Scan(&f) {
				break
			}
			if !c.w.Format.Shows(&f) {
				c.unshown++
				continue
			}
			c.setPrinter(sc)
			err = c.w.Write(&f)
		}
		if err != nil {
			var pe *format.PrintError
			if !errors.As(err, &pe) {
				fmt.Fprintln(c.stderr, "ctconv convert: write:", err)
				return false
			}
			fmt.Fprintf(c.stderr, "%s:%d: %v\n", display, sc.Line(), err)
			clean = false
			if !c.keepGoing {
				return false
			}
		}
	}
	if in == c.w.Format && !sc.Footer() {
		c.w.Footer = false // conntrack -E -o xml prints it only when interrupted
	}
	if c.to == format.Auto {
		c.to = in // later inputs print as the first did
	}
	c.unknown += sc.Unknown()
	if err := sc.Err(); err != nil {
		c.readErr(display, err)
		return false
	}
	return clean
}

// readErr reports an error that stopped reading an input: a bad line with
// its position and the line underlined.
func (c *converter) readErr(display string, err error) {
	var pe *format.ParseError
	if errors.As(err, &pe) {
		fmt.Fprintln(c.stderr, pe)
		fmt.Fprintln(c.stderr, indent(pe.Underline()))
	} else {
		fmt.Fprintf(c.stderr, "ctconv convert: %s: %v\n", display, err)
	}
}

// output returns the format to print records of format in with: --to's, or
// in's own; for expectations, the expectation format of --to's producer,
// or Auto where it has none.
func (c *converter) output(in format.Format) format.Format {
	to := c.to
	if to == format.Auto {
		to = in
	}
	if in.Expectations() {
		return to.ForExpectations()
	}
	return to
}

// setPrinter sets the writer's options for the record the scanner read.
func (c *converter) setPrinter(sc *format.Scanner) {
	c.w.Options, c.w.CRLF = c.opts, sc.CR() // keep Windows line ends
	if !c.withSet {
		c.w.Options = sc.Options()
	}
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
