package podstate

import (
	"os"
	"path/filepath"

	"github.com/podunit/podunit/internal/flock"
)

// Lock is a held lock, a pod's or a host-wide one.
type Lock struct{ *flock.Lock }

// Lock takes the pod's exclusive lock, waiting for another podunit process
// that holds it. Locks live on /run (layout.LocksDir), so a reboot frees them.
func (s *Store) Lock(name string) (*Lock, error) {
	path := filepath.Join(s.LockDir, name+".lock")
	for {
		l, err := flock.Acquire(path, true)
		if err != nil {
			return nil, err
		}
		// The holder before us may have removed the file (delete cleans
		// up its lock); then we hold a lock on an orphaned inode and must
		// retry on the path as it is now.
		if l.Current() {
			return &Lock{l}, nil
		}
		l.Unlock()
	}
}

// Release removes the lock file and releases the lock: used when the pod is
// gone, so that no lock file outlives it.
func (l *Lock) Release() {
	os.Remove(l.Path())
	l.Unlock()
}

// HostLock takes a host-wide lock (not a pod's), shared or exclusive. Its
// file starts with a dot, which no pod name can, so no pod's lock is ever
// the same file.
func (s *Store) HostLock(name string, exclusive bool) (*Lock, error) {
	l, err := flock.Acquire(filepath.Join(s.LockDir, "."+name+".lock"), exclusive)
	if err != nil {
		return nil, err
	}
	return &Lock{l}, nil
}

// Lifecycle is held shared by every command that may allocate for a pod
// before its state exists (apply, prepare) and exclusively by gc, which
// frees allocations of pods without state: gc never frees what an apply
// in flight has just taken.
func (s *Store) Lifecycle(exclusive bool) (*Lock, error) { return s.HostLock("lifecycle", exclusive) }
