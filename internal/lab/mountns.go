package lab

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// mountScript makes the lab's mount namespace (unshare runs it in a new
// one, private, so that nothing it mounts reaches the host's): a tmpfs on
// $1, the folder ns of the lab's own, holds the upper layer of an overlay
// on /etc, with the connlabel.conf $2 in both places the tools read one.
// The script says ready, then holds the namespace until its standard
// input ends: when Close closes it, or when the process that started it
// dies.
const mountScript = `set -e
mount -t tmpfs -o mode=0755 ctconv-lab "$1"
mkdir -p "$1/upper/xtables" "$1/work"
cp "$2" "$1/upper/xtables/connlabel.conf"
cp "$2" "$1/upper/connlabel.conf"
mount -t overlay -o "lowerdir=/etc,upperdir=$1/upper,workdir=$1/work" ctconv-lab /etc
echo ready
exec cat >/dev/null
`

// mountNS is the process that holds a lab's mount namespace.
type mountNS struct {
	cmd    *exec.Cmd
	stdin  io.Closer
	stderr bytes.Buffer
}

// newMountNS starts the mount namespace, with its tmpfs on a new folder
// of dir, and returns once it is ready.
func newMountNS(dir, labels string) (*mountNS, error) {
	ns := filepath.Join(dir, "ns")
	if err := os.Mkdir(ns, 0o755); err != nil {
		return nil, err
	}
	m := &mountNS{cmd: exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", mountScript, "sh", ns, labels)}
	m.cmd.Stderr = &m.stderr
	stdin, err := m.cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	m.stdin = stdin
	stdout, err := m.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := m.cmd.Start(); err != nil {
		return nil, err
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		m.close()
		return nil, fmt.Errorf("the lab's mount namespace: %s", strings.TrimSpace(m.stderr.String()))
	}
	return m, nil
}

// close ends the process, and with it the namespace and its mounts; if it
// has not ended a second later, it kills it.
func (m *mountNS) close() error {
	m.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- m.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil && m.stderr.Len() > 0 {
			return fmt.Errorf("the lab's mount namespace: %w: %s", err, strings.TrimSpace(m.stderr.String()))
		}
		return err
	case <-time.After(time.Second):
		m.cmd.Process.Kill()
		return errors.Join(errors.New("the lab's mount namespace did not end: killed"), <-done)
	}
}
