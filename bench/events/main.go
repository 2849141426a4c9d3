// Command events measures how fast live capture drains the kernel's
// connection-tracking events, side by side in one run: ctconv watch as
// built here, ctconv watch of an earlier commit (-base), and conntrack -E,
// each printing to /dev/null and to a file, for events that a program
// causes (conntrack -R of N flows, then conntrack -F: 2N events, at the
// kernel's speed) and events that traffic causes (N loopback UDP
// exchanges: a NEW and an UPDATE each). It needs root, and what
// internal/lab needs; it works in network namespaces of its own.
//
//	go run ./bench/events [-n 100000] [-runs 3] [-base COMMIT]
//
// Two measures, medians of the runs:
//
//   - drain: the reader is stopped (SIGSTOP) while the events are made, so
//     that they wait in its socket's buffer, then resumed: the events it
//     printed, divided by the time until its buffer was empty. That is the
//     rate at which it reads a backlog. A reader whose buffer cannot hold
//     the backlog prints only what fitted (conntrack -E: its -b sizes
//     another socket than the events', in conntrack 1.4.7).
//   - live: the reader runs while the events are made; what it recorded of
//     them, and when its buffer was empty after the last was made (not
//     for the earlier ctconv, which takes minutes over a burst).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ctconv/ctconv/internal/lab"
	"github.com/ctconv/ctconv/internal/netns"
)

func main() {
	n := flag.Int("n", 100_000, "flows of each burst")
	runs := flag.Int("runs", 3, "runs of each measure; the median is shown")
	base := flag.String("base", "1547410", "the earlier `commit` of ctconv to compare with")
	flag.Parse()
	if err := run(*n, *runs, *base); err != nil {
		fmt.Fprintln(os.Stderr, "events bench:", err)
		os.Exit(1)
	}
}

// A reader is a program that prints the events, and how to read its count
// of them from its standard error when it ends.
type reader struct {
	name  string
	args  []string
	count *regexp.Regexp
	live  bool // measure it live too
}

// A cause makes events in a lab: how many, and the function that does.
type cause struct {
	name   string
	events func(n int) int
	make   func(l *lab.Lab, n int, file string) error
}

func run(n, runs int, base string) error {
	if err := lab.Check(); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "ctconv-bench-events")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	head, old := filepath.Join(dir, "ctconv"), filepath.Join(dir, "ctconv-"+base)
	if out, err := exec.Command("go", "build", "-o", head, "./cmd/ctconv").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	if err := buildAt(base, old, dir); err != nil {
		return err
	}
	file := filepath.Join(dir, "burst.save")
	if err := os.WriteFile(file, restoreLines(n), 0o644); err != nil {
		return err
	}
	ctconvCount := regexp.MustCompile(`ctconv watch: (\d+) flow events`)
	readers := []reader{
		{"ctconv watch", []string{head, "watch"}, ctconvCount, true},
		// Its drain alone: live, it loses most of a burst, and takes
		// minutes over the rest.
		{"ctconv watch (" + base + ", --buffer 1G)", []string{old, "watch", "--buffer", strconv.Itoa(1 << 30)}, ctconvCount, false},
		{"conntrack -E", []string{"conntrack", "-E"}, regexp.MustCompile(`(\d+) flow events have been shown`), true},
	}
	causes := []cause{
		{"program (conntrack -R, -F)", func(n int) int { return 2 * n }, func(l *lab.Lab, n int, file string) error {
			if _, err := l.Conntrack("-R", file); err != nil {
				return err
			}
			_, err := l.Conntrack("-F")
			return err
		}},
		{"kernel (UDP traffic)", func(n int) int { return 2 * (n / 5) }, func(l *lab.Lab, n int, _ string) error {
			return l.Do(func() error { return exchanges(n / 5) })
		}},
	}
	fmt.Printf("%d flows a burst; medians of %d runs; %s\n\n", n, runs, time.Now().UTC().Format(time.RFC3339))
	fmt.Println("| events caused by | reader | output | drain: events/s | live: recorded | live: empty after the last |")
	fmt.Println("|---|---|---|--:|--:|--:|")
	for _, c := range causes {
		for _, r := range readers {
			for _, sink := range []string{"/dev/null", "file"} {
				var rates, recorded, after []float64
				want := c.events(n)
				for range runs {
					out := os.DevNull
					if sink == "file" {
						out = filepath.Join(dir, "events.txt")
					}
					m, err := measure(r, c, n, file, out, true)
					if err != nil {
						return fmt.Errorf("%s, %s, drain: %w", c.name, r.name, err)
					}
					rates = append(rates, float64(m.events)/m.empty.Seconds())
					if !r.live {
						continue
					}
					if m, err = measure(r, c, n, file, out, false); err != nil {
						return fmt.Errorf("%s, %s, live: %w", c.name, r.name, err)
					}
					recorded = append(recorded, float64(m.events))
					after = append(after, m.empty.Seconds())
					os.Remove(filepath.Join(dir, "events.txt"))
				}
				live := "- | -"
				if r.live {
					live = fmt.Sprintf("%.0f of %d | %.2f s", median(recorded), want, median(after))
				}
				fmt.Printf("| %s | %s | %s | %.0f | %s |\n", c.name, r.name, sink, median(rates), live)
			}
		}
	}
	return nil
}

// buildAt builds ctconv as it was at commit into bin.
func buildAt(commit, bin, dir string) error {
	tree := filepath.Join(dir, "base.src")
	if out, err := exec.Command("git", "worktree", "add", "-q", "--detach", tree, commit).CombinedOutput(); err != nil {
		return fmt.Errorf("git worktree add %s: %v\n%s", commit, err, out)
	}
	defer exec.Command("git", "worktree", "remove", "--force", tree).Run()
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/ctconv")
	cmd.Dir = tree
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v\n%s", commit, err, out)
	}
	return nil
}

// A measurement is the events a reader printed, and the time from when it
// could read them (resumed, or the last made) until its buffer was empty.
type measurement struct {
	events int
	empty  time.Duration
}

// measure runs reader r in a new lab while c makes the events, stopped
// until they are made if paused, and measures it.
func measure(r reader, c cause, n int, file, out string, paused bool) (measurement, error) {
	l, err := lab.New("ctconv-bench", lab.Options{})
	if err != nil {
		return measurement{}, err
	}
	defer l.Close()
	ns, err := netns.Open(l.NS)
	if err != nil {
		return measurement{}, err
	}
	defer ns.Close()
	sink, err := os.Create(out)
	if err != nil {
		return measurement{}, err
	}
	defer sink.Close()
	cmd := l.Command(r.args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = sink, &stderr
	if err := cmd.Start(); err != nil {
		return measurement{}, err
	}
	defer cmd.Process.Kill()
	time.Sleep(500 * time.Millisecond) // until it listens
	if paused {
		cmd.Process.Signal(syscall.SIGSTOP)
	}
	if err := c.make(l, n, file); err != nil {
		return measurement{}, err
	}
	start := time.Now()
	if paused {
		cmd.Process.Signal(syscall.SIGCONT)
	}
	if err := waitEmpty(ns); err != nil {
		return measurement{}, err
	}
	m := measurement{empty: time.Since(start)}
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	match := r.count.FindStringSubmatch(stderr.String())
	if match == nil {
		return m, fmt.Errorf("%s: no count of events on its standard error: %s", r.name, stderr.String())
	}
	m.events, _ = strconv.Atoi(match[1])
	return m, nil
}

// waitEmpty waits until no socket that listens to conntrack's events in ns
// holds any: the Rmem column of /proc/net/netlink, for NETLINK_NETFILTER
// sockets in groups.
func waitEmpty(ns *netns.NS) error {
	var f *os.File
	if err := ns.Do(func() (err error) { f, err = os.Open("/proc/thread-self/net/netlink"); return err }); err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 1<<16)
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		n, err := f.ReadAt(buf, 0)
		if err != nil && n == 0 {
			return err
		}
		waiting := false
		for _, line := range strings.Split(string(buf[:n]), "\n")[1:] {
			col := strings.Fields(line)
			if len(col) >= 5 && col[1] == "12" && col[3] != "00000000" && col[4] != "0" {
				waiting = true
			}
		}
		if !waiting {
			return nil
		}
	}
	return errors.New("the events still wait after 5 minutes")
}

// restoreLines returns n distinct UDP flows for conntrack -R.
func restoreLines(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		src := fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255)
		fmt.Fprintf(&b, "-A -t 3600 -u SEEN_REPLY -s %s -d 10.255.255.254 -r 10.255.255.254 -q %s -p udp --sport 1024 --dport 53 --reply-port-src 53 --reply-port-dst 1024\n", src, src)
	}
	return b.Bytes()
}

// exchanges makes n UDP request-and-answer exchanges on the loopback
// device, each from a port of its own: a NEW event, and an UPDATE when
// the answer makes the flow SEEN_REPLY.
func exchanges(n int) error {
	srv, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:5353")))
	if err != nil {
		return err
	}
	defer srv.Close()
	go func() {
		buf := make([]byte, 64)
		for {
			m, from, err := srv.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			srv.WriteToUDPAddrPort(buf[:m], from)
		}
	}()
	buf := make([]byte, 64)
	for i := range n {
		c, err := net.DialUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 1, byte(i >> 8), byte(i)}), 0)), srv.LocalAddr().(*net.UDPAddr))
		if err != nil {
			return err
		}
		c.Write([]byte("ping"))
		c.SetReadDeadline(time.Now().Add(time.Second))
		_, err = c.Read(buf)
		c.Close()
		if err != nil {
			return fmt.Errorf("exchange %d: %w", i, err)
		}
	}
	return nil
}

func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}
