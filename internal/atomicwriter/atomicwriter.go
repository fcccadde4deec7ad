// Package atomicwriter writes a directory of files the way the kubelet's
// AtomicWriter does for configMap, secret, downwardAPI and projected
// volumes, so that a reader inside a pod sees the old set of files or the
// new one, never a mix:
//
//	<dir>/..2026_12_03_17_02_12.123456789/   the files of one version
//	<dir>/..data -> ..2026_12_03_17_02_12.123456789
//	<dir>/<name> -> ..data/<name>            each top-level name
//
// A new version is written to a fresh timestamped directory, and ..data is
// swapped to it with one rename. The user-visible names are symlinks
// through ..data, so they follow the swap; a bind mount of one file
// (subPath) resolves them once and keeps the old file, as in Kubernetes.
package atomicwriter

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// File is one file of a payload.
type File struct {
	Data     []byte
	Mode     fs.FileMode
	UID, GID int
}

const (
	dataLink    = "..data"
	newDataLink = "..data_tmp"
)

// Owner owns the directories and symlinks Write makes.
type Owner struct{ UID, GID int }

// Write makes dir show exactly payload (paths relative to dir, "/"
// separated, none starting with ".."). Stale versions left by a writer
// that died are removed. Writers of one dir must not run concurrently.
func Write(dir string, payload map[string]File, o Owner) error {
	for p := range payload {
		if err := checkPath(p); err != nil {
			return err
		}
	}
	if err := mkdir(dir, o); err != nil {
		return fmt.Errorf("atomic write %s: %w", dir, err)
	}
	old, err := os.Readlink(filepath.Join(dir, dataLink))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("atomic write %s: %w", dir, err)
	}
	if old == "" || !same(filepath.Join(dir, old), payload) {
		if old, err = swap(dir, payload, o); err != nil {
			return fmt.Errorf("atomic write %s: %w", dir, err)
		}
	}
	if err := links(dir, payload, o); err != nil {
		return fmt.Errorf("atomic write %s: %w", dir, err)
	}
	return removeStale(dir, old)
}

func checkPath(p string) error {
	switch {
	case p == "" || path.IsAbs(p) || path.Clean(p) != p:
		return fmt.Errorf("invalid path %q: must be a clean relative path", p)
	case strings.HasPrefix(p, ".."):
		return fmt.Errorf("invalid path %q: must not start with '..'", p)
	}
	return nil
}

// same reports whether the version in dir holds exactly payload.
func same(dir string, payload map[string]File) bool {
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		f, ok := payload[filepath.ToSlash(rel)]
		if !ok {
			return fs.SkipAll
		}
		fi, err := d.Info()
		if err != nil || fi.Mode().Perm() != f.Mode.Perm() || !owned(fi, f) {
			return fs.SkipAll
		}
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(b, f.Data) {
			return fs.SkipAll
		}
		n++
		return nil
	})
	return err == nil && n == len(payload)
}

// swap writes payload to a new version and points ..data at it; it
// returns the new version's name.
func swap(dir string, payload map[string]File, o Owner) (string, error) {
	ts, err := os.MkdirTemp(dir, time.Now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		return "", err
	}
	if err := own(ts, o, 0o755); err != nil {
		return "", err
	}
	for _, p := range slices.Sorted(maps.Keys(payload)) {
		if err := writeFile(ts, p, payload[p], o); err != nil {
			return "", err
		}
	}
	tmp := filepath.Join(dir, newDataLink)
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := symlink(filepath.Base(ts), tmp, o); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, filepath.Join(dir, dataLink)); err != nil {
		return "", err
	}
	return filepath.Base(ts), nil
}

func writeFile(root, rel string, f File, o Owner) error {
	// Directories on the way, each owned like the version's root.
	dir := root
	for _, name := range strings.Split(path.Dir(rel), "/") {
		if name == "." {
			break
		}
		dir = filepath.Join(dir, name)
		if err := mkdir(dir, o); err != nil {
			return err
		}
	}
	p := filepath.Join(root, rel)
	if err := os.WriteFile(p, f.Data, 0o600); err != nil {
		return err
	}
	// Owner before mode: chown clears setuid bits, and the mode is not
	// subject to the umask this way.
	if err := os.Lchown(p, f.UID, f.GID); err != nil {
		return err
	}
	return os.Chmod(p, f.Mode.Perm())
}

// links makes each top-level name of payload a symlink through ..data and
// removes the names no longer in it.
func links(dir string, payload map[string]File, o Owner) error {
	want := map[string]bool{}
	for p := range payload {
		top, _, _ := strings.Cut(p, "/")
		want[top] = true
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, "..") || want[name] {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	for top := range want {
		link := filepath.Join(dir, top)
		target := dataLink + "/" + top
		if t, err := os.Readlink(link); err == nil && t == target {
			continue
		}
		if err := os.RemoveAll(link); err != nil {
			return err
		}
		if err := symlink(target, link, o); err != nil {
			return err
		}
	}
	return nil
}

// removeStale deletes every version but current, and a ..data_tmp a dead
// writer left.
func removeStale(dir, current string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "..") || name == dataLink || name == current {
			continue
		}
		errs = append(errs, os.RemoveAll(filepath.Join(dir, name)))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("atomic write %s: remove stale versions: %w", dir, err)
	}
	return nil
}

func owned(fi fs.FileInfo, f File) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == f.UID && int(st.Gid) == f.GID
}

func mkdir(dir string, o Owner) error {
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return own(dir, o, 0o755)
}

func own(p string, o Owner, m fs.FileMode) error {
	if err := os.Lchown(p, o.UID, o.GID); err != nil {
		return err
	}
	return os.Chmod(p, m)
}

func symlink(target, link string, o Owner) error {
	if err := os.Symlink(target, link); err != nil {
		return err
	}
	return os.Lchown(link, o.UID, o.GID)
}
