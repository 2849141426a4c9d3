package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// write creates name with Create, writes data, and commits.
func write(t *testing.T, name, data string) {
	t.Helper()
	f, err := Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	if _, err := io.WriteString(f, data); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
}

// check fails unless the file name holds want.
func check(t *testing.T, name, want string) {
	t.Helper()
	if b, err := os.ReadFile(name); err != nil || string(b) != want {
		t.Errorf("%s: %q, %v; want %q", name, b, err, want)
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

func TestCommitAndAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.(io.WriterAt); !ok {
		t.Error("the File of a regular file is no io.WriterAt")
	}
	io.WriteString(f, "half")
	f.Abort()
	check(t, path, "old")
	write(t, path, "new")
	check(t, path, "new")
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the replaced file's 0600", fi.Mode())
	}
	if got := entries(dir); got != "out.txt" {
		t.Errorf("left behind: %v", got)
	}
	if err := f.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

// TestSymlinks checks that symlinks are followed, as > follows them: the
// file they lead to is replaced, in its own folder, and they stay links.
func TestSymlinks(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"a", "b"} {
		os.Mkdir(filepath.Join(dir, d), 0o755)
	}
	in := func(name string) string { return filepath.Join(dir, name) }
	os.WriteFile(in("b/real.txt"), []byte("old"), 0o644)
	os.Symlink("../b/real.txt", in("a/link.txt"))
	os.Symlink("a/link.txt", in("chain.txt")) // a link to a link
	os.Symlink("b", in("c"))                  // a linked folder
	os.Symlink("../c/new.txt", in("a/dangling.txt"))

	for _, c := range []struct{ name, target string }{
		{"a/link.txt", "b/real.txt"},
		{"chain.txt", "b/real.txt"},
		{"c/real.txt", "b/real.txt"},
		{"a/dangling.txt", "b/new.txt"},
	} {
		write(t, in(c.name), c.name)
		check(t, in(c.target), c.name)
	}
	for _, link := range []string{"a/link.txt", "chain.txt", "c", "a/dangling.txt"} {
		if fi, err := os.Lstat(in(link)); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symlink: %v %v", link, fi.Mode(), err)
		}
	}
	if got := entries(in("a")) + ", " + entries(in("b")); got != "dangling.txt link.txt, new.txt real.txt" {
		t.Errorf("a, b hold %s", got)
	}

	// An aborted run leaves a dangling link dangling.
	os.Symlink("gone.txt", in("b/dangling2.txt"))
	f, err := Create(in("b/dangling2.txt"))
	if err != nil {
		t.Fatal(err)
	}
	f.Abort()
	if _, err := os.Stat(in("b/gone.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Abort, the link's target: %v", err)
	}
}

// TestNotRegular checks that a FIFO is written straight, as a stream, and
// that a folder is refused.
func TestNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	f, err := Create(fifo)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.(io.WriterAt); ok {
		t.Error("the File of a FIFO is an io.WriterAt")
	}
	io.WriteString(f, "through")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through" {
		t.Errorf("read %q from the FIFO", s)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the FIFO became %v (%v)", fi.Mode(), err)
	}

	for _, name := range []string{dir, dir + "/", dir + "/.", filepath.Join(dir, "none") + "/"} {
		f, err := Create(name)
		if err == nil {
			f.Abort()
		}
		if pe := (*fs.PathError)(nil); !errors.As(err, &pe) || pe.Path != name {
			t.Errorf("Create(%q): %v, want an error naming it", name, err)
		}
	}
	if got := entries(dir); got != "fifo" {
		t.Errorf("left behind: %s", got)
	}
}

// TestErrorsNameTarget checks that errors name the target as given, not
// the temporary file, nor where a link leads.
func TestErrorsNameTarget(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	os.Symlink("none/file", link)
	for _, name := range []string{filepath.Join(dir, "none/file"), link} {
		_, err := Create(name)
		if pe := (*fs.PathError)(nil); !errors.As(err, &pe) || pe.Path != name || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Create(%q): %v", name, err)
		}
	}
	f, err := Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	f.(*replacement).f.Close() // so that the next write fails
	if _, err := io.WriteString(f, "x"); err == nil || !strings.HasPrefix(err.Error(), "write "+f.Name()+": ") {
		t.Errorf("write: %v", err)
	}
	f.Abort()
}

// TestMode checks the mode of the new file: the old file's where the
// writer owns it, otherwise 0666 less the umask, and at most 0644 for
// root.
func TestMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	defer unix.Umask(unix.Umask(0o027))
	want := fs.FileMode(0o640)
	write(t, path, "new")
	if fi, _ := os.Stat(path); fi.Mode().Perm() != want {
		t.Errorf("new file: mode %v, want %v", fi.Mode().Perm(), want)
	}
	os.Chmod(path, 0o604)
	write(t, path, "mine")
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o604 {
		t.Errorf("the writer's file: mode %v, want 0604 kept", fi.Mode().Perm())
	}
	unix.Umask(0)
	reserved := filepath.Join(dir, "reserved")
	if err := Reserve(reserved); err != nil {
		t.Fatal(err)
	}
	want = 0o666
	if os.Geteuid() == 0 {
		want = 0o644
	}
	if fi, _ := os.Stat(reserved); fi.Mode().Perm() != want || fi.Size() != 0 {
		t.Errorf("Reserve: mode %v, size %d; want %v, empty", fi.Mode().Perm(), fi.Size(), want)
	}
	if err := Reserve(reserved); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Reserve of a taken name: %v", err)
	}

	if os.Geteuid() != 0 {
		t.Skip("the rest needs root, to give files to user nobody")
	}
	// A file of user nobody: the mode of a new file, at most 0644 for root.
	os.Chmod(path, 0o666)
	os.Chown(path, 65534, 65534)
	write(t, path, "root's")
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 || fi.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Errorf("nobody's file: mode %v, owner %d; want 0644, root", fi.Mode().Perm(), fi.Sys().(*syscall.Stat_t).Uid)
	}
	// The writer's file in another group: the group is kept.
	os.Chmod(path, 0o640)
	os.Chown(path, 0, 65534)
	write(t, path, "group's")
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 || fi.Sys().(*syscall.Stat_t).Gid != 65534 {
		t.Errorf("the writer's file of group 65534: mode %v, group %d", fi.Mode().Perm(), fi.Sys().(*syscall.Stat_t).Gid)
	}
}
