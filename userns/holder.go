package userns

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// HolderName is argv[0] of a process that only holds a user namespace
// open (podunit's binary in that role), so that its namespace can be
// opened and used to idmap mounts.
const HolderName = "podinit-userns"

// Mappings map container ids 0-65535 to host ids base to base+65535.
func Mappings(base uint32) []syscall.SysProcIDMap {
	return []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(base), Size: Size}}
}

// NSFD opens a user namespace with the mapping of base: a short-lived
// holder child is cloned into it, and the namespace outlives the child
// through the returned fd. A multithreaded Go process cannot unshare a
// user namespace itself.
func NSFD(base uint32) (int, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return -1, err
	}
	defer r.Close()
	pid, err := syscall.ForkExec("/proc/self/exe", []string{HolderName}, &syscall.ProcAttr{
		Files: []uintptr{r.Fd()},
		Sys: &syscall.SysProcAttr{
			Cloneflags:  unix.CLONE_NEWUSER,
			UidMappings: Mappings(base),
			GidMappings: Mappings(base),
		},
	})
	if err != nil {
		w.Close()
		return -1, fmt.Errorf("user namespace: start its holder: %w", err)
	}
	fd, openErr := unix.Open(fmt.Sprintf("/proc/%d/ns/user", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	w.Close() // the holder exits at EOF
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
			break
		}
	}
	if openErr != nil {
		return -1, fmt.Errorf("user namespace: open: %w", openErr)
	}
	return fd, nil
}

// HolderMain is the holder: it waits for EOF on stdin.
func HolderMain() int {
	var b [1]byte
	for {
		if _, err := os.Stdin.Read(b[:]); err != nil {
			return 0
		}
	}
}

// IdmapTree clones the mount tree at dir and idmaps it to the user
// namespace nsfd; the caller attaches the returned detached mount (or
// closes it to drop it).
func IdmapTree(dir string, nsfd int) (int, error) {
	tree, err := unix.OpenTree(unix.AT_FDCWD, dir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return -1, fmt.Errorf("clone the mount at %s: %w", dir, err)
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(nsfd)}
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr); err != nil {
		unix.Close(tree)
		return -1, fmt.Errorf("idmap %s (does its filesystem support idmapped mounts?): %w", dir, err)
	}
	return tree, nil
}
