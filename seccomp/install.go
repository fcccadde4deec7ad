package seccomp

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Install loads the filter for the calling thread; it passes to everything
// the thread execs. The caller must hold CAP_SYS_ADMIN or have set
// no_new_privs, and must run on a locked OS thread: only this thread is
// filtered, so it must be the one that calls execve.
func Install(p Program) error {
	if len(p) == 0 {
		return nil
	}
	prog := unix.SockFprog{Len: uint16(len(p)), Filter: &p[0]}
	_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		return fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER): %w", errno)
	}
	return nil
}
