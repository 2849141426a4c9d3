package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ctconv/ctconv/internal/lab"
)

// asService runs ctconv in the namespace as a service would: user nobody
// with CAP_NET_ADMIN, which may use netlink but not read
// /proc/net/nf_conntrack (mode 0440, root's).
func asService(l *lab.Lab, bin string, args ...string) *exec.Cmd {
	return l.Command(append([]string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
		"--inh-caps=+net_admin", "--ambient-caps=+net_admin", bin}, args...)...)
}

// TestLiveNetlinkSnapshot snapshots a namespace's table where
// /proc/net/nf_conntrack cannot be read: ctconv snapshot takes netlink,
// and the snapshot prints as conntrack -L, and stats counts it.
func TestLiveNetlinkSnapshot(t *testing.T) {
	l := newLab(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("needs setpriv (util-linux)")
	}
	s := seed(t)
	if err := l.Insert(append(lab.Fixed(), lab.Random(rand.New(rand.NewPCG(s, s)), 100)...)); err != nil {
		t.Fatal(err)
	}
	closeAll, err := l.Traffic()
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	bin := build(t)
	dir, err := os.MkdirTemp("", "ctconv-netlink") // where user nobody may write
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o777)
	snap := filepath.Join(dir, "table.ctsnap")

	if out, err := asService(l, "/bin/cat", "/proc/net/nf_conntrack").CombinedOutput(); err == nil {
		t.Fatalf("the service user reads /proc/net/nf_conntrack: %.100s", out)
	}
	for try := 1; ; try++ {
		time.Sleep(200 * time.Millisecond)
		want, err := l.Conntrack("-L", "-o", "id,labels")
		if err != nil {
			t.Fatal(err)
		}
		if out, err := asService(l, bin, "snapshot", "-o", snap).CombinedOutput(); err != nil {
			t.Fatalf("snapshot: %v: %s", err, out)
		}
		code, got, errs := ctconv(t, "", "convert", "--with", "id,labels", snap)
		if code != 0 {
			t.Fatalf("convert: exit %d: %s", code, errs)
		}
		d := cmp.Diff(volatile(t, string(want), false), volatile(t, got, false))
		if d == "" {
			break
		}
		if try == 3 {
			t.Fatalf("the netlink snapshot differs from conntrack -L (-want +got):\n%s", d)
		}
		t.Logf("try %d: traffic moved between the reads:\n%s", try, d)
	}
	var code int
	var diff, errs string
	l.Do(func() error {
		code, diff, errs = ctconv(t, "", "diff", "--ignore", "counters,state", snap, netlinkSource)
		return nil
	})
	// Traffic may have moved since the snapshot; nothing else.
	if code == 2 || code == 1 && !strings.Contains(diff, "unchanged") {
		t.Errorf("diff of the snapshot and the table over netlink: exit %d: %s%s", code, diff, errs)
	}
	_, info, _ := ctconv(t, "", "snapshot", "--info", snap)
	if !strings.Contains(info, "source:   conntrack") || !strings.Contains(info, "kernel:") {
		t.Errorf("header:\n%s", info)
	}

	out, err := asService(l, bin, "stats", "--source", "netlink", "--format", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	count, err := l.Conntrack("-C")
	if err != nil {
		t.Fatal(err)
	}
	max, _ := l.Exec(nil, "cat", "/proc/sys/net/netfilter/nf_conntrack_max")
	if !bytes.Contains(out, []byte(`"flows":`+strings.TrimSpace(string(count))+`,`)) || !bytes.Contains(out, []byte(`"max":`+strings.TrimSpace(string(max)))) {
		t.Errorf("stats --source netlink: %s; conntrack -C: %s, nf_conntrack_max: %s", out, count, max)
	}
}

// watcher is a ctconv watch running in a namespace.
type watcher struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
}

func startWatch(t *testing.T, l *lab.Lab, bin string, args ...string) *watcher {
	t.Helper()
	w := &watcher{cmd: l.Command(append([]string{bin, "watch"}, args...)...)}
	w.cmd.Stdout, w.cmd.Stderr = &w.stdout, &w.stderr
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	subscribed(t, l, w.cmd)
	return w
}

// subscribed waits until cmd, started in l, has subscribed to the lab's
// events, so that it misses none of those made from then on; else it
// stops cmd and fails t with its standard error.
func subscribed(t *testing.T, l *lab.Lab, cmd *exec.Cmd) {
	t.Helper()
	if err := l.WaitSubscribed(cmd.Process.Pid, 10*time.Second); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("%v: %v: %s", cmd.Args, err, cmd.Stderr)
	}
}

// stop interrupts the watch and returns its exit status.
func (w *watcher) stop() int {
	w.cmd.Process.Signal(os.Interrupt)
	w.cmd.Wait()
	return w.cmd.ProcessState.ExitCode()
}

// progname is what conntrack -E and ctconv watch look up, each as best it
// can, while the process that caused an event may be gone.
var progname = regexp.MustCompile(` progname=\S+`)

// TestLiveWatch records the same scripted inserts, updates and deletes, and
// real traffic, with conntrack -E and ctconv watch side by side, in
// conntrack's text, XML and save forms and into a snapshot: each ctconv
// output equals conntrack's, but for the names of the processes behind
// [USERSPACE] events, which both look up as best they can.
func TestLiveWatch(t *testing.T) {
	l := newLab(t)
	bin := build(t)
	snap := filepath.Join(t.TempDir(), "events.ctsnap")
	forms := []watchForm{
		{[]string{"-E"}, nil},
		{[]string{"-E", "-o", "extended,id"}, []string{"--with", "extended,id"}},
		{[]string{"-E", "-o", "xml"}, []string{"--to", "xml"}},
		{[]string{"-E", "-o", "save"}, []string{"--to", "save"}},
	}
	mask := func(s string) []string { return strings.Split(progname.ReplaceAllString(s, ""), "\n") }
	first, toFile := watchBeside(t, l, bin, l.Listen, forms, mask, "-o", snap)
	if code := toFile.stop(); code != 0 {
		t.Fatalf("ctconv watch -o: exit %d: %s", code, toFile.stderr.String())
	}
	code, got, errs := ctconv(t, "", "convert", snap)
	if code != 0 {
		t.Fatalf("convert the snapshot: exit %d: %s", code, errs)
	}
	// Two sockets may see events of different CPUs at the same moment in
	// different orders (a flow's FIN_WAIT and CLOSE_WAIT, say): the two
	// captures hold the same events, each in the order its socket saw.
	printed, snapped := mask(first), mask(got)
	slices.Sort(printed)
	slices.Sort(snapped)
	if d := cmp.Diff(printed, snapped); d != "" {
		t.Errorf("the snapshot of the events prints otherwise than watch printed them (-watch +snapshot, sorted):\n%s", d)
	}
}

// A watchForm is a form of conntrack -E's output, and the flags that make
// ctconv watch print it.
type watchForm struct{ conntrack, ctconv []string }

// watchBeside starts conntrack -E (listen) and ctconv watch in each of
// the forms, and one more ctconv watch with args if any, and makes the same events
// for all: scripted inserts, updates and deletes, real traffic, a flush.
// Each watch's output must equal its conntrack's, compared line by line
// after mask. It returns what the first watch printed, and the watch with
// args, still running, or nil.
func watchBeside(t *testing.T, l *lab.Lab, bin string, listen func(args ...string) (func() ([]byte, error), error), forms []watchForm, mask func(string) []string, args ...string) (string, *watcher) {
	t.Helper()
	var stops []func() ([]byte, error)
	var watchers []*watcher
	for _, f := range forms {
		stop, err := listen(f.conntrack...)
		if err != nil {
			t.Fatal(err)
		}
		stops = append(stops, stop)
		watchers = append(watchers, startWatch(t, l, bin, f.ctconv...))
	}
	var more *watcher
	if len(args) > 0 {
		more = startWatch(t, l, bin, args...)
	}

	if err := l.Insert(lab.Fixed()); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-U", "-s", "10.0.0.1", "-m", "77"},
		{"-D", "-p", "sctp"},
		{"-D", "-s", "10.1.0.1"},
	} {
		if _, err := l.Conntrack(args...); err != nil {
			t.Fatalf("conntrack %v: %v", args, err)
		}
	}
	if err := l.Do(exchange); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if _, err := l.Conntrack("-F"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)

	for i, f := range forms {
		want, err := stops[i]()
		if err != nil {
			t.Fatal(err)
		}
		w := watchers[i]
		if code := w.stop(); code != 0 {
			t.Fatalf("ctconv watch %v: exit %d: %s", f.ctconv, code, w.stderr.String())
		}
		if n := bytes.Count(want, []byte("\n")); n < 100 {
			t.Fatalf("conntrack %v printed only %d lines", f.conntrack, n)
		}
		if d := cmp.Diff(mask(string(want)), mask(w.stdout.String())); d != "" {
			t.Errorf("ctconv watch %v differs from conntrack %v (-want +got):\n%s", f.ctconv, f.conntrack, d)
		}
	}
	return watchers[0].stdout.String(), more
}

// exchange makes traffic that ends at once: a TCP connection, opened,
// used and closed by both ends, and a UDP request and answer, over IPv4
// and IPv6.
func exchange() error {
	for _, host := range []string{"127.0.0.1", "::1"} {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return err
		}
		go func() {
			if c, err := ln.Accept(); err == nil {
				io.Copy(c, c)
				c.Close()
			}
		}()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		c.Write([]byte("hello"))
		c.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, c)
		c.Close()
		ln.Close()

		pc, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
		if err != nil {
			return err
		}
		u, err := net.Dial("udp", pc.LocalAddr().String())
		if err != nil {
			return err
		}
		u.Write([]byte("ping"))
		buf := make([]byte, 16)
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		pc.WriteTo(buf[:n], from)
		u.Read(buf)
		u.Close()
		pc.Close()
	}
	return nil
}

// TestLiveWatchLoss makes the kernel drop events: a watch with the smallest
// buffer, whose output nobody reads for a while, during a burst of real
// flows. It must say so and exit with status 3.
func TestLiveWatchLoss(t *testing.T) {
	l := newLab(t)
	bin := build(t)
	cmd := l.Command(bin, "watch", "--buffer", "1")
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	subscribed(t, l, cmd)
	if err := l.Bulk(3000, 1); err != nil {
		t.Fatal(err)
	}
	done := make(chan int64)
	go func() {
		n, _ := io.Copy(io.Discard, pipe)
		done <- n
	}()
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	n := <-done
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 3 || !strings.Contains(stderr.String(), "ctconv watch: overrun 1: the kernel dropped ") {
		t.Errorf("exit %d after %d bytes of events, stderr:\n%s", code, n, stderr.String())
	}
}

// TestLiveWatchGaps loses events into a snapshot: a watch with the
// smallest buffer, during a restore of 3,000 flows and their flush. The snapshot marks each
// overrun as a gap, with the count of events lost, which snapshot --info
// lists and convert reports as it prints the events in a format that
// cannot mark them.
func TestLiveWatchGaps(t *testing.T) {
	l := newLab(t)
	bin := build(t)
	snap := filepath.Join(t.TempDir(), "events.ctsnap")
	w := startWatch(t, l, bin, "--buffer", "1", "--to", "snapshot", "-o", snap)
	const flows = 3000
	if _, err := l.Conntrack("-R", burstFile(t, flows)); err != nil {
		t.Fatal(err)
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if code := w.stop(); code != 3 {
		t.Fatalf("watch: exit %d, want 3: %s", code, w.stderr.String())
	}
	overruns := strings.Count(w.stderr.String(), "ctconv watch: overrun ")
	code, info, errs := ctconv(t, "", "snapshot", "--info", snap)
	if code != 0 || overruns == 0 || !strings.Contains(info, fmt.Sprintf("gaps:     %d, where the kernel dropped ", overruns)) {
		t.Fatalf("%d overruns; snapshot --info: exit %d: %s%s", overruns, code, info, errs)
	}
	// Each of the 2 × 3,000 events is in the snapshot, or counted in a gap.
	m := droppedTotal.FindStringSubmatch(w.stderr.String())
	kept := regexp.MustCompile(`records: +(\d+) flows`).FindStringSubmatch(info)
	if m == nil || kept == nil || atoi(t, m[1])+atoi(t, kept[1]) != 2*flows {
		t.Errorf("%v dropped and %v kept, not %d in all:\n%s", m, kept, 2*flows, info)
	}
	code, _, errs = ctconv(t, "", "convert", snap)
	if code != 0 || !strings.Contains(errs, fmt.Sprintf("the capture has %s, where the kernel dropped ", plural(overruns, "gap"))) {
		t.Errorf("convert: exit %d: %s", code, errs)
	}
	code, _, errs = ctconv(t, "", "convert", "--to", "snapshot", "-o", snap+"2", snap)
	if code != 0 || errs != "" {
		t.Errorf("convert --to snapshot: exit %d: %s", code, errs)
	}
	if _, again, _ := ctconv(t, "", "snapshot", "--info", snap+"2"); !strings.Contains(again, info[strings.Index(info, "gaps:"):strings.Index(info, "tool:")]) {
		t.Errorf("the snapshot of the snapshot lists other gaps:\n%s\nwant\n%s", again, info)
	}
}

// TestLiveWatchNetns watches a lab's events from outside it, with
// --netns, beside a watch inside it: both print the same events, the
// names of the programs behind [USERSPACE] events too, looked up in the
// lab's table of netlink sockets, where the port ids are the lab's.
func TestLiveWatchNetns(t *testing.T) {
	l := newLab(t)
	bin := build(t)
	inside := startWatch(t, l, bin)
	outside := &watcher{cmd: l.MountCommand(bin, "watch", "--netns", l.NS)}
	outside.cmd.Stdout, outside.cmd.Stderr = &outside.stdout, &outside.stderr
	if err := outside.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	subscribed(t, l, outside.cmd)
	// A program that holds its socket until both have read its events, so
	// that both find its name.
	hold := l.Command("sh", "-c", "conntrack -I -p tcp -s 10.9.0.1 -d 10.9.0.2 --sport 1 --dport 2 --state ESTABLISHED -t 50 && sleep 1")
	if err := l.Insert(lab.Fixed()); err != nil {
		t.Fatal(err)
	}
	if out, err := hold.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if _, err := l.Conntrack("-F"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	for _, w := range []*watcher{inside, outside} {
		if code := w.stop(); code != 0 {
			t.Fatalf("watch: exit %d: %s", code, w.stderr.String())
		}
	}
	mask := func(s string) []string { return strings.Split(progname.ReplaceAllString(s, ""), "\n") }
	if n := strings.Count(inside.stdout.String(), "\n"); n < 20 {
		t.Fatalf("watch printed only %d events", n)
	}
	if d := cmp.Diff(mask(inside.stdout.String()), mask(outside.stdout.String())); d != "" {
		t.Errorf("watch --netns differs from watch inside the namespace (-inside +outside):\n%s", d)
	}
	if !strings.Contains(outside.stdout.String(), "progname=") {
		t.Errorf("watch --netns names no program behind [USERSPACE] events:\n%s", outside.stdout.String())
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
