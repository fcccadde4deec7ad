// Package inroot opens paths with openat2(2) confined to a directory, the
// way the image unpacker and podinit's subPath resolution need it.
package inroot

import "golang.org/x/sys/unix"

// Open is openat2 with dirfd as the root of path (RESOLVE_IN_ROOT, plus
// the given resolve flags) and O_CLOEXEC. It tries again on EAGAIN, which
// the kernel returns when a rename or mount anywhere on the system raced
// with resolving a ".." and it could not prove the walk stayed inside,
// and on EINTR.
func Open(dirfd int, path string, flags, resolve uint64) (int, error) {
	how := &unix.OpenHow{Flags: flags | unix.O_CLOEXEC, Resolve: resolve | unix.RESOLVE_IN_ROOT}
	for {
		fd, err := unix.Openat2(dirfd, path, how)
		if err != unix.EINTR && err != unix.EAGAIN {
			return fd, err
		}
	}
}
