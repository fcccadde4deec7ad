package podinit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/internal/inroot"
	"golang.org/x/sys/unix"
)

// oldRootPrefix names where the pod's root stays reachable, inside the
// new root, between pivot_root and its unmount. Binds are made from there
// after pivoting, so every target path (and any symlink in it) resolves
// inside the container and cannot point back into the pod. Each helper
// makes its own directory: a probe's or hook's helper builds its view on
// the running container's rootfs, perhaps beside another one.
const oldRootPrefix = ".podinit-oldroot-"

// setupFilesystem runs in the helper's fresh mount namespace: it turns the
// container's overlay (mounted by podinit at c.Rootfs, copied into this
// namespace) into the process's root, with /proc, /sys, /dev and the
// volumes mounted, and the pod's filesystem unreachable.
func setupFilesystem(c *contract.Container, ownPID bool) error {
	// Private first: nothing done here may propagate back to podinit's
	// namespace (or beyond), and pivot_root refuses shared mounts.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	// Sources are pod paths; resolve them while the pod's root is still
	// "/", since afterwards "/" is the container's. A subPath is held
	// open, resolved inside its volume, and bound through its fd.
	mounts := make([]contract.Mount, len(c.Mounts))
	for i, m := range c.Mounts {
		src, err := filepath.EvalSymlinks(m.Source)
		if err != nil {
			return fmt.Errorf("volume source %s: %w", m.Source, err)
		}
		m.Source = src
		if m.SubPath != "" {
			fd, err := openSubPath(src, m.SubPath)
			if err != nil {
				return fmt.Errorf("volume %s subPath %q: %w", m.Target, m.SubPath, err)
			}
			defer unix.Close(fd)
			m.Source = fdPath(fd)
		}
		mounts[i] = m
	}
	// In a user namespace the overlay, made outside it, is a locked
	// mount, which pivot_root refuses; a bind of it made here is not.
	if err := unix.Mount(c.Rootfs, c.Rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind rootfs %s: %w", c.Rootfs, err)
	}
	put, err := os.MkdirTemp(c.Rootfs, oldRootPrefix)
	if err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	oldRoot := "/" + filepath.Base(put)
	if err := unix.PivotRoot(c.Rootfs, put); err != nil {
		return fmt.Errorf("pivot_root to %s: %w", c.Rootfs, err)
	}
	if err := os.Chdir("/"); err != nil {
		return fmt.Errorf("chdir to new root: %w", err)
	}
	if err := mountSystem(oldRoot, ownPID); err != nil {
		return err
	}
	for _, m := range mounts {
		if err := mountVolume(oldRoot, m); err != nil {
			return err
		}
	}
	if s := c.Security; s != nil {
		if err := maskPaths(s.MaskedPaths, s.ReadonlyPaths); err != nil {
			return err
		}
	}
	if err := unix.Unmount(oldRoot, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("unmount old root: %w", err)
	}
	if err := os.Remove(oldRoot); err != nil {
		return fmt.Errorf("remove old root mount point: %w", err)
	}
	return nil
}

// mountSystem provides /proc, /sys and /dev. /sys is a recursive bind of
// the pod's own, so the masks nspawn put on it keep applying. So is /proc
// when the container shares the pod's PID namespace; in a PID namespace
// of its own the container needs a fresh proc, over which the pod's
// /proc/sys is bound again (read-only as nspawn made it; sysctls resolve
// by the opener's namespaces, not the mount's).
func mountSystem(old string, ownPID bool) error {
	if !ownPID {
		if err := bindMount(filepath.Join(old, "proc"), "/proc", false); err != nil {
			return err
		}
	} else if err := mountProc(old); err != nil {
		return err
	}
	if err := bindMount(filepath.Join(old, "sys"), "/sys", true); err != nil {
		return err
	}
	return mountDev(old)
}

// mountProc mounts the helper's own PID namespace's proc at /proc. In a
// user namespace the kernel allows that only while an unobstructed proc
// is mounted in the mount namespace: the one podinit mounted at
// hiddenProc (see mountHiddenProc), reachable under old until the old
// root goes.
func mountProc(old string) error {
	if err := os.MkdirAll("/proc", 0o555); err != nil {
		return fmt.Errorf("/proc: %w", err)
	}
	if err := unix.Mount("proc", "/proc", "proc", procFlags, ""); err != nil {
		return fmt.Errorf("/proc: mount proc: %w", err)
	}
	return bindMount(filepath.Join(old, "proc/sys"), "/proc/sys", false)
}

// hiddenProc is a proc of the pod's PID namespace with nothing mounted
// over it, in podinit's own mount namespace only (containers pivot away
// from it and unmount the pod's root).
const hiddenProc = "/.podinit-proc"

const procFlags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

// mountHiddenProc is needed for containers with a PID and a user
// namespace of their own: a fresh proc mount in a user namespace must not
// reveal more than a proc already mounted there, and the pod's /proc has
// nspawn's masks mounted over parts of it, which the kernel counts as
// hiding (mount_too_revealing).
func mountHiddenProc() error {
	if err := os.MkdirAll(hiddenProc, 0o555); err != nil {
		return fmt.Errorf("%s: %w", hiddenProc, err)
	}
	if err := unix.Mount("proc", hiddenProc, "proc", procFlags, ""); err != nil {
		return fmt.Errorf("%s: mount proc: %w", hiddenProc, err)
	}
	return nil
}

// mountVolume binds a volume's source (a pod path, reached through the old
// root) at its target inside the container.
func mountVolume(old string, m contract.Mount) error {
	src := m.Source
	if !isFDPath(src) {
		src = filepath.Join(old, src)
	}
	return bindMount(src, m.Target, m.ReadOnly)
}

// openSubPath opens sub inside the volume at root with root as its "/"
// (openat2 RESOLVE_IN_ROOT): a symlink a container left in the volume
// cannot lead the mount out of it (CVE-2017-1002101). Missing directories
// are made on the way, inside the volume as well.
func openSubPath(root, sub string) (int, error) {
	rfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(rfd)
	const resolve = unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV
	if fd, err := inroot.Open(rfd, sub, unix.O_PATH, resolve); err == nil || !errors.Is(err, unix.ENOENT) {
		return fd, err
	}
	dir, err := unix.Dup(rfd)
	if err != nil {
		return -1, err
	}
	for _, name := range strings.Split(sub, "/") {
		if name == "" || name == "." {
			continue
		}
		if err := unix.Mkdirat(dir, name, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			unix.Close(dir)
			return -1, err
		}
		// Each step has the directory it is in as its root: a component
		// that is a symlink, even an absolute one, stays inside it.
		next, err := inroot.Open(dir, name, unix.O_PATH|unix.O_DIRECTORY, resolve)
		unix.Close(dir)
		if err != nil {
			return -1, err
		}
		dir = next
	}
	return dir, nil
}

func fdPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

func isFDPath(p string) bool { return strings.HasPrefix(p, "/proc/self/fd/") }

// bindMount binds src at target, creating target as a directory or file
// to match src.
func bindMount(src, target string, readOnly bool) error {
	fi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("bind %s: %w", target, err)
	}
	if err := ensureMountPoint(target, !fi.IsDir()); err != nil {
		return fmt.Errorf("bind %s: create mount point: %w", target, err)
	}
	if err := unix.Mount(src, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s: %w", target, err)
	}
	if readOnly {
		if err := remountReadOnly(target); err != nil {
			return fmt.Errorf("bind %s: %w", target, err)
		}
	}
	return nil
}

// remountReadOnly keeps the bind's nosuid/nodev/noexec: a remount that
// would drop them is refused when they are locked.
func remountReadOnly(target string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(target, &st); err != nil {
		return fmt.Errorf("statfs: %w", err)
	}
	keep := uintptr(st.Flags) & (unix.ST_NOSUID | unix.ST_NODEV | unix.ST_NOEXEC | unix.ST_NOATIME | unix.ST_NODIRATIME | unix.ST_RELATIME)
	if err := unix.Mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|keep, ""); err != nil {
		return fmt.Errorf("remount read-only: %w", err)
	}
	return nil
}

// mountMemoryVolumes mounts the pod's memory-backed emptyDirs in podinit's
// own mount namespace; containers bind them like any other volume. Being
// pod mounts, they vanish with the pod and can never leak to the host.
func mountMemoryVolumes(vols []contract.MemoryVolume, uidBase uint32) error {
	for _, v := range vols {
		if err := os.MkdirAll(v.Path, 0o777); err != nil {
			return fmt.Errorf("memory volume %s: %w", v.Path, err)
		}
		// World-writable, like Kubernetes' emptyDir.
		data := "mode=0777"
		if uidBase != 0 {
			// Owned by the containers' root, not the host's.
			data += fmt.Sprintf(",uid=%d,gid=%d", uidBase, uidBase)
		}
		if v.SizeBytes > 0 {
			data += ",size=" + strconv.FormatInt(v.SizeBytes, 10)
		}
		if err := unix.Mount("tmpfs", v.Path, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, data); err != nil {
			return fmt.Errorf("memory volume %s: mount tmpfs: %w", v.Path, err)
		}
	}
	return nil
}
