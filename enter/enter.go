// Package enter starts a command inside a running container with every
// restriction the container's own process has: its namespaces (user
// namespace included), cgroup, user, groups, environment, working
// directory, capabilities (bounding, permitted, effective; no inheritable
// or ambient ones), no_new_privs, seccomp filter and SELinux label. rkt's
// enter kept none of these (CVE-2019-10144, -10145, -10147).
//
// The namespaces are joined by nsenter (util-linux): a Go process has
// threads, and a multithreaded process may not join a user namespace. The
// command it runs is podinit's exec helper (this very binary, passed as
// an open file), which takes on the container's restrictions from the
// plan podinit enforces, and execs the command.
package enter

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"github.com/podunit/podunit/contract"
	"golang.org/x/sys/unix"
)

// Target is the container process to join and what the command inherits.
type Target struct {
	HostPID int // the container's main process, as the host sees it
	UID     uint32
	GID     uint32
	Groups  []uint32
	Env     []string
	Cwd     string
	// Security is the container's, from the pod's plan.
	Security *contract.Security
}

// Stdio are the files the command gets; with a terminal, all three are
// the pty's slave end and the command becomes its session leader.
type Stdio struct {
	In, Out, Err *os.File
	TTY          bool
}

// Start runs argv in the target and returns the started process (nsenter,
// whose exit status is the command's). The caller waits for it.
func Start(t Target, argv []string, stdio Stdio) (*os.Process, error) {
	if len(argv) == 0 {
		return nil, errors.New("no command")
	}
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		return nil, fmt.Errorf("podunit exec needs nsenter (util-linux): %w", err)
	}
	args := []string{"nsenter", "--target", strconv.Itoa(t.HostPID), "--mount", "--uts", "--ipc", "--net", "--pid", "--cgroup"}
	if own, err := sameUserNS(t.HostPID); err != nil {
		return nil, err
	} else if !own {
		// nsenter joins the user namespace after the others, and becomes
		// its root: the exec helper then drops to the container's user.
		args = append(args, "--user")
	}
	self, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("open the podunit binary: %w", err)
	}
	defer self.Close()
	// After joining the mount namespace, the helper is reached through
	// its open file (fd 4 below): the container's filesystem lacks it.
	// nsenter makes the path argv[0], so the role goes in argv[1].
	args = append(args, "--", "/proc/self/fd/4", contract.ExecHelperName)
	specR, specW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer specR.Close()
	if err := joinCgroups(t.HostPID); err != nil {
		specW.Close()
		return nil, err
	}
	attr := &os.ProcAttr{
		Env:   []string{},
		Files: []*os.File{stdio.In, stdio.Out, stdio.Err, specR, self},
		Sys:   &syscall.SysProcAttr{Setsid: stdio.TTY, Setctty: stdio.TTY},
	}
	p, err := os.StartProcess(nsenter, args, attr)
	if err != nil {
		specW.Close()
		return nil, fmt.Errorf("start nsenter: %w", err)
	}
	spec := contract.ExecSpec{Argv: argv, Env: t.Env, Cwd: t.Cwd, UID: t.UID, GID: t.GID, Groups: t.Groups, Security: t.Security}
	err = json.NewEncoder(specW).Encode(spec)
	specW.Close()
	if err != nil {
		p.Kill()
		p.Wait()
		return nil, fmt.Errorf("send the command to the exec helper: %w", err)
	}
	return p, nil
}

func sameUserNS(pid int) (bool, error) {
	own, err := os.Readlink("/proc/self/ns/user")
	if err != nil {
		return false, err
	}
	theirs, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", pid))
	if err != nil {
		return false, fmt.Errorf("user namespace of %d: %w", pid, err)
	}
	return own == theirs, nil
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
