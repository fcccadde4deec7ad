// Package atomicfile replaces files so that a reader, or a crash, sees the
// old content or the new, never a torn mix: write a temporary file on the
// same filesystem, then rename it over the target.
package atomicfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Options tune Write.
type Options struct {
	Perm fs.FileMode
	// Durable syncs the file and its directory, so the new content
	// survives a power loss, not only a crash of the writer. It costs two
	// fsyncs: state that is rebuilt at every start does without.
	Durable bool
	// TempDir holds the temporary file; default: the target's directory.
	// It must be on the target's filesystem.
	TempDir string
}

// Write replaces path with data.
func Write(path string, data []byte, o Options) error {
	dir := o.TempDir
	if dir == "" {
		dir = filepath.Dir(path)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(o.Perm)
	}
	if err == nil && o.Durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if o.Durable {
		if err := SyncDir(filepath.Dir(path)); err != nil {
			return fmt.Errorf("write %s: sync directory: %w", path, err)
		}
	}
	return nil
}

// SyncDir makes a directory's entries (a rename into it) durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
