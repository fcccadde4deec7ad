// Package flock holds flock(2) locks on files. A lock belongs to its open
// file description, so two acquisitions in one process exclude each other
// as two processes do, and a process that dies releases what it held.
package flock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Lock is a held lock.
type Lock struct {
	f    *os.File
	path string
}

// Acquire takes the lock on path, creating the file and its directory,
// and waits while
// another holder has it (exclusively, or at all when exclusive is asked).
func Acquire(path string, exclusive bool) (*Lock, error) {
	l, err := open(path)
	if err != nil {
		return nil, err
	}
	if err := l.flock(mode(exclusive)); err != nil {
		l.Unlock()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return l, nil
}

// TryAcquire is Acquire without waiting: ok is false if another holder
// has the lock.
func TryAcquire(path string, exclusive bool) (l *Lock, ok bool, err error) {
	if l, err = open(path); err != nil {
		return nil, false, err
	}
	err = l.flock(mode(exclusive) | unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		l.Unlock()
		return nil, false, nil
	}
	if err != nil {
		l.Unlock()
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	return l, true, nil
}

// Unlock releases the lock; unlocking twice is allowed, so a caller can
// release early and still defer the unlock.
func (l *Lock) Unlock() {
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// Path is the locked file's path.
func (l *Lock) Path() string { return l.path }

// Current reports whether the locked file is still the one at its path: a
// holder that removed the file leaves later lockers with an orphaned inode.
func (l *Lock) Current() bool {
	var held, now unix.Stat_t
	return l.f != nil && unix.Fstat(int(l.f.Fd()), &held) == nil && unix.Stat(l.path, &now) == nil &&
		held.Ino == now.Ino && held.Dev == now.Dev
}

func open(path string) (*Lock, error) {
	// Lock directories live on /run, which a reboot empties.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("lock directory of %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	return &Lock{f: f, path: path}, nil
}

func mode(exclusive bool) int {
	if exclusive {
		return unix.LOCK_EX
	}
	return unix.LOCK_SH
}

func (l *Lock) flock(how int) error {
	for {
		err := unix.Flock(int(l.f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
