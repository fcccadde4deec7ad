package flock

import (
	"os"
	"path/filepath"
	"testing"
)

func TestExclusion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l")
	ex, err := Acquire(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := TryAcquire(path, false); ok || err != nil {
		t.Fatalf("shared lock taken beside an exclusive one: %v %v", ok, err)
	}
	ex.Unlock()
	ex.Unlock() // twice is allowed
	sh1, ok, err := TryAcquire(path, false)
	if !ok || err != nil {
		t.Fatalf("shared after unlock: %v %v", ok, err)
	}
	defer sh1.Unlock()
	sh2, ok, err := TryAcquire(path, false)
	if !ok || err != nil {
		t.Fatalf("two shared holders: %v %v", ok, err)
	}
	defer sh2.Unlock()
	if _, ok, _ := TryAcquire(path, true); ok {
		t.Fatal("exclusive lock taken beside shared ones")
	}
}

func TestCurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l")
	l, err := Acquire(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	if !l.Current() {
		t.Fatal("fresh lock not current")
	}
	os.Remove(path)
	if l.Current() {
		t.Fatal("lock on a removed file still current")
	}
}
