package main

// Where -o and standard output write: device nodes, FIFOs, symlinks, the
// mode of a replaced file, streams, signals and default names. The tests
// that run as root run the binary in a private mount namespace whose /dev
// is its own (see sandbox), so that a run that replaced /dev/null would
// replace the namespace's, never the machine's.

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// sandboxSetup mounts a /dev of the namespace's own: null and full made
// with mknod, the links to /proc/self/fd that a real /dev has, and the
// machine's /dev/shm, where the checkout or TMPDIR may be. It is made in
// $STAGE, an empty directory, and moved onto /dev, as /dev/shm is out of
// reach once covered; the script then enters its directory again, through
// the bound /dev/shm if it is there. Exit status 99 says that the setup
// failed.
const sandboxSetup = `mount -t tmpfs -o mode=755 ctconv-test "$STAGE" && cd "$STAGE" &&
mknod -m 666 null c 1 3 && mknod -m 666 full c 1 7 &&
ln -s /proc/self/fd fd && ln -s /proc/self/fd/0 stdin &&
ln -s /proc/self/fd/1 stdout && ln -s /proc/self/fd/2 stderr &&
{ ! [ -d /dev/shm ] || { mkdir shm && mount --bind /dev/shm shm; }; } &&
cd - >/dev/null && mount --move "$STAGE" /dev && cd "$PWD" || exit 99
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
	cmd.Env = append(os.Environ(), "CTCONV="+build(t), "CORPUS="+corpus, "STAGE="+t.TempDir())
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

// TestOutputNotRegular writes -o to device nodes, FIFOs and symlinks: the
// first two are written straight and stay what they are, symlinks are
// followed to the file they lead to, which is replaced.
func TestOutputNotRegular(t *testing.T) {
	for _, c := range []struct {
		name, script, want string
		stderr             string // a part of the standard error
	}{
		{
			"/dev/null",
			`"$CTCONV" snapshot -o /dev/null "$CORPUS"; echo "exit $?"; stat -c '%F %t:%T' /dev/null`,
			"exit 0\ncharacter special file 1:3\n", "",
		},
		{
			"/dev/full",
			`"$CTCONV" convert -o /dev/full "$CORPUS"; echo "exit $?"; stat -c '%F %t:%T' /dev/full`,
			"exit 1\ncharacter special file 1:7\n", "ctconv convert: write /dev/full: no space left on device\n",
		},
		{
			"/dev/stdout, a pipe",
			`exec 3>&1
{ "$CTCONV" convert --to snapshot -o /dev/stdout "$CORPUS"; echo "exit $?" >&3; } | cat > piped
"$CTCONV" convert piped | cmp -s - "$CORPUS" && echo same
stat -c %F /dev/stdout; ls -A`,
			"exit 0\nsame\nsymbolic link\npiped\n", "",
		},
		{
			"/dev/stdout, a file",
			`echo old > file; "$CTCONV" convert -o /dev/stdout "$CORPUS" > file; echo "exit $?"
cmp -s file "$CORPUS" && echo same; stat -c %F /dev/stdout; ls -A`,
			"exit 0\nsame\nsymbolic link\nfile\n", "",
		},
		{
			"FIFO",
			`mkfifo fifo; timeout 20 cat fifo > got & "$CTCONV" convert -o fifo "$CORPUS"; echo "exit $?"; wait
cmp -s got "$CORPUS" && echo same; stat -c %F fifo`,
			"exit 0\nsame\nfifo\n", "",
		},
		{
			"symlink",
			`echo old > real.txt; ln -s real.txt link.txt; "$CTCONV" convert -o link.txt "$CORPUS"; echo "exit $?"
cmp -s real.txt "$CORPUS" && echo same; stat -c '%n %F' link.txt real.txt; ls -A`,
			"exit 0\nsame\nlink.txt symbolic link\nreal.txt regular file\nlink.txt\nreal.txt\n", "",
		},
		{
			"symlink to another folder, through a linked folder",
			`mkdir a b; ln -s b c; echo old > b/real.txt; ln -s ../c/real.txt a/link.txt
"$CTCONV" convert -o a/link.txt "$CORPUS"; echo "exit $?"
cmp -s b/real.txt "$CORPUS" && echo same; stat -c '%n %F' a/link.txt c; ls -A a b`,
			"exit 0\nsame\na/link.txt symbolic link\nc symbolic link\na:\nlink.txt\n\nb:\nreal.txt\n", "",
		},
		{
			"dangling symlink",
			`ln -s new.txt link.txt; "$CTCONV" convert -o link.txt "$CORPUS"; echo "exit $?"
cmp -s new.txt "$CORPUS" && echo same; stat -c '%n %F' link.txt new.txt; ls -A`,
			"exit 0\nsame\nlink.txt symbolic link\nnew.txt regular file\nlink.txt\nnew.txt\n", "",
		},
		{
			"dangling symlink, failed run",
			`ln -s new.txt link.txt; echo "tcp 6 garbage" | "$CTCONV" convert -o link.txt -; echo "exit $?"; ls -A`,
			"exit 1\nlink.txt\n", "<stdin>:1:",
		},
		{
			"mount point",
			`echo old > mp.txt; echo mounted > other; mount --bind other mp.txt
"$CTCONV" convert -o mp.txt "$CORPUS"; echo "exit $?"; cat mp.txt`,
			"exit 1\nmounted\n", "ctconv convert: create mp.txt: a mount point",
		},
	} {
		code, out, errs := inSandbox(t, t.TempDir(), c.script)
		if code != 0 || out != c.want || !strings.Contains(errs, c.stderr) || c.stderr == "" && errs != "" {
			t.Errorf("%s: exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", c.name, code, out, c.want, errs)
		}
	}
}

// TestOutputMode checks the mode a replaced or new file gets: the old
// file's where the writer owns it, otherwise the umask's, and never more
// than 0644 for root.
func TestOutputMode(t *testing.T) {
	dir := t.TempDir()
	// User nobody writes in dir, and runs the binary and reads the corpus.
	bin := build(t)
	for _, d := range []string{filepath.Dir(dir), filepath.Dir(bin)} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "corpus.txt"), readFile(t, corpusProc), 0o644)
	const nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups "
	for _, c := range []struct {
		name, setup, as string
		umask           string
		want            string // uid and mode
	}{
		{"nobody's 0666 file, by root", "chown 65534 f; chmod 666 f", "", "000", "0 644"},
		{"nobody's 0644 file, by root", "chown 65534 f; chmod 644 f", "", "077", "0 600"},
		{"root's 0600 file, by root", "chmod 600 f", "", "022", "0 600"},
		{"root's 0666 file, by root", "chmod 666 f", "", "022", "0 666"},
		{"new file, by root", "rm f", "", "027", "0 640"},
		{"new file, by root, umask 0", "rm f", "", "000", "0 644"},
		{"new file, by nobody", "rm f", nobody, "000", "65534 666"},
		{"root's 0600 file, by nobody", "chmod 600 f", nobody, "002", "65534 664"},
		{"nobody's 0600 file, by nobody", "chown 65534 f; chmod 600 f", nobody, "000", "65534 600"},
	} {
		script := fmt.Sprintf(`echo old > f; %s; umask %s; %s"$CTCONV" convert --to restore -o f corpus.txt && stat -c '%%u %%a' f; rm -f f`, c.setup, c.umask, c.as)
		code, out, errs := inSandbox(t, dir, script)
		if code != 0 || out != c.want+"\n" {
			t.Errorf("%s: exit %d, uid and mode %q, want %q; stderr %q", c.name, code, out, c.want, errs)
		}
	}
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

// TestOutputInterrupted signals a run that writes -o while it waits for
// input: every signal that ends it leaves no temporary file, and the exit
// status says which signal.
func TestOutputInterrupted(t *testing.T) {
	data := readFile(t, corpusProc)
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM} {
		// A signal ignored here, as nohup ignores SIGHUP, stays ignored in
		// the child, and ctconv rightly keeps it so (TestOutputNohup):
		// handled here, it reaches the child at its default.
		if signal.Ignored(sig) {
			ch := make(chan os.Signal, 1)
			signal.Notify(ch, sig)
			defer signal.Stop(ch)
		}
		dir := t.TempDir()
		cmd, stdin, stderr := writing(t, dir, `GOTRACEBACK=all exec "$CTCONV" convert -o out.txt -`, data)
		cmd.Process.Signal(sig)
		waitOrDump(t, cmd, stderr)
		if code := cmd.ProcessState.ExitCode(); code != 128+int(sig) {
			t.Errorf("%v: exit %d (%v), want %d; stderr %.200q", sig, code, cmd.ProcessState, 128+int(sig), stderr.String())
		}
		if left := entries(dir); left != "" {
			t.Errorf("%v: left behind %s", sig, left)
		}
		stdin.Close()
	}
}

// TestOutputNohup: a signal the parent ignored (nohup, a background job)
// stays ignored, and the run completes its output.
func TestOutputNohup(t *testing.T) {
	data := readFile(t, corpusProc)
	dir := t.TempDir()
	cmd, stdin, stderr := writing(t, dir, `trap '' HUP INT; exec "$CTCONV" convert -o out.txt -`, data)
	cmd.Process.Signal(syscall.SIGHUP)
	cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(100 * time.Millisecond) // for the signals to arrive
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v; stderr %.200q", err, stderr.String())
	}
	if got, err := os.ReadFile(filepath.Join(dir, "out.txt")); err != nil || !bytes.Equal(got, data) {
		t.Errorf("out.txt: %v, equal to the input: %v", err, bytes.Equal(got, data))
	}
}

// writing starts script in the sandbox of dir and writes data to its
// standard input, which stays open, so that ctconv waits for more; it
// returns once ctconv's temporary file exists, when its cleanup is set up.
func writing(t *testing.T, dir, script string, data []byte) (*exec.Cmd, io.WriteCloser, *strings.Builder) {
	t.Helper()
	cmd := sandbox(t, dir, script)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := new(strings.Builder)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stdin.Write(data)
	created(t, cmd, dir)
	return cmd, stdin, stderr
}

// created waits until cmd has made a file in dir, as ctconv makes its
// temporary output once its cleanup is set up; it kills cmd and fails t
// after 20 s.
func created(t *testing.T, cmd *exec.Cmd, dir string) {
	t.Helper()
	for start := time.Now(); entries(dir) == ""; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 20*time.Second {
			cmd.Process.Kill()
			t.Fatalf("%v: no file in %s after 20 s", cmd.Args, dir)
		}
	}
}

// waitOrDump waits for cmd, a Go program run with GOTRACEBACK=all; if it
// has not ended after 20 s, it makes it print its goroutines (SIGABRT)
// and fails t with them, rather than leave the test hanging.
func waitOrDump(t *testing.T, cmd *exec.Cmd, stderr *strings.Builder) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Signal(syscall.SIGABRT)
		select {
		case <-done:
		case <-time.After(5 * time.Second): // not even that: stuck in the kernel
			cmd.Process.Kill()
			<-done
		}
		t.Fatalf("%v: still running 20 s after the signal; its goroutines:\n%s", cmd.Args, stderr.String())
	}
}

// entries returns the names in dir.
func entries(dir string) string {
	des, _ := os.ReadDir(dir)
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return strings.Join(names, " ")
}

// TestSnapshotNamesUnique runs snapshot without -o where the names of
// this second and the next few are taken, twice at once: each run writes
// a file of its own, and says which.
func TestSnapshotNamesUnique(t *testing.T) {
	dir := t.TempDir()
	host, _ := os.Hostname()
	now := time.Now()
	taken := map[string]bool{}
	for i := range 5 {
		name := fmt.Sprintf("ctconv-%s-%s.ctsnap", host, now.Add(time.Duration(i)*time.Second).Format("20060102-150405"))
		os.WriteFile(filepath.Join(dir, name), []byte("earlier\n"), 0o644)
		taken[name] = true
	}
	code, out, errs := inSandbox(t, dir, `"$CTCONV" snapshot "$CORPUS" 2> one & "$CTCONV" snapshot "$CORPUS" 2> two
s=$?; wait $!; echo "exit $s $?"`)
	if code != 0 || out != "exit 0 0\n" {
		t.Fatalf("%s, stderr %q", out, errs)
	}
	wrote := regexp.MustCompile(`^ctconv snapshot: wrote (ctconv-.*\.ctsnap)\n$`)
	want := string(readFile(t, corpusProc))
	var names []string
	for _, log := range []string{"one", "two"} {
		m := wrote.FindStringSubmatch(string(readFile(t, filepath.Join(dir, log))))
		if m == nil {
			t.Fatalf("%s: stderr %q", log, readFile(t, filepath.Join(dir, log)))
		}
		names = append(names, m[1])
		if code, got, errs := ctconv(t, "", "convert", filepath.Join(dir, m[1])); code != 0 || got != want {
			t.Errorf("%s: %s reads back with exit %d, stderr %q, same %v", log, m[1], code, errs, got == want)
		}
	}
	if names[0] == names[1] || taken[names[0]] || taken[names[1]] {
		t.Errorf("names %v, taken before %v", names, taken)
	}
	for name := range taken {
		if b := readFile(t, filepath.Join(dir, name)); string(b) != "earlier\n" {
			t.Errorf("%s was overwritten", name)
		}
	}
}

// TestOutputFull fills a small filesystem: the error is reported once,
// with the name given to -o, and no temporary file is left.
func TestOutputFull(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "big.txt"), []byte(strings.Repeat(string(readFile(t, corpusProc)), 100)), 0o644)
	for _, to := range []string{"proc", "json"} {
		code, out, errs := inSandbox(t, dir, `mkdir -p small && mount -t tmpfs -o size=64k ctconv-small small || exit 99
"$CTCONV" convert --to `+to+` -o small/out big.txt; echo "exit $?"; ls -A small`)
		if code != 0 || out != "exit 1\n" || errs != "ctconv convert: write small/out: no space left on device\n" {
			t.Errorf("--to %s: exit %d, stdout %q, stderr %q", to, code, out, errs)
		}
	}
}

// TestOutputTarget checks the -o targets that need no root: "-" is
// standard output, and a folder fails before any input is read.
func TestOutputTarget(t *testing.T) {
	abs, _ := filepath.Abs(corpusProc)
	t.Chdir(t.TempDir())
	want := string(readFile(t, abs))
	if code, out, errs := ctconv(t, "", "convert", "-o", "-", abs); code != 0 || out != want || errs != "" {
		t.Errorf("-o -: exit %d, stderr %q, stdout is the input: %v", code, errs, out == want)
	}
	os.Mkdir("folder", 0o755)
	for _, cmd := range [][]string{{"convert", "-o", "folder", "-"}, {"snapshot", "-o", "folder", "-"}} {
		// The input is bad: reading it would report it.
		code, _, errs := ctconv(t, "tcp 6 garbage\n", cmd...)
		if code != 1 || !strings.HasSuffix(errs, ": create folder: is a directory\n") || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", cmd, code, errs)
		}
	}
	if entries, _ := os.ReadDir("."); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

// TestTerminalCheck checks that a snapshot, or a Parquet file, is refused
// on a terminal only:
// /dev/null, a character device too, takes it.
func TestTerminalCheck(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	var errs strings.Builder
	if code := run([]string{"convert", "--to", "snapshot", corpusProc}, nil, stdoutStream{null}, &errs); code != 0 {
		t.Errorf("> /dev/null: exit %d, stderr %q", code, errs.String())
	}
	_, pty, closePTY, err := openPTY()
	if err != nil {
		t.Skipf("no terminal to test with: %v", err)
	}
	defer closePTY()
	errs.Reset()
	if code := run([]string{"convert", "--to", "snapshot", corpusProc}, nil, stdoutStream{pty}, &errs); code != 2 || !strings.Contains(errs.String(), "a snapshot is binary") {
		t.Errorf("on a terminal: exit %d, stderr %q", code, errs.String())
	}
	errs.Reset()
	if code := run([]string{"convert", "--to", "parquet", corpusProc}, nil, stdoutStream{pty}, &errs); code != 2 || !strings.Contains(errs.String(), "a Parquet file is binary") {
		t.Errorf("parquet on a terminal: exit %d, stderr %q", code, errs.String())
	}
}

// openPTY returns the ends of a new pseudo-terminal: the master, which
// writes what the terminal reads, and the terminal; and the function that
// closes both.
func openPTY() (master, tty *os.File, closeBoth func(), err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, nil, err
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
		return nil, nil, nil, err
	}
	return m, tty, func() { tty.Close(); m.Close() }, nil
}
