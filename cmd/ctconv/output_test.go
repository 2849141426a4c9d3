package main

// Where -o and standard output write: device nodes, FIFOs, symlinks, the
// mode of a replaced file, streams, signals and default names. The tests
// that run as root run the binary in a private mount namespace whose /dev
// is its own (see sandbox), so that a run that replaced /dev/null would
// replace the namespace's, never the machine's.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// sandboxSetup mounts a /dev of the namespace's own: null and full made
// with mknod, and the links to /proc/self/fd that a real /dev has. Exit
// status 99 says that the setup failed.
const sandboxSetup = `mount -t tmpfs -o mode=755 ctconv-test /dev &&
mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/full c 1 7 &&
ln -s /proc/self/fd /dev/fd && ln -s /proc/self/fd/0 /dev/stdin &&
ln -s /proc/self/fd/1 /dev/stdout && ln -s /proc/self/fd/2 /dev/stderr || exit 99
`

// sandbox returns a command that runs script with sh in a private mount
// namespace with the /dev of sandboxSetup, in dir, with $CTCONV the built
// binary and $CORPUS the proc corpus. It needs root: the test is skipped
// otherwise, or fails with CTCONV_LIVE=1.
func sandbox(t *testing.T, dir, script string) *exec.Cmd {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "needs root (to mount a /dev of its own in a private mount namespace)"
	} else if _, err := exec.LookPath("unshare"); err != nil {
		why = "needs unshare (apt-get install util-linux)"
	}
	if why != "" {
		if os.Getenv("CTCONV_LIVE") == "1" {
			t.Fatalf("cannot run: it %s", why)
		}
		t.Skipf("skipped: it %s; it writes to device nodes, FIFOs and other users' files (CTCONV_LIVE=1 turns this skip into a failure)", why)
	}
	corpus, err := filepath.Abs(corpusProc)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", sandboxSetup+script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CTCONV="+build(t), "CORPUS="+corpus)
	t.Cleanup(func() {
		if fi, err := os.Lstat("/dev/null"); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			t.Errorf("the machine's /dev/null changed: %v %v", fi.Mode(), err)
		}
	})
	return cmd
}

// inSandbox runs script in a sandbox and returns its exit status, standard
// output and standard error.
func inSandbox(t *testing.T, dir, script string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := sandbox(t, dir, script)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code <= 0 || code == 99 {
		t.Fatalf("sandbox: %v\n%s", err, errb.String())
	}
	return code, out.String(), errb.String()
}

// TestStdoutStream writes a snapshot to standard output where it cannot
// seek (a pipe), or should not (a file the shell opened after a header,
// or to append): the snapshot is written as a stream, and reads back.
func TestStdoutStream(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := inSandbox(t, dir, `exec 3>&1
{ echo header; "$CTCONV" convert --to snapshot "$CORPUS"; } > grouped; echo "grouped: exit $?"
{ "$CTCONV" convert --to snapshot "$CORPUS"; echo "piped: exit $?" >&3; } | cat > piped
echo old > appended; "$CTCONV" convert --to snapshot "$CORPUS" >> appended; echo "appended: exit $?"
`)
	if want := "grouped: exit 0\npiped: exit 0\nappended: exit 0\n"; code != 0 || out != want {
		t.Fatalf("exit %d, stdout %q, want %q; stderr %q", code, out, want, errs)
	}
	want := string(readFile(t, corpusProc))
	for name, prefix := range map[string]string{"grouped": "header\n", "piped": "", "appended": "old\n"} {
		b := readFile(t, filepath.Join(dir, name))
		if !strings.HasPrefix(string(b), prefix) {
			t.Errorf("%s: starts %.20q, want %q", name, b, prefix)
			continue
		}
		snap := filepath.Join(dir, name+".ctsnap")
		os.WriteFile(snap, b[len(prefix):], 0o644)
		if code, got, errs := ctconv(t, "", "convert", snap); code != 0 || got != want {
			t.Errorf("%s: reads back with exit %d, stderr %q, same %v", name, code, errs, got == want)
		}
	}
}

// TestTerminalCheck checks that a snapshot is refused on a terminal only:
// /dev/null, a character device too, takes it.
func TestTerminalCheck(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	var errs strings.Builder
	if code := run([]string{"convert", "--to", "snapshot", corpusProc}, nil, stdoutPipe{null}, &errs); code != 0 {
		t.Errorf("> /dev/null: exit %d, stderr %q", code, errs.String())
	}
	pty, closePTY, err := openPTY()
	if err != nil {
		t.Skipf("no terminal to test with: %v", err)
	}
	defer closePTY()
	errs.Reset()
	if code := run([]string{"convert", "--to", "snapshot", corpusProc}, nil, stdoutPipe{pty}, &errs); code != 2 || !strings.Contains(errs.String(), "a snapshot is binary") {
		t.Errorf("on a terminal: exit %d, stderr %q", code, errs.String())
	}
}

// openPTY returns the terminal end of a new pseudo-terminal, and the
// function that closes both ends.
func openPTY() (tty *os.File, closeBoth func(), err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err == nil {
		err = unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0)
	}
	if err == nil {
		tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	}
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	return tty, func() { tty.Close(); m.Close() }, nil
}
