package podinit

import "github.com/podunit/podunit/contract"

// podinit and the helper talk over two pipes passed as fds 3 and 4 of the
// helper: podinit writes a helperSpec to fd 3, the helper answers one
// helperReport on fd 4 just before execve (fd 4 is close-on-exec, so
// podinit then sees EOF). The spec travels by pipe rather than env so
// nothing of it is left in the container's /proc/<pid>/environ.
const (
	helperSpecFD   = 3
	helperReportFD = 4
)

type helperSpec struct {
	Container contract.Container `json:"container"`
	Hostname  string             `json:"hostname"`
	// OwnPIDNamespace: the helper is PID 1 of a new PID namespace and
	// mounts a /proc of its own.
	OwnPIDNamespace bool `json:"ownPIDNamespace,omitempty"`
	// Run, when set, is a probe's or hook's command: the helper builds
	// the container's filesystem again and runs it there as the
	// container, instead of the container's own command. It writes no
	// report.
	Run *contract.ExecSpec `json:"run,omitempty"`
	// JoinPID, for Run: podinit started the helper in the PID namespace
	// of this container process (as podinit sees it), in podinit's own
	// user namespace.
	JoinPID int `json:"joinPID,omitempty"`
}

// helperReport is the identity the container process will run with, or
// why the helper gave up before execve.
type helperReport struct {
	UID    uint32   `json:"uid"`
	GID    uint32   `json:"gid"`
	Groups []uint32 `json:"groups,omitempty"`
	Env    []string `json:"env,omitempty"`
	Cwd    string   `json:"cwd,omitempty"`
	Error  string   `json:"error,omitempty"`
}
