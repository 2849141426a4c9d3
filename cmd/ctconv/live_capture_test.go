package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/internal/lab"
)

// noCapture are the commands that take no capture, and why.
var noCapture = map[string]string{
	"watch":      "follows the kernel's events, over netlink always",
	"completion": "prints a script",
}

// TestLiveNetlinkOperand runs each command that reads captures, in a
// namespace with entries of every protocol, labels among them, with
// netlink: as its capture: each reads the namespace's running table, as
// conntrack -L lists it. Every command of ctconv's help is either here or
// in noCapture.
func TestLiveNetlinkOperand(t *testing.T) {
	l := newLab(t)
	bin := build(t)
	s := seed(t)
	var entries []lab.Entry
	for _, e := range lab.Fixed() {
		if i := slices.Index(e, "-t"); i < 0 || e[i+1] != "1" {
			entries = append(entries, e) // not the one that expires in a second
		}
	}
	entries = append(entries, lab.Random(rand.New(rand.NewPCG(s, s^5)), 50)...)
	entries = append(entries, lab.Entry{"-p", "tcp", "-s", "198.18.1.1", "-d", "198.18.1.2", "--sport", "4000", "--dport", "8080",
		"--state", "ESTABLISHED", "-t", "600", "--label-add", "zero-label,web traffic"})
	if err := l.Insert(entries); err != nil {
		t.Fatal(err)
	}
	table, err := l.Conntrack("-L", "-o", "labels")
	if err != nil {
		t.Fatal(err)
	}
	n := bytes.Count(table, []byte("\n"))
	if n < len(entries) {
		t.Fatalf("conntrack -L lists %d flows of the %d inserted", n, len(entries))
	}
	dir := t.TempDir()
	list := filepath.Join(dir, "conntrack-L.txt")
	snap := filepath.Join(dir, "table.ctsnap")
	if err := os.WriteFile(list, table, 0o644); err != nil {
		t.Fatal(err)
	}
	sameTable := func(text string) error {
		if d := cmp.Diff(volatile(t, string(table), false), volatile(t, text, false)); d != "" {
			return fmt.Errorf("differs from conntrack -L (-want +got):\n%s", d)
		}
		return nil
	}
	commands := map[string]struct {
		args  []string
		check func(stdout string) error // after exit status 0
	}{
		"check": {[]string{"check", netlinkSource}, func(out string) error {
			if !regexp.MustCompile(fmt.Sprintf(`^netlink: \S+, %d flows, 0 bad lines\n$`, n)).MatchString(out) {
				return fmt.Errorf("want the %d flows of conntrack -L", n)
			}
			return nil
		}},
		"convert": {[]string{"convert", "--with", "labels", netlinkSource}, sameTable},
		"stats": {[]string{"stats", "--format", "json", netlinkSource}, func(out string) error {
			if !strings.Contains(out, fmt.Sprintf(`"flows":%d,`, n)) {
				return fmt.Errorf("want the %d flows of conntrack -L", n)
			}
			return nil
		}},
		"diff": {[]string{"diff", netlinkSource, list}, func(out string) error { return nil }},
		"snapshot": {[]string{"snapshot", "-o", snap, netlinkSource}, func(string) error {
			code, out, errs := ctconv(t, "", "convert", "--with", "labels", snap)
			if code != 0 {
				return fmt.Errorf("convert the snapshot: exit %d: %s", code, errs)
			}
			return sameTable(out)
		}},
	}
	for _, name := range helpCommands(t) {
		c, ok := commands[name]
		if !ok {
			if _, ok := noCapture[name]; !ok {
				t.Errorf("ctconv %s: neither in this test nor in noCapture", name)
			}
			continue
		}
		cmd := l.Command(append([]string{bin}, c.args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("ctconv %s: %v: %s%s", strings.Join(c.args, " "), err, stdout.String(), stderr.String())
			continue
		}
		if err := c.check(stdout.String()); err != nil {
			t.Errorf("ctconv %s: %v\nstdout:\n%s", strings.Join(c.args, " "), err, stdout.String())
		}
	}
}

// TestLiveNetlinkFrom runs each command that reads captures with --from
// and netlink: as its only capture: the kernel's table is decoded from its
// messages, not read as text in a format, so --from applies to nothing, a
// mistake in the command line (exit status 2) rather than a flag silently
// ignored. The commands run in a namespace of their own, so that one that
// read the table would not read the host's.
func TestLiveNetlinkFrom(t *testing.T) {
	l := newLab(t)
	bin := build(t)
	for _, args := range [][]string{
		{"check", "--from", "proc", netlinkSource},
		{"convert", "--from", "proc", netlinkSource},
		{"convert", "--from", "xml", netlinkSource, netlinkSource},
		{"stats", "--from", "conntrack", netlinkSource},
		{"stats", "--from", "proc", "--source", "netlink"},
		{"diff", "--from", "proc", netlinkSource, netlinkSource},
		{"snapshot", "--from", "proc", "-o", filepath.Join(t.TempDir(), "s.ctsnap"), netlinkSource},
		{"snapshot", "--from", "proc", "--source", "netlink", "-o", filepath.Join(t.TempDir(), "s.ctsnap")},
	} {
		cmd := l.Command(append([]string{bin}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Run()
		want := "ctconv " + args[0] + ": --from " + args[2] + ": netlink: "
		if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.HasPrefix(stderr.String(), want) || stdout.Len() > 0 {
			t.Errorf("ctconv %s: exit %d, stdout %q, stderr %q; want exit 2 and %q...", strings.Join(args, " "), code, stdout.String(), stderr.String(), want)
		}
	}
}

// helpCommands returns the commands that ctconv --help lists.
func helpCommands(t *testing.T) []string {
	_, help, _ := ctconv(t, "", "--help")
	_, list, ok := strings.Cut(help, "\nCommands:\n")
	list, _, _ = strings.Cut(list, "\n\n")
	var names []string
	for _, line := range strings.Split(list, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	if !ok || len(names) < 5 {
		t.Fatalf("no list of commands in ctconv --help:\n%s", help)
	}
	return names
}

// TestLiveSnapshotThenConvert runs ctconv snapshot of a namespace's table,
// then ctconv convert of a file to a snapshot, in one process: the second
// snapshot is of the file alone, without the host, kernel and counters of
// the live table that the first run noted.
func TestLiveSnapshotThenConvert(t *testing.T) {
	l := newLab(t)
	if err := l.Insert(lab.Fixed()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	live, file := filepath.Join(dir, "live.ctsnap"), filepath.Join(dir, "file.ctsnap")
	var codes [2]int
	var errs [2]string
	l.Do(func() error { // the netlink socket is the namespace's
		codes[0], _, errs[0] = ctconv(t, "", "snapshot", "-o", live, netlinkSource)
		codes[1], _, errs[1] = ctconv(t, "", "convert", "--to", "snapshot", "-o", file, corpusProc)
		return nil
	})
	if codes != [2]int{} {
		t.Fatalf("exit %v: %q", codes, errs)
	}
	_, info, _ := ctconv(t, "", "snapshot", "--info", live)
	if !strings.Contains(info, "\ncounters: ") || strings.Contains(info, "host:     unknown") {
		t.Errorf("the live table's snapshot:\n%s", info)
	}
	_, info, _ = ctconv(t, "", "snapshot", "--info", file)
	if strings.Contains(info, "\ncounters: ") || !strings.Contains(info, "host:     unknown\nkernel:   unknown\n") {
		t.Errorf("the file's snapshot, after one of the live table:\n%s", info)
	}
}
