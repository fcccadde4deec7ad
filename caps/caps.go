// Package caps names Linux capabilities and computes a container's set the
// way containerd does: its default set, then Kubernetes' drop and add.
package caps

import (
	"fmt"
	"slices"
	"strings"
)

// Set is a capability bitmask, bit n for capability number n.
type Set uint64

// names lists capabilities by number (linux/capability.h, Linux 5.9+).
var names = []string{
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
	"SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
	"NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
	"SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
	"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
	"SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL",
	"SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
	"BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

// All is every capability this package knows.
var All = Set(1)<<len(names) - 1

// Default is containerd's (and Docker's) default set for a container.
var Default = MustParse("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD",
	"NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE",
	"SYS_CHROOT", "KILL", "AUDIT_WRITE")

// Number returns the number of a capability name. Kubernetes writes names
// without the CAP_ prefix ("NET_ADMIN"); the prefix and any case are
// accepted too, as containerd does.
func Number(name string) (int, bool) {
	n := strings.TrimPrefix(strings.ToUpper(name), "CAP_")
	i := slices.Index(names, n)
	return i, i >= 0
}

// Parse builds a set from names; "ALL" means every capability.
func Parse(list ...string) (Set, error) {
	var s Set
	for _, n := range list {
		if strings.EqualFold(n, "ALL") {
			s |= All
			continue
		}
		i, ok := Number(n)
		if !ok {
			return 0, fmt.Errorf("unknown capability %q", n)
		}
		s |= 1 << i
	}
	return s, nil
}

// MustParse is Parse for names known to be valid.
func MustParse(list ...string) Set {
	s, err := Parse(list...)
	if err != nil {
		panic(err)
	}
	return s
}

// Container computes a container's set as containerd does for Kubernetes:
// privileged gets everything; otherwise the default set, minus drop, plus
// add ("ALL" in drop empties the default, "ALL" in add grants all).
func Container(privileged bool, add, drop []string) (Set, error) {
	if privileged {
		return All, nil
	}
	a, err := Parse(add...)
	if err != nil {
		return 0, err
	}
	d, err := Parse(drop...)
	if err != nil {
		return 0, err
	}
	return Default&^d | a, nil
}

// Has reports whether capability number n is in s.
func (s Set) Has(n int) bool { return n >= 0 && n < 64 && s&(1<<n) != 0 }

// Names lists the set's capabilities, CAP_ prefixed, in number order.
func (s Set) Names() []string {
	var out []string
	for i, n := range names {
		if s.Has(i) {
			out = append(out, "CAP_"+n)
		}
	}
	return out
}
