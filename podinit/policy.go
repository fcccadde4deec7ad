package podinit

import (
	"github.com/podunit/podunit/contract"
	"golang.org/x/sys/unix"
)

// shouldRestart applies a restart policy to an app container that just
// exited. Init containers differ: they are restarted on failure unless
// the policy is Never, and never after success.
func shouldRestart(policy string, failed bool) bool {
	switch policy {
	case contract.RestartAlways:
		return true
	case contract.RestartOnFailure:
		return failed
	}
	return false
}

// exitOf turns a wait status into the exit code Kubernetes shows (128+n
// for a signal, as a shell would) and the signal's name.
func exitOf(ws unix.WaitStatus) (code int, signal string) {
	if ws.Signaled() {
		return 128 + int(ws.Signal()), unix.SignalName(ws.Signal())
	}
	return ws.ExitStatus(), ""
}

// reasonFor is the Reason of a terminated container.
func reasonFor(code int) string { return contract.ExitReason(code) }
