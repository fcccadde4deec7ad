// Package slots is a persistent, locked allocator of small integers to pod
// names: SELinux MCS pairs and user namespace ranges are slots. The table
// is one JSON file; every change happens under an exclusive flock of a
// lock file beside it and is written by rename, so concurrent podunit
// processes never hand out one slot twice and a crash loses nothing.
package slots

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"

	"github.com/podunit/podunit/internal/atomicfile"
	"github.com/podunit/podunit/internal/flock"
)

// Table allocates slots 0..Size-1. What names the resource in errors.
type Table struct {
	Path string
	Size int
	What string
}

// ErrExhausted is returned when every slot is taken.
var ErrExhausted = errors.New("no free slot")

// Allocate returns pod's slot, taking a free one if it has none. The
// first slot tried comes from a hash of the name, so a pod tends to get
// the same slot again after a delete and re-apply.
func (t *Table) Allocate(pod string) (int, error) {
	var slot int
	err := t.update(func(m map[string]int) (bool, error) {
		if s, ok := m[pod]; ok {
			slot = s
			return false, nil
		}
		used := make(map[int]bool, len(m))
		for _, s := range m {
			used[s] = true
		}
		h := fnv.New32a()
		h.Write([]byte(pod))
		start := int(h.Sum32() % uint32(t.Size))
		for i := 0; i < t.Size; i++ {
			s := (start + i) % t.Size
			if !used[s] {
				m[pod], slot = s, s
				return true, nil
			}
		}
		return false, fmt.Errorf("allocate %s for pod %q: all %d are in use (%w); delete pods to free some", t.What, pod, t.Size, ErrExhausted)
	})
	return slot, err
}

// Release frees pod's slot; releasing a pod without one is not an error.
func (t *Table) Release(pod string) error {
	return t.update(func(m map[string]int) (bool, error) {
		if _, ok := m[pod]; !ok {
			return false, nil
		}
		delete(m, pod)
		return true, nil
	})
}

// Lookup returns pod's slot without allocating.
func (t *Table) Lookup(pod string) (int, bool, error) {
	var slot int
	var found bool
	err := t.update(func(m map[string]int) (bool, error) {
		slot, found = m[pod]
		return false, nil
	})
	return slot, found, err
}

// update runs f on the table under the lock and saves it if f changed it.
func (t *Table) update(f func(map[string]int) (bool, error)) error {
	if err := os.MkdirAll(filepath.Dir(t.Path), 0o700); err != nil {
		return fmt.Errorf("%s table: %w", t.What, err)
	}
	lock, err := flock.Acquire(t.Path+".lock", true)
	if err != nil {
		return fmt.Errorf("%s table: %w", t.What, err)
	}
	defer lock.Unlock()
	m := map[string]int{}
	data, err := os.ReadFile(t.Path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("read %s table: %w", t.What, err)
	default:
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("read %s table %s: %w", t.What, t.Path, err)
		}
	}
	changed, err := f(m)
	if err != nil || !changed {
		return err
	}
	if data, err = json.MarshalIndent(m, "", "  "); err != nil {
		return err
	}
	return atomicfile.Write(t.Path, append(data, '\n'), atomicfile.Options{Perm: 0o600, Durable: true})
}

// Holders lists the pods that hold a slot.
func (t *Table) Holders() ([]string, error) {
	var out []string
	err := t.update(func(m map[string]int) (bool, error) {
		for pod := range m {
			out = append(out, pod)
		}
		return false, nil
	})
	return out, err
}
