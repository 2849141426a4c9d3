// Package atomicfile writes an output file so that readers see either the
// old file or the complete new one, never a part: it writes a temporary
// file in the target's folder, syncs it, and renames it over the target.
//
// The target is found as the shell's > finds it. The kernel follows the
// symlinks, with its protections against planted links, and the file they
// lead to is replaced in its own folder while the links stay; a dangling
// link gets its target created. A target that is not a regular file (a
// device such as /dev/null, a FIFO, a terminal) is written straight, as >
// writes it, and nothing is renamed over it. A folder, and a file that is
// a mount point, which no rename can replace, are refused by Create,
// before anything is written.
//
// The new file is a new inode, owned by the writer. Where the writer owns
// the old file, the new one keeps its permission bits, and its group where
// the writer may set it (else the group's bits are dropped, as they were
// for another group). Otherwise the new file gets the mode > gives a new
// file, 0666 less the umask, and never more than 0644 when the writer is
// root, so that a file someone else made cannot leave root's output open
// to others. Nothing else is kept: not the owner, the set-id bits, ACLs,
// extended attributes (SELinux labels), nor hard links: the old file's
// other names, and the processes that have it open, keep the old content.
package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// File is an output being written: Write to it, then Commit, or Abort.
type File interface {
	io.Writer
	// Name returns the target's name, as given to Create.
	Name() string
	// Commit completes the output: it renames the new file into place, or
	// closes a target written straight.
	Commit() error
	// Abort leaves the target as it was, except for what was written
	// straight to a target that is not a regular file. It does nothing
	// after Commit.
	Abort()
}

var errDone = errors.New("atomicfile: already committed or aborted")

// Create starts writing the file name. The File of a regular or new file
// is also an io.WriterAt, so that a writer can go back to patch what it
// wrote; the File of a target written straight is a stream, and is not.
// Errors name the target, never the temporary file.
func Create(name string) (File, error) {
	fd, err := unix.Open(name, unix.O_PATH|unix.O_CLOEXEC, 0)
	created := false
	if err == unix.ENOENT {
		if fi, err := os.Lstat(name); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return createNew(name)
		}
		// A dangling symlink: create its target, as > does, through the
		// kernel, which may refuse to follow the link.
		fd, err = unix.Open(name, unix.O_WRONLY|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
		created = err == nil
	}
	if err != nil {
		return nil, named("open", name, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, named("stat", name, err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		return nil, named("create", name, unix.EISDIR)
	default:
		// Reopened through the descriptor, so that what is written is what
		// was checked, even if name changed since.
		f, err := os.OpenFile(fdPath(fd), os.O_WRONLY, 0)
		if err != nil {
			return nil, named("open", name, err)
		}
		return &stream{f: f, name: name}, nil
	}
	path, err := os.Readlink(fdPath(fd))
	if err != nil {
		return nil, named("open", name, err)
	}
	if mountPoint(fd, filepath.Dir(path)) {
		return nil, &fs.PathError{Op: "create", Path: name, Err: ErrMountPoint}
	}
	r, err := replace(name, path)
	if err != nil {
		if created {
			unix.Unlink(path)
		}
		return nil, err
	}
	if created {
		r.created = &st
	} else if int(st.Uid) == os.Geteuid() {
		r.mode, r.gid = fs.FileMode(st.Mode).Perm(), int(st.Gid)
	}
	return r, nil
}

// ErrMountPoint says that the target is a file mounted over another, as a
// bind mount of one file is, which no rename can replace.
var ErrMountPoint = errors.New("a mount point, which cannot be replaced (write a file beside it)")

// createNew starts writing name, which does not exist.
func createNew(name string) (File, error) {
	dir, base := ".", name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		dir, base = name[:i+1], name[i+1:] // not cleaned: the kernel resolves "..", after symlinks
	}
	if base == "" || base == "." || base == ".." {
		return nil, named("create", name, unix.EISDIR)
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, named("create", name, err)
	}
	defer unix.Close(fd)
	real, err := os.Readlink(fdPath(fd))
	if err != nil {
		return nil, named("create", name, err)
	}
	return replace(name, filepath.Join(real, base))
}

// replace starts a replacement of path, the real path of name, with the
// mode of a new file.
func replace(name, path string) (*replacement, error) {
	dir, base := filepath.Split(path)
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, named("create", name, err)
	}
	return &replacement{f: f, name: name, path: path, mode: newMode(), gid: -1}, nil
}

// fdPath returns the path in /proc that stands for the descriptor fd.
func fdPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// mountPoint reports whether the file fd is on another mount than the
// folder dir that holds it.
func mountPoint(fd int, dir string) bool {
	var f, d unix.Statx_t
	if unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_MNT_ID, &f) != nil ||
		unix.Statx(unix.AT_FDCWD, dir, 0, unix.STATX_MNT_ID, &d) != nil {
		return false
	}
	return f.Mask&d.Mask&unix.STATX_MNT_ID != 0 && f.Mnt_id != d.Mnt_id
}

// newMode returns the mode of a new file: 0666 less the umask, and at most
// 0644 for root.
func newMode() fs.FileMode {
	mode := fs.FileMode(0o666) &^ umask()
	if os.Geteuid() == 0 {
		mode &= 0o644
	}
	return mode
}

// umask returns the process's umask, which Linux shows in /proc/self/status
// (since 4.7; 022, the usual one, where it does not). Reading it so, unlike
// setting it to read it, changes nothing for the other threads.
func umask() fs.FileMode {
	b, _ := os.ReadFile("/proc/self/status")
	if _, v, ok := bytes.Cut(b, []byte("\nUmask:\t")); ok {
		v, _, _ = bytes.Cut(v, []byte("\n"))
		if m, err := strconv.ParseUint(string(v), 8, 32); err == nil {
			return fs.FileMode(m) & fs.ModePerm
		}
	}
	return 0o022
}

// Reserve creates the file name, empty, with the mode of a new file, or
// fails with an error matching fs.ErrExist where the name is taken (by a
// dangling symlink too). Create then replaces it and keeps that mode: so a
// run takes a name that others running at the same time must not share.
func Reserve(name string) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, newMode())
	if err != nil {
		return err
	}
	return f.Close()
}

// named returns err, of the operation op, naming the target name in place
// of the file it was about.
func named(op, name string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	var le *os.LinkError
	if errors.As(err, &pe) {
		err = pe.Err
	} else if errors.As(err, &le) {
		err = le.Err
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// replacement is a regular file being written beside its target.
type replacement struct {
	f       *os.File // the temporary file
	name    string   // the target, as given
	path    string   // the target's real path
	mode    fs.FileMode
	gid     int          // the old file's group, to keep; -1 for none
	created *unix.Stat_t // the file Create made at a dangling symlink's end, for Abort to remove
	done    bool
}

func (r *replacement) Name() string { return r.name }

func (r *replacement) Write(p []byte) (int, error) {
	n, err := r.f.Write(p)
	return n, named("write", r.name, err)
}

func (r *replacement) WriteAt(p []byte, off int64) (int, error) {
	n, err := r.f.WriteAt(p, off)
	return n, named("write", r.name, err)
}

func (r *replacement) Commit() error {
	if r.done {
		return errDone
	}
	r.done = true
	mode := r.mode
	if r.gid >= 0 && r.f.Chown(-1, r.gid) != nil {
		mode &^= 0o070
	}
	op, err := "chmod", r.f.Chmod(mode)
	if err == nil {
		op, err = "sync", r.f.Sync()
	}
	if cerr := r.f.Close(); err == nil {
		op, err = "close", cerr
	}
	if err == nil {
		op, err = "rename", os.Rename(r.f.Name(), r.path)
	}
	if err != nil {
		r.remove()
		return named(op, r.name, err)
	}
	if d, err := os.Open(filepath.Dir(r.path)); err == nil {
		d.Sync() // make the rename durable
		d.Close()
	}
	return nil
}

func (r *replacement) Abort() {
	if r.done {
		return
	}
	r.done = true
	r.f.Close()
	r.remove()
}

// remove removes the temporary file, and the file Create made, if it is
// still that empty file.
func (r *replacement) remove() {
	os.Remove(r.f.Name())
	var st unix.Stat_t
	if c := r.created; c != nil && unix.Lstat(r.path, &st) == nil && st.Dev == c.Dev && st.Ino == c.Ino && st.Size == 0 {
		os.Remove(r.path)
	}
}

// stream is a target written straight.
type stream struct {
	f    *os.File
	name string
	done bool
}

func (s *stream) Name() string { return s.name }

func (s *stream) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	return n, named("write", s.name, err)
}

func (s *stream) Commit() error {
	if s.done {
		return errDone
	}
	s.done = true
	return named("close", s.name, s.f.Close())
}

func (s *stream) Abort() {
	if !s.done {
		s.done = true
		s.f.Close()
	}
}
