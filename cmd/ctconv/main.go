// Command ctconv reads, converts and checks Linux connection-tracking tables
// in the formats the kernel and conntrack-tools print.
//
// Run "ctconv --help" for the commands and "ctconv CMD --help" for each.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
)

const usage = `ctconv reads, converts and checks Linux connection-tracking tables.

Usage:
  ctconv COMMAND [flags] [FILE|-]...

Commands:
  convert     convert flows from one format to another
  check       read captures to their end and report every bad line
  snapshot    capture a table into a snapshot file, or show one's header
  diff        compare two captures: flows added, removed, changed field by field
  stats       summarise a table: protocols, states, flags, busiest addresses
  watch       follow the kernel's events over netlink, as conntrack -E does
  completion  print a completion script for bash or zsh

Formats:
  proc       /proc/net/nf_conntrack, as kernels 2.6.15 to 6.18 print it
  iplegacy   /proc/net/ip_conntrack, the IPv4 table of kernels before 4.10
  conntrack  conntrack -L, -G, -D and -E text, with any -o but xml and save
  xml        conntrack -o xml, listings and events
  save       conntrack -o save
  restore    conntrack -R's input, to load a table back: save's lines with the
             mark and labels
  proc-expect, conntrack-expect, xml-expect
             expectations: /proc/net/nf_conntrack_expect, conntrack -L expect
  conntrackd, conntrackd-expect, conntrackd-xml, conntrackd-xml-expect
             conntrackd -i and -e (its caches), -i expect, and with -x: the
             XML has no document around its <flow> lines, so it is not xml
  conntrack-stats, proc-stats
             the table's counters: conntrack -S and -C, and
             /proc/net/stat/nf_conntrack
  json       JSON Lines, one object a record (codec/flow.schema.json)
  snapshot   a ctconv snapshot file (ctconv snapshot)
  parquet    Apache Parquet, for DuckDB, Spark or Trino (docs/PARQUET.md)
  auto       (input only) detect the format from the first bytes and lines

Examples:
  ctconv convert --to conntrack testdata/corpus/proc.txt
  ctconv convert --to xml --with extended,id /proc/net/nf_conntrack
  conntrack -E -o timestamp | ctconv convert --to xml -
  ctconv snapshot -o before.ctsnap && ctconv convert --to json before.ctsnap
  ctconv diff before.ctsnap /proc/net/nf_conntrack
  ctconv convert --to json netlink:      (the kernel's table, over netlink)

Flags:
  -h, --help     show this help; "ctconv COMMAND --help" shows a command's
  --version      print the version

Environment:
  CTCONV_CONNLABEL  the file of label names for what is read over netlink,
                    in place of conntrack's /etc/xtables/connlabel.conf

Exit status: 0 on success, 1 when an input has bad lines or cannot be read
or written, 2 on a usage error.
`

func main() {
	// A reader that stops reading (ctconv ... | head) fails the writes with
	// EPIPE instead of killing the process, so that the command ends
	// quietly with the status it earned: see brokenPipe.
	signal.Ignore(syscall.SIGPIPE)
	delayFirstGC(startHeap)
	growPipe(os.Stdin)
	var stderr io.Writer = os.Stderr
	if isTerminal(os.Stderr) {
		stderr = &termLine{w: os.Stderr}
	}
	os.Exit(run(os.Args[1:], os.Stdin, stdoutStream{os.Stdout}, stderr))
}

// stdoutStream is standard output as a stream, even where the shell opened
// a file (after a header, or to append): it has no WriteAt, so that nothing
// goes back to patch it.
type stdoutStream struct{ f *os.File }

func (s stdoutStream) Write(p []byte) (int, error) { return s.f.Write(p) }

// Fd returns the file descriptor, for isTerminal.
func (s stdoutStream) Fd() uintptr { return s.f.Fd() }

// run is the whole program, given its arguments and streams; it returns the
// exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		_, err := io.WriteString(stdout, usage)
		return wrote(stderr, "help", err, 0)
	case "-version", "--version", "version":
		_, err := fmt.Fprintln(stdout, "ctconv", version())
		return wrote(stderr, "version", err, 0)
	case "convert":
		return convertCmd(args[1:], stdin, stdout, stderr)
	case "snapshot":
		return snapshotCmd(args[1:], stdin, stdout, stderr)
	case "diff":
		return diffCmd(args[1:], stdin, stdout, stderr)
	case "check":
		return checkCmd(args[1:], stdin, stdout, stderr)
	case "stats":
		return statsCmd(args[1:], stdin, stdout, stderr)
	case "watch":
		return watchCmd(args[1:], stdin, stdout, stderr)
	case "completion":
		return completionCmd(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "ctconv: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// version returns the module version and VCS revision the binary was built
// from.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

// parseFlags parses args with fs, allowing flags after the operands as well
// as before them, and returns the operands. A lone "-" is an operand.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "--h" || a == "-help" || a == "--help" {
			return nil, flag.ErrHelp // the command prints its help to stdout
		}
	}
	var operands []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return operands, nil
		}
		if args[0] == "--" {
			return append(operands, args[1:]...), nil
		}
		operands = append(operands, args[0])
		args = args[1:]
	}
}

// newFlagSet returns a flag set that prints nothing: the command reports
// its errors (command.flagError), and -h prints its help to stdout (see
// parseFlags).
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// printDefaults prints fs's flags with two dashes, as users type them.
func printDefaults(fs *flag.FlagSet, w io.Writer) {
	fs.VisitAll(func(f *flag.Flag) {
		name, use := flag.UnquoteUsage(f)
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		line := "  " + dash + f.Name
		if name != "" {
			line += " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			use += " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(w, "%-24s %s\n", line, wrap(use, 80-25, strings.Repeat(" ", 25)))
	})
}

// wrap fills text's words into lines of at most width bytes where a word
// fits, joined by a newline and indent.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	n := 0 // the bytes of the line so far
	for _, word := range strings.Fields(text) {
		switch {
		case n == 0:
		case n+1+len(word) > width:
			b.WriteString("\n" + indent)
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}

// helpRequested reports whether err is the flag package's answer to -h.
func helpRequested(err error) bool { return errors.Is(err, flag.ErrHelp) }

// interrupts runs the registered cleanups when a signal ends the run, and
// exits, so that an interrupted run leaves no partial output behind.
var interrupts struct {
	sync.Mutex
	cleanups map[*func()]bool
	once     sync.Once
}

// endingSignals returns the signals that end a run and that this process
// handles: SIGHUP, SIGINT, SIGQUIT and SIGTERM, but those its parent had
// ignored (nohup's SIGHUP, a shell's background job's SIGINT), which stay
// ignored. (Go tells an inherited SIG_IGN of SIGHUP and SIGINT only.)
func endingSignals() []os.Signal {
	var sigs []os.Signal
	for _, s := range [...]os.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM} {
		if !signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	return sigs
}

// guarded runs create, which makes what an interrupted run must remove,
// and registers the cleanup it returns to run when a signal ends the run;
// a signal between the two waits for the registration. The returned
// function unregisters the cleanup.
func guarded(create func() (cleanup func(), err error)) (cancel func(), err error) {
	interrupts.once.Do(func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, endingSignals()...)
		go func() {
			sig := <-ch
			interrupts.Lock()
			for f := range interrupts.cleanups {
				(*f)()
			}
			os.Exit(128 + int(sig.(syscall.Signal)))
		}()
	})
	interrupts.Lock()
	defer interrupts.Unlock()
	fn, err := create()
	if err != nil {
		return nil, err
	}
	if interrupts.cleanups == nil {
		interrupts.cleanups = map[*func()]bool{}
	}
	interrupts.cleanups[&fn] = true
	return func() {
		interrupts.Lock()
		delete(interrupts.cleanups, &fn)
		interrupts.Unlock()
	}, nil
}
