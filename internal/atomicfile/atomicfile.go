// Package atomicfile writes a file so that readers see either the old file or
// the complete new one, never a part: it writes a temporary file in the same
// folder, syncs it, and renames it into place.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
)

// File is a file being written. Commit puts it in place; Abort, or a crash
// before Commit, leaves the previous file untouched.
type File struct {
	*os.File
	path string
	done bool
}

// Create starts writing the file at path.
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &File{File: f, path: path}, nil
}

// Commit syncs the file and renames it to its path. The file gets the mode
// of the file it replaces, or 0644.
func (f *File) Commit() error {
	if f.done {
		return errors.New("atomicfile: already committed or aborted")
	}
	f.done = true
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(f.path); err == nil {
		mode = fi.Mode().Perm()
	}
	err := f.Chmod(mode)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	if d, err := os.Open(filepath.Dir(f.path)); err == nil {
		d.Sync() // make the rename durable
		d.Close()
	}
	return nil
}

// Abort removes the temporary file. It does nothing after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}
