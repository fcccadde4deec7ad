// Package enter starts a command inside a running container, with
// everything the container's own process has: its namespaces, cgroup, root,
// user, groups, environment, working directory, capability bounding set and
// no_new_privs. rkt's enter kept none of these (CVE-2019-10144, -10145,
// -10147); here they are copied from the container's live process, so exec
// can never be more privileged than the container itself.
package enter

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Target is the container process to join and the identity to run as.
type Target struct {
	HostPID int // the container's main process, as the host sees it
	UID     uint32
	GID     uint32
	Groups  []uint32
	Env     []string
	Cwd     string
}

// Stdio are the files the command gets; with a terminal, all three are
// the pty's slave end and the command becomes its session leader.
type Stdio struct {
	In, Out, Err *os.File
	TTY          bool
}

// namespaces to join, in an order that keeps each setns permitted: the
// mount namespace last, since joining it changes what paths mean.
var namespaces = []struct {
	file string
	flag int
}{
	{"ipc", unix.CLONE_NEWIPC},
	{"uts", unix.CLONE_NEWUTS},
	{"net", unix.CLONE_NEWNET},
	{"pid", unix.CLONE_NEWPID},
	{"cgroup", unix.CLONE_NEWCGROUP},
	{"mnt", unix.CLONE_NEWNS},
}

// Start runs argv in the target and returns the started process. The
// caller waits for it.
func Start(t Target, argv []string, stdio Stdio) (*os.Process, error) {
	if len(argv) == 0 {
		return nil, errors.New("no command")
	}
	st, err := readStatus(t.HostPID)
	if err != nil {
		return nil, fmt.Errorf("read container process %d: %w", t.HostPID, err)
	}
	// Open every namespace before joining any: after the mount namespace
	// changes, the host's /proc is out of reach.
	fds := make([]int, 0, len(namespaces))
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for _, ns := range namespaces {
		fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/%s", t.HostPID, ns.file), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open %s namespace of %d: %w", ns.file, t.HostPID, err)
		}
		fds = append(fds, fd)
	}
	if err := joinCgroups(t.HostPID); err != nil {
		return nil, err
	}

	type result struct {
		p   *os.Process
		err error
	}
	done := make(chan result, 1)
	// Namespaces, the root and the bounding set are per thread: do all of
	// it on one locked thread that is thrown away afterwards (the goroutine
	// ends still locked, so the runtime discards the thread).
	go func() {
		runtime.LockOSThread()
		p, err := startOnThread(t, st, fds, argv, stdio)
		done <- result{p, err}
	}()
	r := <-done
	return r.p, r.err
}

func startOnThread(t Target, st procStatus, fds []int, argv []string, stdio Stdio) (*os.Process, error) {
	// setns(CLONE_NEWNS) refuses a thread that shares its fs struct, and
	// every Go thread does.
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return nil, fmt.Errorf("unshare fs: %w", err)
	}
	for i, ns := range namespaces {
		if err := unix.Setns(fds[i], ns.flag); err != nil {
			return nil, fmt.Errorf("join %s namespace: %w", ns.file, err)
		}
	}
	for c := 0; c <= 63; c++ {
		if st.CapBnd&(1<<uint(c)) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
			return nil, fmt.Errorf("drop capability %d from the bounding set: %w", c, err)
		}
	}
	if st.NoNewPrivs {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return nil, fmt.Errorf("set no_new_privs: %w", err)
		}
	}
	path, err := lookPath(argv[0], t.Env)
	if err != nil {
		return nil, err
	}
	cwd := t.Cwd
	if cwd == "" {
		cwd = "/"
	}
	groups := make([]uint32, len(t.Groups))
	copy(groups, t.Groups)
	attr := &os.ProcAttr{
		Dir:   cwd,
		Env:   t.Env,
		Files: []*os.File{stdio.In, stdio.Out, stdio.Err},
		Sys: &syscall.SysProcAttr{
			Credential: &syscall.Credential{Uid: t.UID, Gid: t.GID, Groups: groups},
			Setsid:     stdio.TTY,
			Setctty:    stdio.TTY,
		},
	}
	p, err := os.StartProcess(path, argv, attr)
	if err != nil {
		return nil, fmt.Errorf("start %s in the container: %w", argv[0], err)
	}
	return p, nil
}

// lookPath resolves a command with the container's PATH, inside its root
// (the calling thread has joined the container's mount namespace).
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	pathVar := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathVar = v
		}
	}
	for _, dir := range strings.Split(pathVar, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + name
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: executable file not found in the container's $PATH", name)
}

// joinCgroups moves this process into the container process's cgroups, so
// the command is accounted, limited and killed with the container. Read-only
// v1 controller hierarchies (as inside a container host) are skipped: they
// cannot be joined by anyone, the container included.
func joinCgroups(pid int) error {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return fmt.Errorf("read cgroups of %d: %w", pid, err)
	}
	var st unix.Statfs_t
	unified := unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
	self := []byte(fmt.Sprint(os.Getpid()))
	for _, f := range cgroupFiles(string(b), "/sys/fs/cgroup", unified) {
		if err := os.WriteFile(f, self, 0); err != nil {
			if errors.Is(err, unix.EROFS) || errors.Is(err, os.ErrNotExist) {
				continue
			}
			return fmt.Errorf("join cgroup %s: %w", f, err)
		}
	}
	return nil
}
