// Package lab builds network namespaces of our own and fills their
// connection-tracking tables, for live tests and corpus captures against the
// real kernel. It needs root, iproute2, nftables, conntrack-tools and
// util-linux, and conntrackd for [Pair]. Its commands find label names of the lab's, not the host's,
// and cannot write to the host's /etc: see [Lab.Command].
package lab

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ctconv/ctconv/internal/netns"
)

// Lab is a network namespace with connection tracking switched on, with
// accounting and timestamps, and a mount namespace where its commands
// find label names of its own.
type Lab struct {
	NS string
	// LabelFile is the lab's connlabel.conf: the names of the label bits
	// its ruleset sets (0 zero-label, 3 bit3-label, 7 web traffic), which
	// its commands read at /etc/xtables/connlabel.conf and
	// /etc/connlabel.conf. ForTest points ctconv at it.
	LabelFile string
	dir       string // the lab's temporary folder, LabelFile's
	mounts    *mountNS
	daemons   []*Conntrackd // StartConntrackd's, which Close stops
}

// Check returns why labs cannot be built here, or nil.
func Check() error {
	if os.Geteuid() != 0 {
		return errors.New("needs root (to create network namespaces)")
	}
	var missing []string
	for _, bin := range []string{"ip", "nft", "conntrack", "unshare", "nsenter", "mount"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("needs %s on PATH (apt-get install iproute2 nftables conntrack util-linux mount)", strings.Join(missing, ", "))
	}
	return nil
}

// ruleset makes the kernel track the namespace's traffic (any rule that uses
// conntrack does), drops what reaches two ports so that connections to them
// stay unreplied, attaches the FTP helper to port 2121 so that its traffic
// makes expectations, and labels connections to port 8080.
const ruleset = `table inet ctconv {
	ct helper ftp-standard {
		type "ftp" protocol tcp;
	}
	chain out {
		type filter hook output priority 0; policy accept;
		tcp dport 2121 ct helper set "ftp-standard"
		tcp dport 8080 ct label set 3
		tcp dport 8080 ct label set 7
	}
	chain in {
		type filter hook input priority 0; policy accept;
		ct state invalid counter
		tcp dport 9 drop
		udp dport 9 drop
	}
}
`

// connlabels names the label bits the ruleset sets, in the lab's
// connlabel.conf.
const connlabels = "0\tzero-label\n3\tbit3-label\n7\tweb traffic\n"

// Options change how New sets a namespace up.
type Options struct {
	// NoAccounting leaves packet counters and timestamps off, so that the
	// kernel prints neither packets=/bytes= nor delta-time=.
	NoAccounting bool
}

// New creates a namespace whose name starts with prefix.
func New(prefix string, opts Options) (*Lab, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	l := &Lab{NS: fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), rand.N(1<<20)), dir: dir, LabelFile: filepath.Join(dir, "connlabel.conf")}
	// Readable by all, for the tests that run ctconv as user nobody.
	if err := os.Chmod(dir, 0o755); err != nil {
		l.Close()
		return nil, err
	}
	if err := os.WriteFile(l.LabelFile, []byte(connlabels), 0o644); err != nil {
		l.Close()
		return nil, err
	}
	if _, err := run(nil, exec.Command("ip", "netns", "add", l.NS)); err != nil {
		l.Close()
		return nil, err
	}
	// After the network namespace: the mount namespace copies its
	// /run/netns/NS.
	if l.mounts, err = newMountNS(dir, l.LabelFile); err != nil {
		l.Close()
		return nil, err
	}
	steps := [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"sysctl", "-qw", "net.netfilter.nf_conntrack_acct=1", "net.netfilter.nf_conntrack_timestamp=1"},
	}
	if opts.NoAccounting {
		steps[1] = []string{"sysctl", "-qw", "net.netfilter.nf_conntrack_acct=0", "net.netfilter.nf_conntrack_timestamp=0"}
	}
	for _, s := range steps {
		if _, err := l.Exec(nil, s...); err != nil {
			l.Close()
			return nil, err
		}
	}
	if _, err := l.Exec([]byte(ruleset), "nft", "-f", "-"); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Close ends what New started: the mount namespace's process, the
// network namespace, the temporary folder; and the conntrackd daemons
// started in the lab that are still running.
func (l *Lab) Close() error {
	var errs []error
	for _, d := range l.daemons {
		errs = append(errs, d.Stop())
	}
	if l.mounts != nil {
		errs = append(errs, l.mounts.close())
	}
	if _, err := os.Stat("/run/netns/" + l.NS); err == nil {
		_, err := run(nil, exec.Command("ip", "netns", "del", l.NS))
		errs = append(errs, err)
	}
	errs = append(errs, os.RemoveAll(l.dir))
	return errors.Join(errs...)
}

// Command returns the command that runs args in the namespace, network and
// mount: there, /etc is the host's under an overlay that holds the lab's
// LabelFile as /etc/xtables/connlabel.conf, where conntrack 1.4.7 reads
// label names (libnetfilter_conntrack's nfct_labelmap_new has no other
// path), and /etc/connlabel.conf, where nft does; whatever the command
// writes to /etc stays in the overlay, in memory. The command runs in
// UTC, so that conntrack's local times are.
func (l *Lab) Command(args ...string) *exec.Cmd {
	cmd := exec.Command("nsenter", append([]string{"--mount=/proc/" + strconv.Itoa(l.mounts.cmd.Process.Pid) + "/ns/mnt", "--",
		"ip", "netns", "exec", l.NS}, args...)...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	return cmd
}

// MountCommand returns the command that runs args in the lab's mount
// namespace (see Command), but in the caller's network namespace, as a
// command that names the lab's from outside (ctconv --netns) runs: ip
// netns exec is not there to mount /etc/netns/NS over /etc.
func (l *Lab) MountCommand(args ...string) *exec.Cmd {
	cmd := exec.Command("nsenter", append([]string{"--mount=/proc/" + strconv.Itoa(l.mounts.cmd.Process.Pid) + "/ns/mnt", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	return cmd
}

// Exec runs a command in the namespace (see Command) with stdin and
// returns its stdout.
func (l *Lab) Exec(stdin []byte, args ...string) ([]byte, error) {
	return run(stdin, l.Command(args...))
}

// Conntrack runs conntrack with args in the namespace and returns its stdout.
func (l *Lab) Conntrack(args ...string) ([]byte, error) {
	return l.Exec(nil, append([]string{"conntrack"}, args...)...)
}

// Listen starts conntrack -E with args in the namespace, and returns once
// it has subscribed to events (WaitSubscribed); stop interrupts it and
// returns what it printed on stdout.
func (l *Lab) Listen(args ...string) (stop func() ([]byte, error), err error) {
	return l.ListenWith("conntrack", args...)
}

// ListenWith is Listen with the conntrack program at bin, such as
// another version's.
func (l *Lab) ListenWith(bin string, args ...string) (stop func() ([]byte, error), err error) {
	cmd := l.Command(append([]string{bin}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if err := l.WaitSubscribed(cmd.Process.Pid, 10*time.Second); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%s %s: %w: %s", bin, strings.Join(args, " "), err, errb.String())
	}
	return func() ([]byte, error) {
		cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil && cmd.ProcessState.ExitCode() != 0 && !strings.Contains(err.Error(), "interrupt") {
			return out.Bytes(), fmt.Errorf("%s %s: %w: %s", bin, strings.Join(args, " "), err, errb.String())
		}
		return out.Bytes(), nil
	}, nil
}

// ProcExpect returns the namespace's /proc/net/nf_conntrack_expect.
func (l *Lab) ProcExpect() ([]byte, error) {
	return l.Exec(nil, "cat", "/proc/net/nf_conntrack_expect")
}

// Proc returns the namespace's /proc/net/nf_conntrack.
func (l *Lab) Proc() ([]byte, error) {
	return l.Exec(nil, "cat", "/proc/net/nf_conntrack")
}

// Insert creates the entries with conntrack -I.
func (l *Lab) Insert(entries []Entry) error {
	for _, e := range entries {
		if _, err := l.Exec(nil, append([]string{"conntrack", "-I"}, e...)...); err != nil {
			return err
		}
	}
	return nil
}

// Flush empties the namespace's table.
func (l *Lab) Flush() error {
	_, err := l.Exec(nil, "conntrack", "-F")
	return err
}

// Do runs fn on a thread that is in the namespace, so that the sockets fn
// opens belong to it.
func (l *Lab) Do(fn func() error) error {
	ns, err := netns.Open(l.NS)
	if err != nil {
		return err
	}
	defer ns.Close()
	return ns.Do(fn)
}

// run runs cmd with stdin and returns its stdout, or an error with its
// stderr.
func run(stdin []byte, cmd *exec.Cmd) ([]byte, error) {
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}
