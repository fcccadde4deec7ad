// Package crashpoint lets the fault tests kill podunit at a chosen point
// between two side effects, the way a power cut or kill -9 would, to
// prove that the next command or `podunit gc` repairs whatever the
// killed one left. With PODUNIT_CRASH_AT unset (always, outside those
// tests) Hit does nothing but one comparison.
//
// PODUNIT_CRASH_AT=PREFIX:N kills the process (SIGKILL, no deferred
// cleanup runs) at the Nth call of Hit whose name starts with PREFIX, after
// printing the checkpoint's name to stderr. Units inherit the variable
// from systemd's manager environment (systemctl set-environment), which is
// how the tests reach the prepare and cleanup steps.
package crashpoint

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Env is the variable that arms a crash point.
const Env = "PODUNIT_CRASH_AT"

var (
	prefix string
	at     int
	mu     sync.Mutex
	count  int
)

func init() {
	v, ok := os.LookupEnv(Env)
	if !ok {
		return
	}
	p, n, ok := strings.Cut(v, ":")
	if k, err := strconv.Atoi(n); ok && err == nil && k > 0 {
		prefix, at = p, k
	}
}

// Hit marks a checkpoint: the named point lies between two side effects
// that a crash may separate.
func Hit(name string) {
	if at == 0 || !strings.HasPrefix(name, prefix) {
		return
	}
	mu.Lock()
	count++
	n := count
	mu.Unlock()
	if n == at {
		fmt.Fprintf(os.Stderr, "crashpoint: killed at %s (#%d)\n", name, n)
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
}
