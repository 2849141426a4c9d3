package main

import (
	"errors"
	"fmt"
	"io"
	"os"
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
	fs := newFlagSet("check", stderr)
	from := fs.String("from", "auto", "the captures' `format`: auto, "+encodings())
	strict := fs.Bool("strict", false, "count fields the parser does not know as bad")
	tz := fs.String("tz", "Local", "time `zone` of conntrack's local times in the captures")
	files, err := parseFlags(fs, args)
	if helpRequested(err) {
		fmt.Fprint(stdout, checkHelp+"\nFlags:\n")
		printDefaults(fs, stdout)
		return 0
	}
	if err != nil {
		return 2
	}
	enc, err := snapshot.ParseEncoding(*from)
	if err != nil {
		fmt.Fprintln(stderr, "ctconv check: --from:", err)
		return 2
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		fmt.Fprintln(stderr, "ctconv check: --tz:", err)
		return 2
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	status := 0
	for _, name := range files {
		if !checkFile(name, stdin, enc, loc, *strict, stdout, stderr) {
			status = 1
		}
	}
	return status
}

// checkFile reads one capture and reports whether it is clean.
func checkFile(name string, stdin io.Reader, enc snapshot.Encoding, loc *time.Location, strict bool, stdout, stderr io.Writer) bool {
	r, display := stdin, "<stdin>"
	var prog *progress
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(stderr, "ctconv check:", err)
			return false
		}
		defer f.Close()
		prog = newProgress(stderr, fileSize(f), name)
		defer prog.finish()
		r, display = prog.reader(f), name
	}
	bad := 0
	opts := []format.ScanOption{format.WithName(display), format.WithLocation(loc),
		format.WithSkip(func(e *format.ParseError) {
			bad++
			fmt.Fprintln(stderr, e)
		})}
	if strict {
		opts = append(opts, format.WithStrict())
	}
	in, err := snapshot.Open(r, enc, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "ctconv check: %s: %v\n", display, err)
		return false
	}
	defer in.Close()
	n := 0
	if in.Expectations {
		var e format.Expect
		for in.ScanExpect(&e) {
			n++
			prog.entry()
		}
	} else {
		var f format.Flow
		for in.Scan(&f) {
			n++
			prog.entry()
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
	fmt.Fprintf(stdout, "%s: %s, %s, %s", display, detected, plural(n, what), plural(bad, "bad line"))
	if in.Scanner != nil {
		if u := in.Scanner.Unknown(); u > 0 {
			fmt.Fprintf(stdout, ", %s", plural(u, "unknown field"))
		}
		if m := in.Scanner.Messages(); m > 0 {
			fmt.Fprintf(stdout, ", %s", plural(m, "conntrack message"))
		}
	}
	fmt.Fprintln(stdout)
	if err := in.Err(); err != nil {
		var pe *format.ParseError
		if errors.As(err, &pe) {
			fmt.Fprintln(stderr, pe)
		} else {
			fmt.Fprintf(stderr, "ctconv check: %s: %v\n", display, err)
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
