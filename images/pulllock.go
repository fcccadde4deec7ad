package images

import (
	"fmt"
	"path/filepath"

	"github.com/podunit/podunit/internal/flock"
)

// Pulls download and unpack without the store lock, so GC must know when
// one runs: every pull holds root/pulls.lock shared for its whole
// duration, and only a holder of it exclusive may delete incoming/ or
// layers no image references yet. The store lock is always taken after
// this one, and GC (which holds the store lock) only tries it without
// blocking, so the two cannot deadlock.

func (s *Store) pullsLockPath() string { return filepath.Join(s.root, "pulls.lock") }

// pullLock takes the pull lock shared. If no other pull runs, it first
// clears what killed pulls left in incoming/: no pull has begun writing
// there before it holds the lock shared.
func (s *Store) pullLock() (unlock func(), err error) {
	release, alone, err := s.tryPullsExclusive()
	if err != nil {
		return nil, err
	}
	if alone {
		err := cleanDir(s.incomingDir())
		release()
		if err != nil {
			return nil, err
		}
	}
	l, err := flock.Acquire(s.pullsLockPath(), false)
	if err != nil {
		return nil, fmt.Errorf("image store pull lock: %w", err)
	}
	return l.Unlock, nil
}

// tryPullsExclusive reports whether no pull is running, holding the lock
// exclusively until release is called.
func (s *Store) tryPullsExclusive() (release func(), ok bool, err error) {
	l, ok, err := flock.TryAcquire(s.pullsLockPath(), true)
	if err != nil || !ok {
		return nil, false, err
	}
	return l.Unlock, true, nil
}
