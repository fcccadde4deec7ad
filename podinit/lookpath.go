package podinit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// defaultPath is what Docker and containerd give a container whose image
// sets no PATH.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Shell conventions for a command that cannot be run; Kubernetes users
// know them from "sh: foo: not found".
const (
	exitNotExecutable = 126
	exitNotFound      = 127
	// exitStartFailed: the helper failed before it could try the command
	// (mounts, user). Docker uses 125 for its own failures.
	exitStartFailed = 125
)

// execError carries the exit code a shell would use for the failure.
type execError struct {
	code int
	err  error
}

func (e *execError) Error() string { return e.err.Error() }
func (e *execError) Unwrap() error { return e.err }

// lookPath finds file the way execvp does, with the container's PATH,
// below root ("/" in the helper, which has pivoted into the container, so
// symlinks resolve inside the container). A name containing a slash is
// returned unchanged and left for execve to judge. The result is a path
// inside the container.
func lookPath(root, file, pathEnv string) (string, error) {
	if file == "" {
		return "", &execError{exitNotFound, errors.New("empty command")}
	}
	if strings.Contains(file, "/") {
		return file, nil
	}
	denied := ""
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "." // POSIX: an empty PATH element is the working directory
		}
		p := filepath.Join(dir, file)
		if !filepath.IsAbs(p) {
			p = "./" + p
		}
		fi, err := os.Stat(filepath.Join(root, p))
		if err != nil || fi.IsDir() {
			continue
		}
		if fi.Mode()&0o111 == 0 {
			if denied == "" {
				denied = p
			}
			continue
		}
		return p, nil
	}
	if denied != "" {
		return "", &execError{exitNotExecutable, fmt.Errorf("%q: permission denied", denied)}
	}
	return "", &execError{exitNotFound, fmt.Errorf("%q: executable file not found in $PATH (%s)", file, pathEnv)}
}

// execErrorCode maps an execve failure to the shell's exit code.
func execErrorCode(err error) int {
	var errno syscall.Errno
	if errors.As(err, &errno) && errno == syscall.ENOENT {
		return exitNotFound
	}
	return exitNotExecutable
}

// envGet returns the value of key in a KEY=VALUE list; later entries win,
// as when the host appends pod env after image env.
func envGet(env []string, key string) (string, bool) {
	val, ok := "", false
	for _, kv := range env {
		if k, v, found := strings.Cut(kv, "="); found && k == key {
			val, ok = v, true
		}
	}
	return val, ok
}

// completeEnv dedups env (later wins, first position kept) and adds what
// container runtimes always provide: PATH, HOSTNAME and HOME.
func completeEnv(env []string, hostname, home string) []string {
	idx := map[string]int{}
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			out[i] = kv
			continue
		}
		idx[k] = len(out)
		out = append(out, kv)
	}
	add := func(k, v string) {
		if _, ok := idx[k]; !ok {
			idx[k] = len(out)
			out = append(out, k+"="+v)
		}
	}
	add("PATH", defaultPath)
	if hostname != "" {
		add("HOSTNAME", hostname)
	}
	if home == "" {
		home = "/"
	}
	add("HOME", home)
	return out
}
