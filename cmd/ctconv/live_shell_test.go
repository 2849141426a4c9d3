package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLiveEmptyCaptures captures conntrack of an empty table, and of no
// events, with its standard error, as a person does (2>&1): all conntrack
// prints is its message. ctconv reads each as conntrack's, flows or
// expectations as the message says, none of them, the message counted, and
// converts it to nothing, exiting 0.
func TestLiveEmptyCaptures(t *testing.T) {
	l := newLab(t)
	for _, c := range []struct {
		args   []string
		events bool
		want   string // check's summary after the file's name
	}{
		{[]string{"-L"}, false, "conntrack, 0 flows"},
		{[]string{"-L", "-o", "extended"}, false, "conntrack, 0 flows"},
		{[]string{"-L", "-o", "xml"}, false, "conntrack, 0 flows"},
		{[]string{"-L", "-o", "save"}, false, "conntrack, 0 flows"},
		{[]string{"-L", "expect"}, false, "conntrack-expect, 0 expectations"},
		{[]string{"-L", "expect", "-o", "xml"}, false, "conntrack-expect, 0 expectations"},
		{[]string{"-E"}, true, "conntrack, 0 flows"},
		{[]string{"-E", "-o", "xml"}, true, "conntrack, 0 flows"},
		{[]string{"-E", "expect"}, true, "conntrack-expect, 0 expectations"},
	} {
		name := "conntrack " + strings.Join(c.args, " ")
		cmd := l.Command(append([]string{"conntrack"}, c.args...)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if c.events {
			if err := l.WaitSubscribed(cmd.Process.Pid, 10*time.Second); err != nil {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("%s: %v", name, err)
			}
			cmd.Process.Signal(os.Interrupt)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%s: %v: %s", name, err, out.Bytes())
		}
		if !strings.HasPrefix(out.String(), "conntrack v") || strings.Count(out.String(), "\n") != 1 {
			t.Fatalf("%s 2>&1 of an empty table printed %q, not its message alone", name, out.Bytes())
		}
		file := filepath.Join(t.TempDir(), "capture.txt")
		if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		want := file + ": " + c.want + ", 0 bad lines, 1 conntrack message\n"
		if code, stdout, stderr := ctconv(t, "", "check", file); code != 0 || stdout != want || stderr != "" {
			t.Errorf("%s: check exits %d:\n%s%s\nwant 0:\n%s", name, code, stdout, stderr, want)
		}
		if code, stdout, stderr := ctconv(t, "", "convert", "--to", "json", file); code != 0 || stdout != "" {
			t.Errorf("%s: convert --to json exits %d: %q %q; want 0 and nothing", name, code, stdout, stderr)
		}
	}
}

// TestLiveEventsPipe pipes conntrack -E, in each of its -o, into ctconv
// convert as a person does (conntrack -E | ctconv convert --to json -),
// and makes one event at a time with conntrack -I: each comes out
// converted before the next is made, not when more come.
func TestLiveEventsPipe(t *testing.T) {
	l := newLab(t)
	for i, args := range [][]string{{"-E"}, {"-E", "-o", "xml"}, {"-E", "-o", "timestamp"}, {"-E", "-o", "save"}} {
		name := "conntrack " + strings.Join(args, " ")
		cmd := l.Command(append([]string{"conntrack"}, args...)...)
		events, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if err := l.WaitSubscribed(cmd.Process.Pid, 10*time.Second); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("%s: %v", name, err)
		}
		outR, outW := io.Pipe()
		var errb bytes.Buffer
		done := make(chan int)
		go func() {
			code := run([]string{"convert", "--to", "json", "-"}, events, outW, &errb)
			outW.Close()
			done <- code
		}()
		out := bufio.NewScanner(outR)
		for k := range 3 {
			port := strconv.Itoa(1000 + 10*i + k)
			if _, err := l.Conntrack("-I", "-p", "udp", "-s", "10.9.0.1", "-d", "10.9.0.2", "--sport", port, "--dport", "53", "-t", "30"); err != nil {
				t.Fatal(err)
			}
			got := make(chan string, 1)
			go func() {
				if out.Scan() {
					got <- out.Text()
				}
				close(got)
			}()
			select {
			case line := <-got:
				if !strings.Contains(line, `"proto-src-port":`+port+",") {
					t.Errorf("%s: event %d came out as %s", name, k+1, line)
				}
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("%s: event %d did not come out while conntrack -E waited for the next", name, k+1)
			}
		}
		// conntrack ends, and so its events, and then convert; Wait, which
		// closes the pipe, comes after the reading.
		cmd.Process.Signal(os.Interrupt)
		for out.Scan() {
		}
		if code := <-done; code != 0 {
			t.Errorf("%s: convert exits %d: %s", name, code, errb.String())
		}
		cmd.Wait()
	}
}
