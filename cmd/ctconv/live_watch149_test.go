package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/internal/lab"
)

// conntrack149 is conntrack 1.4.9 as testdata/corpus/capture-1.4.9.sh
// builds it, beside the system's 1.4.7.
const conntrack149 = "/opt/conntrack-1.4.9/sbin/conntrack"

// when is XML's <when>: the time each reader prints an event, to the
// second, which two readers may see on either side of a second's end.
var when = regexp.MustCompile(`<when>.*?</when>`)

// TestLiveWatchConntrack149 records the same scripted inserts, updates
// and deletes, and real traffic, with conntrack 1.4.9's -E and ctconv
// watch --with conntrack-1.4.9 side by side, as TestLiveWatch does with
// 1.4.7: each output equals conntrack's, but for the names of the
// processes behind [USERSPACE] events and XML's <when>. The times of -o
// timestamp are the kernel's, so they agree to the microsecond.
func TestLiveWatchConntrack149(t *testing.T) {
	if _, err := os.Stat(conntrack149); err != nil {
		t.Skipf("needs conntrack 1.4.9 at %s, which testdata/corpus/capture-1.4.9.sh builds: %v", conntrack149, err)
	}
	l := newLab(t)
	bin := build(t)
	forms := []watchForm{
		{[]string{"-E"}, []string{"--with", "conntrack-1.4.9"}},
		{[]string{"-E", "-o", "timestamp"}, []string{"--with", "timestamp,conntrack-1.4.9"}},
		{[]string{"-E", "-o", "xml"}, []string{"--to", "xml", "--with", "conntrack-1.4.9"}},
		{[]string{"-E", "-o", "xml,timestamp"}, []string{"--to", "xml", "--with", "timestamp,conntrack-1.4.9"}},
		{[]string{"-E", "-o", "save"}, []string{"--to", "save", "--with", "conntrack-1.4.9"}},
	}
	listen := func(args ...string) (func() ([]byte, error), error) { return l.ListenWith(conntrack149, args...) }
	mask := func(s string) []string {
		return strings.Split(when.ReplaceAllString(progname.ReplaceAllString(s, ""), "<when/>"), "\n")
	}
	watchBeside(t, l, bin, listen, forms, mask)
}

// newStamp is the event time conntrack -E -o timestamp prints before a
// NEW event.
var newStamp = regexp.MustCompile(`(?m)^\[(\d+)\.(\d{6})\]\t +\[NEW\] `)

// TestLiveWatchEventTime checks, without conntrack 1.4.9, that --with
// conntrack-1.4.9 prints the kernel's times of events, not the times it
// reads them, and XML without [USERSPACE]: two watches are held stopped
// while conntrack -I makes events, and resumed a while later. The times
// 1.4.9's prints are those of the inserts; 1.4.7's, those after the
// resumption. (An entry of lab.Fixed times out meanwhile: its DESTROY
// event is not one of the inserts'.)
func TestLiveWatchEventTime(t *testing.T) {
	if !atLeast(6, 14) {
		t.Skip("needs Linux 6.14 or later, whose events carry their time")
	}
	l := newLab(t)
	bin := build(t)
	v149 := startWatch(t, l, bin, "--with", "timestamp,conntrack-1.4.9")
	v147 := startWatch(t, l, bin, "--with", "timestamp")
	xml149 := startWatch(t, l, bin, "--to", "xml", "--with", "conntrack-1.4.9")
	xml147 := startWatch(t, l, bin, "--to", "xml")
	for _, w := range []*watcher{v149, v147} {
		if err := w.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
	}
	before := time.Now()
	if err := l.Insert(lab.Fixed()); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	time.Sleep(1200 * time.Millisecond)
	resumed := time.Now()
	for _, w := range []*watcher{v149, v147} {
		if err := w.cmd.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	for _, w := range []*watcher{v149, v147, xml149, xml147} {
		if code := w.stop(); code != 0 {
			t.Fatalf("ctconv %v: exit %d: %s", w.cmd.Args, code, w.stderr.String())
		}
	}
	n := len(lab.Fixed())
	for _, c := range []struct {
		w          *watcher
		name       string
		from, upto time.Time
	}{
		{v149, "1.4.9: the kernel's times, those of the inserts", before, after},
		{v147, "1.4.7: the times of reading, after the resumption", resumed, time.Now()},
	} {
		stamps := newStamp.FindAllStringSubmatch(c.w.stdout.String(), -1)
		if len(stamps) != n {
			t.Errorf("%s: %d NEW events with a time, want %d:\n%s", c.name, len(stamps), n, c.w.stdout.String())
		}
		for _, s := range stamps {
			sec, _ := strconv.ParseInt(s[1], 10, 64)
			usec, _ := strconv.ParseInt(s[2], 10, 64)
			if at := time.Unix(sec, usec*1000); at.Before(c.from.Truncate(time.Microsecond)) || at.After(c.upto) {
				t.Errorf("%s: an event at %v, not within %v and %v", c.name, at.Format(time.StampMicro), c.from.Format(time.StampMicro), c.upto.Format(time.StampMicro))
			}
		}
	}
	got, old := xml149.stdout.String(), xml147.stdout.String()
	if strings.Count(old, "</flow> [USERSPACE] portid=") != n || strings.Contains(got, "[USERSPACE]") {
		t.Errorf("XML: [USERSPACE] %d times in 1.4.7's, %d in 1.4.9's; want %d and 0", strings.Count(old, "[USERSPACE]"), strings.Count(got, "[USERSPACE]"), n)
	}
	if d := cmp.Diff(strings.Split(got, "\n"), strings.Split(regexp.MustCompile(`</flow> \[USERSPACE\].*`).ReplaceAllString(old, "</flow>"), "\n")); d != "" {
		t.Errorf("XML of 1.4.9 is not 1.4.7's without [USERSPACE] (-1.4.9 +1.4.7):\n%s", d)
	}
}

// atLeast reports whether the running kernel is Linux major.minor or
// later; true where its release cannot be read.
func atLeast(major, minor int) bool {
	release, err := os.ReadFile("/proc/sys/kernel/osrelease")
	var ma, mi int
	if _, err2 := fmt.Sscanf(string(release), "%d.%d", &ma, &mi); err != nil || err2 != nil {
		return true
	}
	return ma > major || ma == major && mi >= minor
}
