package selinux

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/podunit/podunit/internal/slots"
)

// Categories is the MCS category count of the targeted policy (c0..c1023);
// a pod gets a pair ci,cj with i < j, as container engines do.
const Categories = 1024

// Pairs is how many distinct pairs there are.
const Pairs = Categories * (Categories - 1) / 2

// Defaults are the contexts of container processes and files in the
// targeted policy (container-selinux), before the pod's level is added.
const (
	DefaultUser        = "system_u"
	DefaultProcessRole = "system_r"
	DefaultProcessType = "container_t"
	DefaultFileRole    = "object_r"
	DefaultFileType    = "container_file_t"
)

// Labels are a pod's process and file contexts.
type Labels struct {
	Process string // for nspawn --selinux-context and podunit exec
	File    string // for --selinux-apifs-context and context= mounts
	Level   string // s0:ci,cj
}

// pair maps slot k (0 <= k < Pairs) to categories i < j.
func pair(k int) (int, int) {
	i := 0
	for row := Categories - 1; k >= row; row-- {
		k -= row
		i++
	}
	return i, i + 1 + k
}

// Allocator hands out MCS pairs, one per pod, persistent and unique
// across podunit processes and reboots (table under dir).
type Allocator struct {
	table slots.Table
}

// NewAllocator keeps its table in dir (/var/lib/podunit/selinux).
func NewAllocator(dir string) *Allocator {
	return &Allocator{table: slots.Table{Path: filepath.Join(dir, "mcs.json"), Size: Pairs, What: "SELinux MCS category pairs"}}
}

// Level returns pod's level, allocating a pair the first time.
func (a *Allocator) Level(pod string) (string, error) {
	k, err := a.table.Allocate(pod)
	if err != nil {
		return "", err
	}
	i, j := pair(k)
	return fmt.Sprintf("s0:c%d,c%d", i, j), nil
}

// Release frees pod's pair.
func (a *Allocator) Release(pod string) error { return a.table.Release(pod) }

// Holders lists the pods that hold a level.
func (a *Allocator) Holders() ([]string, error) { return a.table.Holders() }

// Options override parts of the contexts, as Kubernetes' seLinuxOptions.
type Options struct{ User, Role, Type, Level string }

// Make builds the labels for level with the overrides in o. A type given
// for the process keeps the file type (Kubernetes' seLinuxOptions label
// the process; files keep container_file_t).
func Make(level string, o Options) Labels {
	if o.Level != "" {
		level = o.Level
	}
	user := or(o.User, DefaultUser)
	return Labels{
		Process: strings.Join([]string{user, or(o.Role, DefaultProcessRole), or(o.Type, DefaultProcessType), level}, ":"),
		File:    strings.Join([]string{user, DefaultFileRole, DefaultFileType, level}, ":"),
		Level:   level,
	}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
