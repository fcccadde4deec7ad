package podinit

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// devNodes are bound from the pod's /dev: creating device nodes needs
// CAP_MKNOD and the devices cgroup's consent, binding needs neither.
var devNodes = []string{"null", "zero", "full", "random", "urandom", "tty"}

var devLinks = [][2]string{
	{"fd", "/proc/self/fd"},
	{"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"},
	{"ptmx", "pts/ptmx"},
}

// mountDev builds a minimal /dev as Docker does. /dev/shm and /dev/mqueue
// are the pod's (bound), because containers of a pod share IPC, and
// POSIX shared memory lives in /dev/shm.
func mountDev(old string) error {
	if err := os.MkdirAll("/dev", 0o755); err != nil {
		return fmt.Errorf("/dev: %w", err)
	}
	if err := unix.Mount("tmpfs", "/dev", "tmpfs", unix.MS_NOSUID|unix.MS_STRICTATIME, "mode=0755,size=65536k"); err != nil {
		return fmt.Errorf("/dev: mount tmpfs: %w", err)
	}
	for _, n := range devNodes {
		src := filepath.Join(old, "dev", n)
		if _, err := os.Stat(src); err != nil {
			continue // the pod lacks it; so will the container
		}
		if err := bindMount(src, "/dev/"+n, false); err != nil {
			return err
		}
	}
	if err := os.Mkdir("/dev/pts", 0o755); err != nil {
		return fmt.Errorf("/dev/pts: %w", err)
	}
	// gid 5 is "tty" on every distribution; fall back if the kernel balks.
	if err := unix.Mount("devpts", "/dev/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"); err != nil {
		if err := unix.Mount("devpts", "/dev/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"); err != nil {
			return fmt.Errorf("/dev/pts: mount devpts: %w", err)
		}
	}
	for _, l := range devLinks {
		if err := os.Symlink(l[1], "/dev/"+l[0]); err != nil {
			return fmt.Errorf("/dev/%s: %w", l[0], err)
		}
	}
	if _, err := os.Stat(filepath.Join(old, "dev/shm")); err == nil {
		if err := bindMount(filepath.Join(old, "dev/shm"), "/dev/shm", false); err != nil {
			return err
		}
	} else {
		if err := os.Mkdir("/dev/shm", 0o1777); err != nil {
			return fmt.Errorf("/dev/shm: %w", err)
		}
		if err := unix.Mount("shm", "/dev/shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=1777,size=65536k"); err != nil {
			return fmt.Errorf("/dev/shm: mount tmpfs: %w", err)
		}
	}
	if fi, err := os.Stat(filepath.Join(old, "dev/mqueue")); err == nil && fi.IsDir() {
		if err := bindMount(filepath.Join(old, "dev/mqueue"), "/dev/mqueue", false); err != nil {
			return err
		}
	}
	return nil
}
