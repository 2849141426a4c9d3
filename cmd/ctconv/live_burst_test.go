package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ctconv/ctconv/internal/lab"
)

// droppedTotal is watch's last word on what the kernel dropped.
var droppedTotal = regexp.MustCompile(`ctconv watch: the kernel dropped (\d+) events in `)

// burstFlows is the size of the burst: a table of a busy node, as
// kube-proxy's and conntrackd's users have them.
const burstFlows = 250_000

// burstFile writes a file of n distinct UDP flows for conntrack -R.
func burstFile(t *testing.T, n int) string {
	t.Helper()
	var b bytes.Buffer
	for i := range n {
		src := fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255)
		fmt.Fprintf(&b, "-A -t 3600 -u SEEN_REPLY -s %s -d 10.255.255.254 -r 10.255.255.254 -q %s -p udp --sport 1024 --dport 53 --reply-port-src 53 --reply-port-dst 1024\n", src, src)
	}
	name := filepath.Join(t.TempDir(), "burst.save")
	if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// eventCounter counts the NEW and DESTROY lines that ctconv watch prints.
type eventCounter struct {
	new, destroy atomic.Int64
	done         chan struct{}
}

func countEvents(r *os.File) *eventCounter {
	c := &eventCounter{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			switch line := sc.Bytes(); {
			case bytes.HasPrefix(line, []byte("    [NEW] ")):
				c.new.Add(1)
			case bytes.HasPrefix(line, []byte("[DESTROY] ")):
				c.destroy.Add(1)
			}
		}
	}()
	return c
}

// burst runs ctconv watch with args in the lab while conntrack -R loads
// burstFlows flows and conntrack -F flushes them, the watch stopped during
// the flush if behind (so that the flush's events wait in its buffer), and
// returns the events it printed, the time from the flush until it had
// printed every event or the wait of 30 s ended, its exit status and its
// standard error.
func burst(t *testing.T, l *lab.Lab, bin, file string, behind bool, args ...string) (c *eventCounter, drained time.Duration, code int, stderr string) {
	t.Helper()
	cmd := l.Command(append([]string{bin, "watch"}, args...)...)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	c = countEvents(r)
	subscribed(t, l, cmd)
	start := time.Now()
	if _, err := l.Conntrack("-R", file); err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	flushed := time.Now()
	if behind {
		cmd.Process.Signal(syscall.SIGSTOP)
	}
	if _, err := l.Conntrack("-F"); err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	if behind {
		cmd.Process.Signal(syscall.SIGCONT)
	}
	// Until every event came, or none for 2 s, or 30 s passed.
	for last, at := int64(-1), time.Now(); time.Since(flushed) < 30*time.Second && c.destroy.Load() < burstFlows && time.Since(at) < 2*time.Second; time.Sleep(20 * time.Millisecond) {
		if n := c.new.Load() + c.destroy.Load(); n != last {
			last, at = n, time.Now()
		}
	}
	drained = time.Since(flushed)
	t.Logf("watch %s: restore %v, then %d NEW and %d DESTROY events %v after the flush", strings.Join(args, " "), flushed.Sub(start).Round(time.Millisecond), c.new.Load(), c.destroy.Load(), drained.Round(time.Millisecond))
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	<-c.done
	return c, drained, cmd.ProcessState.ExitCode(), errb.String()
}

// TestLiveWatchBurst is issue 18's burst: ctconv watch, with its
// defaults, records every NEW and every DESTROY event of a restore of
// 250,000 flows and of their flush, within 30 s of the flush. With a
// buffer of 1 MiB, stopped during the flush (it would keep up otherwise),
// it loses events, and says so: on standard error, with the count of each
// overrun, and by its exit status, 3. With --reliable too, the kernel
// keeps the flushed flows until their DESTROY events are delivered: all
// come.
func TestLiveWatchBurst(t *testing.T) {
	l := newLab(t)
	bin := build(t)
	file := burstFile(t, burstFlows)

	c, drained, code, stderr := burst(t, l, bin, file, false)
	if c.new.Load() != burstFlows || c.destroy.Load() != burstFlows || drained >= 30*time.Second || code != 0 {
		t.Errorf("watch with its defaults: %d NEW and %d DESTROY events of %d, %v after the flush, exit %d: %s",
			c.new.Load(), c.destroy.Load(), burstFlows, drained, code, stderr)
	}

	c, _, code, stderr = burst(t, l, bin, file, true, "--buffer", "1M")
	got := c.new.Load() + c.destroy.Load()
	if code != 3 || got == 2*burstFlows || !strings.Contains(stderr, "ctconv watch: overrun 1: the kernel dropped ") {
		t.Errorf("watch --buffer 1M: exit %d after %d of %d events, stderr:\n%s", code, got, 2*burstFlows, stderr)
	}
	// Every event is printed, or counted as dropped, by the kernel's count.
	var dropped int64
	if m := droppedTotal.FindStringSubmatch(stderr); m == nil {
		t.Errorf("watch --buffer 1M: no total of the events dropped: %s", stderr)
	} else if dropped, _ = strconv.ParseInt(m[1], 10, 64); got+dropped != 2*burstFlows {
		t.Errorf("watch --buffer 1M: %d events printed and %d dropped, not %d", got, dropped, 2*burstFlows)
	}

	c, _, code, stderr = burst(t, l, bin, file, true, "--buffer", "1M", "--reliable")
	if c.destroy.Load() != burstFlows {
		t.Errorf("watch --buffer 1M --reliable: %d DESTROY events of %d, exit %d, stderr:\n%s", c.destroy.Load(), burstFlows, code, stderr)
	}
	t.Logf("watch --buffer 1M --reliable: exit %d, %s", code, stderr[max(0, strings.LastIndex(stderr[:max(0, len(stderr)-1)], "\n")+1):])
}
