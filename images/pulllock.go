package images

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Pulls download and unpack without the store lock, so GC must know when
// one runs: every pull holds root/pulls.lock shared for its whole
// duration, and only a holder of it exclusive may delete incoming/ or
// layers no image references yet. The store lock is always taken after
// this one, and GC (which holds the store lock) only tries it without
// blocking, so the two cannot deadlock.

func (s *Store) openPullsLock() (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(s.root, "pulls.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("image store pull lock: %w", err)
	}
	return f, nil
}

// pullLock takes the pull lock shared. If no other pull runs, it first
// clears what killed pulls left in incoming/.
func (s *Store) pullLock() (unlock func(), err error) {
	f, err := s.openPullsLock()
	if err != nil {
		return nil, err
	}
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
		if err := cleanDir(s.incomingDir()); err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := flockRetry(f, unix.LOCK_SH); err != nil {
		f.Close()
		return nil, fmt.Errorf("image store pull lock: %w", err)
	}
	return func() { f.Close() }, nil
}

// tryPullsExclusive reports whether no pull is running, holding the lock
// exclusively until release is called.
func (s *Store) tryPullsExclusive() (release func(), ok bool, err error) {
	f, err := s.openPullsLock()
	if err != nil {
		return nil, false, err
	}
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		f.Close()
		return nil, false, nil
	}
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("image store pull lock: %w", err)
	}
	return func() { f.Close() }, true, nil
}

func flockRetry(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
