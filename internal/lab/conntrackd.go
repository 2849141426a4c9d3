package lab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Conntrackd is a conntrackd daemon running in a lab, in the foreground,
// with a configuration, lock file and UNIX socket of its own in the lab's
// folder: no service, nothing of the host's. Stop ends it by its PID.
type Conntrackd struct {
	// Config is its conntrackd.conf, which its client requests read too.
	Config string
	lab    *Lab
	cmd    *exec.Cmd
	out    bytes.Buffer // what it printed, for the errors
	done   chan struct{}
	stop   sync.Once
	err    error
}

// syncModes are the sync modes of conntrackd.conf(5) Pair can set up, by
// name, with their options. ALARM's external cache has timers, and so
// prints [expires in Ns]: it drops a peer's entry CacheTimeout seconds
// after the peer last sent it.
var syncModes = map[string]string{
	"FTFW":    "Mode FTFW {\n\t\tDisableExternalCache no\n\t}",
	"NOTRACK": "Mode NOTRACK {\n\t\tDisableExternalCache no\n\t}",
	"ALARM":   "Mode ALARM {\n\t\tRefreshTime 5\n\t\tCacheTimeout 120\n\t}",
}

// conntrackdConf is a configuration of one end of a Pair: it syncs in
// mode %[1]s over UDP on the lab's sync0, from %[2]s to %[3]s, with
// expectations; its lock file and socket are in the folder %[4]s. It logs
// nowhere but to its standard output, and runs at the lowest real-time
// priority, not at the default 99 (conntrackd 1.4.7 always takes a
// real-time scheduler).
const conntrackdConf = `Sync {
	%[1]s
	UDP {
		IPv4_address %[2]s
		IPv4_Destination_Address %[3]s
		Port 3780
		Interface sync0
		Checksum on
	}
	Options {
		ExpectationSync on
	}
}
General {
	Systemd no
	HashSize 8192
	HashLimit 65535
	LogFile off
	Syslog off
	LockFile %[4]s/conntrackd.lock
	UNIX {
		Path %[4]s/conntrackd.sock
	}
	Scheduler {
		Type RR
		Priority 1
	}
}
`

// Pair joins labs a and b by a veth pair, sync0 in each, at 10.160.0.1/24
// in a and 10.160.0.2/24 in b, and starts a conntrackd in each that syncs
// with the other over UDP in mode ("FTFW", "NOTRACK" or "ALARM"): the
// flows of a's table reach b's external cache, and b's a's.
func Pair(a, b *Lab, mode string) (da, db *Conntrackd, err error) {
	opts, ok := syncModes[mode]
	if !ok {
		return nil, nil, fmt.Errorf("conntrackd: no sync mode %q", mode)
	}
	if _, err := run(nil, exec.Command("ip", "link", "add", "sync0", "netns", a.NS, "type", "veth", "peer", "name", "sync0", "netns", b.NS)); err != nil {
		return nil, nil, err
	}
	addrs := [2]string{"10.160.0.1", "10.160.0.2"}
	var ds [2]*Conntrackd
	for i, l := range []*Lab{a, b} {
		for _, s := range [][]string{{"ip", "addr", "add", addrs[i] + "/24", "dev", "sync0"}, {"ip", "link", "set", "sync0", "up"}} {
			if _, err := l.Exec(nil, s...); err != nil {
				return nil, nil, err
			}
		}
		if ds[i], err = l.StartConntrackd(fmt.Sprintf(conntrackdConf, opts, addrs[i], addrs[1-i], l.dir)); err != nil {
			if i == 1 {
				ds[0].Stop()
			}
			return nil, nil, err
		}
	}
	return ds[0], ds[1], nil
}

// StartConntrackd writes conf to the lab's folder as conntrackd.conf and
// starts conntrackd with it in the lab (see Command), in the foreground;
// it returns once the daemon answers requests on its socket. Close stops
// it if Stop has not. A lab runs one daemon at a time.
func (l *Lab) StartConntrackd(conf string) (*Conntrackd, error) {
	d := &Conntrackd{Config: filepath.Join(l.dir, "conntrackd.conf"), lab: l, done: make(chan struct{})}
	if err := os.WriteFile(d.Config, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	// nsenter and ip netns exec exec it: the process is conntrackd's.
	d.cmd = l.Command("conntrackd", "-C", d.Config)
	d.cmd.Stdout, d.cmd.Stderr = &d.out, &d.out
	if err := d.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		d.err = d.cmd.Wait()
		close(d.done)
	}()
	for deadline := time.Now().Add(5 * time.Second); ; {
		select {
		case <-d.done:
			return nil, fmt.Errorf("conntrackd -C %s ended: %v: %s", d.Config, d.err, strings.TrimSpace(d.out.String()))
		default:
		}
		_, err := d.Client("-s", "runtime")
		if err == nil {
			l.daemons = append(l.daemons, d)
			return d, nil
		}
		if time.Now().After(deadline) {
			d.Stop()
			return nil, fmt.Errorf("conntrackd -C %s does not answer: %w", d.Config, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Client runs conntrackd -C Config with args in the lab, a request to the
// daemon (-i, -e, -s, ...), and returns its stdout.
func (d *Conntrackd) Client(args ...string) ([]byte, error) {
	return d.lab.Exec(nil, append([]string{"conntrackd", "-C", d.Config}, args...)...)
}

// PID returns the daemon's process ID.
func (d *Conntrackd) PID() int { return d.cmd.Process.Pid }

// Stop ends the daemon by its PID: SIGTERM, on which it removes its lock
// file and socket, then SIGKILL if it has not ended two seconds later.
func (d *Conntrackd) Stop() error {
	d.stop.Do(func() {
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(2 * time.Second):
			d.cmd.Process.Kill()
			<-d.done
			d.err = errors.Join(errors.New("conntrackd did not end on SIGTERM: killed"), d.err)
		}
	})
	if d.err != nil {
		return fmt.Errorf("conntrackd -C %s: %w: %s", d.Config, d.err, strings.TrimSpace(d.out.String()))
	}
	return nil
}
