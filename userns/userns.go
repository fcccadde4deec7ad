// Package userns allocates each pod a private range of 65536 host UIDs and
// GIDs for its user namespace, persistently: a pod keeps its range across
// restarts and reboots (so files it wrote keep meaning the same users),
// and two pods never share one.
package userns

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/internal/slots"
)

const (
	// Size is the length of a pod's range: every 16-bit id.
	Size = 65536
	// First is the first host uid of podunit's ranges, inside systemd's
	// container range (0x00080000–0x6FFFFFFF) and far from the ids
	// nspawn's "pick" tries first, and Count how many ranges it holds.
	First = 0x20000000
	Count = 4096
)

// Allocator hands out ranges; its table lives in dir.
type Allocator struct {
	table slots.Table
}

// NewAllocator keeps its table in dir (/var/lib/podunit/userns).
func NewAllocator(dir string) *Allocator {
	return &Allocator{table: slots.Table{Path: filepath.Join(dir, "ranges.json"), Size: Count, What: "user namespace UID ranges"}}
}

// Base returns the first host uid of pod's range, allocating it first.
func (a *Allocator) Base(pod string) (uint32, error) {
	s, err := a.table.Allocate(pod)
	if err != nil {
		return 0, err
	}
	return First + uint32(s)*Size, nil
}

// Release frees pod's range.
func (a *Allocator) Release(pod string) error { return a.table.Release(pod) }

// Holders lists the pods that hold a range.
func (a *Allocator) Holders() ([]string, error) { return a.table.Holders() }

// Supported reports whether pods can get a user namespace here: user
// namespaces must be enabled, and the image store (dir) must take
// idmapped mounts, so that image layers stay shared. It tries one.
func Supported(dir string) (bool, string) {
	b, err := os.ReadFile("/proc/sys/user/max_user_namespaces")
	if err != nil {
		return false, fmt.Sprintf("user namespaces unavailable: %v", err)
	}
	if string(b) == "0\n" {
		return false, "user namespaces disabled (user.max_user_namespaces = 0)"
	}
	nsfd, err := NSFD(First)
	if err != nil {
		return false, err.Error()
	}
	defer unix.Close(nsfd)
	tree, err := IdmapTree(dir, nsfd)
	if err != nil {
		return false, err.Error()
	}
	unix.Close(tree)
	return true, ""
}
