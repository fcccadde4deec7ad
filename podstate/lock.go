package podstate

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Lock is a held lock, a pod's or a host-wide one.
type Lock struct {
	f    *os.File
	path string
}

// Lock takes the pod's exclusive lock, waiting for another podunit process
// that holds it. Locks live on /run, so a reboot frees them.
func (s *Store) Lock(name string) (*Lock, error) {
	if err := os.MkdirAll(s.LockDir, 0o700); err != nil {
		return nil, fmt.Errorf("create lock directory: %w", err)
	}
	path := filepath.Join(s.LockDir, name+".lock")
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open lock %s: %w", path, err)
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// The holder before us may have removed the file (delete cleans
		// up its lock); then we hold a lock on an orphaned inode and must
		// retry on the path as it is now.
		var held, now unix.Stat_t
		if unix.Fstat(int(f.Fd()), &held) == nil && unix.Stat(path, &now) == nil &&
			held.Ino == now.Ino && held.Dev == now.Dev {
			return &Lock{f: f, path: path}, nil
		}
		f.Close()
	}
}

// Unlock releases the lock; unlocking twice is allowed, so a caller can
// release early and still defer the unlock.
func (l *Lock) Unlock() {
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// Release removes the lock file and releases the lock: used when the pod is
// gone, so that no lock file outlives it.
func (l *Lock) Release() {
	os.Remove(l.path)
	l.Unlock()
}

// HostLock takes a host-wide lock (not a pod's), shared or exclusive. Its
// file starts with a dot, which no pod name can, so no pod's lock is ever
// the same file.
func (s *Store) HostLock(name string, exclusive bool) (*Lock, error) {
	if err := os.MkdirAll(s.LockDir, 0o700); err != nil {
		return nil, fmt.Errorf("create lock directory: %w", err)
	}
	path := filepath.Join(s.LockDir, "."+name+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	if err := unix.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f, path: path}, nil
}

// Lifecycle is held shared by every command that may allocate for a pod
// before its state exists (apply, prepare) and exclusively by gc, which
// frees allocations of pods without state: gc never frees what an apply
// in flight has just taken.
func (s *Store) Lifecycle(exclusive bool) (*Lock, error) { return s.HostLock("lifecycle", exclusive) }
