package podinit

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
)

// ExecHelperName is argv[1] of the exec helper: `podunit exec` starts it
// through nsenter inside the container's namespaces (its user namespace
// last, which a multithreaded Go process cannot join itself), and it
// takes on the container's restrictions before execve, exactly as the
// container helper did for the container's own process.
const ExecHelperName = "podinit-exec"

// isExecHelper: nsenter runs the helper by a /proc/self/fd path, which
// becomes argv[0], so the role is argv[1].
func isExecHelper(args []string) bool {
	return len(args) > 1 && args[1] == ExecHelperName
}

// ExecSpecFD is the helper's fd that carries the ExecSpec.
const ExecSpecFD = 3

// ExecSpec is the command and everything it inherits from the container.
type ExecSpec struct {
	Argv     []string  `json:"argv"`
	Env      []string  `json:"env"`
	Cwd      string    `json:"cwd"`
	UID      uint32    `json:"uid"`
	GID      uint32    `json:"gid"`
	Groups   []uint32  `json:"groups,omitempty"`
	Security *Security `json:"security,omitempty"`
}

func execHelperMain() int {
	runtime.LockOSThread()
	fail := func(code int, err error) int {
		fmt.Fprintf(os.Stderr, "podunit exec: %v\n", err)
		return code
	}
	f := os.NewFile(ExecSpecFD, "exec spec")
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return fail(exitStartFailed, fmt.Errorf("read exec spec: %w", err))
	}
	var s ExecSpec
	if err := json.Unmarshal(data, &s); err != nil {
		return fail(exitStartFailed, fmt.Errorf("decode exec spec: %w", err))
	}
	if len(s.Argv) == 0 {
		return fail(exitStartFailed, fmt.Errorf("no command"))
	}
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
