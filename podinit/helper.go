package podinit

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/userns"
)

// helperMain is the container-start helper. podinit forked it into a new
// mount namespace, session and process group, with the container's
// stdout/stderr pipes as fds 1 and 2. It builds the container's view of
// the filesystem, drops to the container's user and execs the command in
// place, so its PID is the container's main PID. Anything that goes wrong
// is printed to fd 2, i.e. the container's log.
func helperMain() int {
	// Capabilities, no_new_privs and seccomp are per thread: everything
	// from here to execve happens on this one.
	runtime.LockOSThread()
	report := os.NewFile(helperReportFD, "report")
	unix.CloseOnExec(helperReportFD)
	fail := func(code int, err error) int {
		fmt.Fprintf(os.Stderr, "podinit: %v\n", err)
		if report != nil {
			json.NewEncoder(report).Encode(helperReport{Error: err.Error()})
		}
		return code
	}

	var spec helperSpec
	specFile := os.NewFile(helperSpecFD, "spec")
	data, err := io.ReadAll(specFile)
	specFile.Close()
	if err != nil {
		return fail(exitStartFailed, fmt.Errorf("read container spec: %w", err))
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return fail(exitStartFailed, fmt.Errorf("decode container spec: %w", err))
	}
	c := &spec.Container

	if err := setupFilesystem(c, spec.OwnPIDNamespace || spec.JoinPID != 0); err != nil {
		return fail(exitStartFailed, fmt.Errorf("container %s: %w", c.Name, err))
	}
	if spec.Run != nil {
		report.Close()
		report = nil
		if c.Security != nil && c.Security.ReadOnlyRoot {
			if err := remountReadOnly("/"); err != nil {
				return fail(exitStartFailed, fmt.Errorf("container %s: read-only root: %w", c.Name, err))
			}
		}
		if spec.JoinPID != 0 && c.Security != nil && c.Security.UIDBase != 0 {
			return runInUserNS(spec.Run, c.Security.UIDBase, fail)
		}
		return execRestricted(spec.Run, fail)
	}
	id, err := containerIdentity(userSpec(c.Security, c.User))
	if err == nil {
		id, err = completeIdentity(c.Security, id)
	}
	if err != nil {
		return fail(exitStartFailed, fmt.Errorf("container %s: %w", c.Name, err))
	}
	env := completeEnv(c.Env, spec.Hostname, id.Home)
	cwd := c.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	// Docker and runc create a missing working directory rather than fail.
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		return fail(exitStartFailed, fmt.Errorf("container %s: working directory: %w", c.Name, err))
	}
	if err := os.Chdir(cwd); err != nil {
		return fail(exitStartFailed, fmt.Errorf("container %s: working directory: %w", c.Name, err))
	}
	// Last of the filesystem work: the working directory may have just
	// been created in the root.
	if c.Security != nil && c.Security.ReadOnlyRoot {
		if err := remountReadOnly("/"); err != nil {
			return fail(exitStartFailed, fmt.Errorf("container %s: read-only root: %w", c.Name, err))
		}
	}
	if err := Restrict(c.Security, id.UID, id.GID, id.Groups); err != nil {
		return fail(exitStartFailed, fmt.Errorf("container %s: %w", c.Name, err))
	}

	json.NewEncoder(report).Encode(helperReport{UID: id.UID, GID: id.GID, Groups: id.Groups, Env: env, Cwd: cwd})
	report.Close()
	report = nil

	pathEnv, _ := envGet(env, "PATH")
	path, err := lookPath("/", c.Args[0], pathEnv)
	if err != nil {
		code := exitNotFound
		if ee, ok := err.(*execError); ok {
			code = ee.code
		}
		return fail(code, fmt.Errorf("exec: %w", err))
	}
	err = syscall.Exec(path, c.Args, env)
	return fail(execErrorCode(err), fmt.Errorf("exec %q: %w", path, err))
}

// containerIdentity resolves user against the files of the container the
// helper has pivoted into.
func containerIdentity(user string) (identity, error) {
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil && !os.IsNotExist(err) {
		return identity{}, fmt.Errorf("read /etc/passwd: %w", err)
	}
	group, err := os.ReadFile("/etc/group")
	if err != nil && !os.IsNotExist(err) {
		return identity{}, fmt.Errorf("read /etc/group: %w", err)
	}
	id, err := resolveUser(user, string(passwd), string(group))
	if err != nil {
		return identity{}, fmt.Errorf("resolve user: %w", err)
	}
	return id, nil
}

// switchUser sets groups first: once the uid is not 0, changing them is no
// longer allowed. Go applies these to every thread of the process.
func switchUser(id identity) error {
	groups := make([]int, len(id.Groups))
	for i, g := range id.Groups {
		groups[i] = int(g)
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("setgroups %v: %w", id.Groups, err)
	}
	if err := syscall.Setgid(int(id.GID)); err != nil {
		return fmt.Errorf("setgid %d: %w", id.GID, err)
	}
	if err := syscall.Setuid(int(id.UID)); err != nil {
		return fmt.Errorf("setuid %d: %w", id.UID, err)
	}
	return nil
}

// ensureMountPoint creates target as a directory, or as an empty file when
// the thing to be mounted there is a file.
func ensureMountPoint(target string, file bool) error {
	if !file {
		return os.MkdirAll(target, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_RDONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// runInUserNS runs a probe's or hook's command through the exec helper in
// a new user namespace with the container's mapping: this helper had to
// stay in podinit's to mount the container's /proc, but the command must
// hold its capabilities only as the container does. The exec helper is
// the one `podunit exec` uses; it stays in this mount and PID namespace.
func runInUserNS(run *contract.ExecSpec, base uint32, fail func(int, error) int) int {
	r, w, err := os.Pipe()
	if err != nil {
		return fail(exitStartFailed, err)
	}
	attr := &syscall.ProcAttr{
		Dir:   "/",
		Env:   []string{},
		Files: []uintptr{0, 1, 2, r.Fd()}, // contract.ExecSpecFD
		Sys: &syscall.SysProcAttr{
			Cloneflags:                 unix.CLONE_NEWUSER,
			UidMappings:                userns.Mappings(base),
			GidMappings:                userns.Mappings(base),
			GidMappingsEnableSetgroups: true,
			Credential:                 &syscall.Credential{Uid: 0, Gid: 0},
		},
	}
	pid, err := syscall.ForkExec("/proc/self/exe", []string{podinitName, contract.ExecHelperName}, attr)
	r.Close()
	if err != nil {
		w.Close()
		return fail(exitStartFailed, fmt.Errorf("start the command in a user namespace: %w", err))
	}
	json.NewEncoder(w).Encode(run)
	w.Close()
	var ws unix.WaitStatus
	for {
		if _, err := unix.Wait4(pid, &ws, 0, nil); err != unix.EINTR {
			break
		}
	}
	code, _ := exitOf(ws)
	return code
}
