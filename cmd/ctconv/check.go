package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ctconv/ctconv/format"
	"github.com/ctconv/ctconv/snapshot"
)

const checkHelp = `Usage: ctconv check [flags] [FILE|-]...

Reads each capture to its end without printing it, and says whether it is
sound: every bad line on standard error as FILE:LINE:COL: field: reason,
then a line a file on standard output with the format detected, the
records read, and the bad lines.

Fields the parser does not know (vendor kernels print some) are counted but
allowed; --strict counts them as bad.

Exit status: 0 when every file is clean, 1 when one is not, 2 on a usage
mistake.

Examples:
  ctconv check capture.txt
  conntrack -L -o extended 2>&1 | ctconv check -
  ctconv check --strict testdata/corpus/*.txt
`

func checkCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("check", checkHelp, stdout, stderr)
	c.readFlags("the captures", false)
	strict := c.fs.Bool("strict", false, "count fields the parser does not know as bad")
	files, status, ok := c.parse(args)
	if !ok {
		return status
	}
	enc, loc, _, err := c.reading()
	if err != nil {
		return c.fail("%v", err)
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	for _, name := range files {
		if !c.checkFile(name, stdin, enc, loc, *strict) {
			status = 1
		}
	}
	return status
}

// checkFile reads one capture and reports whether it is clean.
func (c *command) checkFile(name string, stdin io.Reader, enc snapshot.Encoding, loc *time.Location, strict bool) bool {
	r, err := c.open(name, stdin)
	if err != nil {
		fmt.Fprintln(c.stderr, "ctconv check:", err)
		return false
	}
	defer r.Close()
	bad := 0
	opts := []format.ScanOption{format.WithName(r.name), format.WithLocation(loc),
		format.WithSkip(func(e *format.ParseError) {
			bad++
			fmt.Fprintln(c.stderr, e)
		})}
	if strict {
		opts = append(opts, format.WithStrict())
	}
	in, err := snapshot.Open(r, enc, opts...)
	if err != nil {
		fmt.Fprintf(c.stderr, "ctconv check: %s: %v\n", r.name, err)
		return false
	}
	defer in.Close()
	n := 0
	if in.Expectations {
		var e format.Expect
		for in.ScanExpect(&e) {
			n++
			r.prog.entry()
		}
	} else {
		var f format.Flow
		for in.Scan(&f) {
			n++
			r.prog.entry()
		}
	}
	what := "flow"
	if in.Expectations {
		what = "expectation"
	}
	detected := in.Encoding.String()
	if in.Encoding.IsAuto() {
		detected = "empty"
	}
	err = in.Err()
	var pe *format.ParseError
	switch {
	case errors.Is(err, snapshot.ErrCorrupt):
		fmt.Fprintf(c.stdout, "%s: %s, damaged after %s", r.name, detected, plural(n, what))
	case err != nil && !errors.As(err, &pe):
		fmt.Fprintf(c.stdout, "%s: %s, unreadable after %s", r.name, detected, plural(n, what))
	default:
		fmt.Fprintf(c.stdout, "%s: %s, %s, %s", r.name, detected, plural(n, what), plural(bad, "bad line"))
	}
	if in.Scanner != nil {
		if u := in.Scanner.Unknown(); u > 0 {
			fmt.Fprintf(c.stdout, ", %s", plural(u, "unknown field"))
		}
		if m := in.Scanner.Messages(); m > 0 {
			fmt.Fprintf(c.stdout, ", %s", plural(m, "conntrack message"))
		}
	}
	fmt.Fprintln(c.stdout)
	if err != nil {
		if errors.As(err, &pe) {
			fmt.Fprintln(c.stderr, pe)
		} else {
			fmt.Fprintf(c.stderr, "ctconv check: %s: %v\n", r.name, err)
		}
		return false
	}
	return bad == 0
}

// plural returns "1 flow", "2 flows".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
