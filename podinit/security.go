package podinit

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/seccomp"
)

// userSpec combines the image's User with runAsUser and runAsGroup, as
// containerd does: an override replaces its half of "user:group".
func userSpec(s *contract.Security, image string) string {
	if s == nil {
		return image
	}
	user, group, hasGroup := strings.Cut(image, ":")
	if s.RunAsUser != nil {
		user = strconv.FormatUint(uint64(*s.RunAsUser), 10)
		// The image's group belonged to the image's user.
		hasGroup = false
	}
	if s.RunAsGroup != nil {
		group, hasGroup = strconv.FormatUint(uint64(*s.RunAsGroup), 10), true
	}
	if hasGroup {
		return user + ":" + group
	}
	return user
}

// completeIdentity adds the supplemental groups and applies runAsNonRoot
// to the resolved identity.
func completeIdentity(s *contract.Security, id identity) (identity, error) {
	if s == nil {
		return id, nil
	}
	for _, g := range s.SupplementalGroups {
		if !containsID(id.Groups, g) {
			id.Groups = append(id.Groups, g)
		}
	}
	if s.RunAsNonRoot && id.UID == 0 {
		return id, errors.New("runAsNonRoot is set but the container would run as root (uid 0); set runAsUser or use an image with a non-root USER")
	}
	return id, nil
}

func containsID(list []uint32, id uint32) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

// maskPaths hides and write-protects kernel interfaces in the container's
// /proc and /sys. Paths this kernel lacks are skipped.
func maskPaths(masked, readonly []string) error {
	for _, p := range masked {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
		if fi.IsDir() {
			err = unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0,mode=0555")
		} else {
			err = unix.Mount("/dev/null", p, "", unix.MS_BIND, "")
		}
		if err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
	}
	for _, p := range readonly {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("read-only %s: %w", p, err)
		}
		if err := remountReadOnly(p); err != nil {
			return fmt.Errorf("read-only %s: %w", p, err)
		}
	}
	return nil
}

// lastCap is the highest capability number this kernel knows.
func lastCap() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return 40
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 40
	}
	return n
}

// Restrict drops the calling thread to the container's privileges and
// identity. It must run on a locked OS thread that then calls execve:
// the bounding set, capabilities, no_new_privs and the seccomp filter are
// per thread. The order matters: the bounding set needs CAP_SETPCAP, the
// seccomp filter CAP_SYS_ADMIN (unless no_new_privs), and the filter goes
// on last so it sees only what the container itself does.
func Restrict(s *contract.Security, uid, gid uint32, groups []uint32) error {
	if s == nil {
		return switchUser(identity{UID: uid, GID: gid, Groups: groups})
	}
	final := s.Capabilities
	for c := 0; c <= lastCap(); c++ {
		if final&(1<<c) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("drop capability %d from the bounding set: %w", c, err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && err != unix.EINVAL {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	// Keep the permitted set across the uid change, so the filter can
	// still be installed and the final set chosen afterwards.
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("keep capabilities: %w", err)
	}
	if err := switchUser(identity{UID: uid, GID: gid, Groups: groups}); err != nil {
		return err
	}
	const sysAdmin = 21
	during := final
	if len(s.Seccomp) > 0 && !s.NoNewPrivs {
		during |= 1 << sysAdmin
	}
	if err := setCaps(during); err != nil {
		return err
	}
	if s.NoNewPrivs {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("set no_new_privs: %w", err)
		}
	}
	if s.ProcessLabel != "" {
		if err := os.WriteFile("/proc/thread-self/attr/exec", []byte(s.ProcessLabel), 0); err != nil {
			return fmt.Errorf("set SELinux exec label %s: %w", s.ProcessLabel, err)
		}
	}
	if len(s.Seccomp) > 0 {
		prog, err := seccomp.FromBytes(s.Seccomp)
		if err != nil {
			return err
		}
		if err := seccomp.Install(prog); err != nil {
			return fmt.Errorf("seccomp profile %s: %w", s.SeccompProfile, err)
		}
	}
	return setCaps(final)
}

// setCaps makes set the thread's permitted and effective capabilities,
// with no inheritable ones.
func setCaps(set uint64) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	data[0].Effective, data[0].Permitted = uint32(set), uint32(set)
	data[1].Effective, data[1].Permitted = uint32(set>>32), uint32(set>>32)
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("set capabilities %#x: %w", set, err)
	}
	return nil
}
