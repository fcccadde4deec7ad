package podinit

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"

	"github.com/podunit/podunit/contract"
)

// isExecHelper: nsenter runs the helper by a /proc/self/fd path, which
// becomes argv[0], so the role is argv[1].
func isExecHelper(args []string) bool {
	return len(args) > 1 && args[1] == contract.ExecHelperName
}

func execHelperMain() int {
	runtime.LockOSThread()
	fail := func(code int, err error) int {
		fmt.Fprintf(os.Stderr, "podunit exec: %v\n", err)
		return code
	}
	f := os.NewFile(contract.ExecSpecFD, "exec spec")
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return fail(exitStartFailed, fmt.Errorf("read exec spec: %w", err))
	}
	var s contract.ExecSpec
	if err := json.Unmarshal(data, &s); err != nil {
		return fail(exitStartFailed, fmt.Errorf("decode exec spec: %w", err))
	}
	if len(s.Argv) == 0 {
		return fail(exitStartFailed, fmt.Errorf("no command"))
	}
	return execRestricted(&s, fail)
}

// execRestricted runs s's command with the container's restrictions, as
// the container's own process has them; it returns only on failure.
func execRestricted(s *contract.ExecSpec, fail func(int, error) int) int {
	cwd := s.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if err := os.Chdir(cwd); err != nil {
		return fail(exitStartFailed, fmt.Errorf("working directory: %w", err))
	}
	if err := Restrict(s.Security, s.UID, s.GID, s.Groups); err != nil {
		return fail(exitStartFailed, err)
	}
	pathEnv, ok := envGet(s.Env, "PATH")
	if !ok {
		pathEnv = defaultPath
	}
	path, err := lookPath("/", s.Argv[0], pathEnv)
	if err != nil {
		code := exitNotFound
		if ee, ok := err.(*execError); ok {
			code = ee.code
		}
		return fail(code, err)
	}
	err = syscall.Exec(path, s.Argv, s.Env)
	return fail(execErrorCode(err), fmt.Errorf("exec %q: %w", path, err))
}
