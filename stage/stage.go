// Package stage is the seam between podunit and the ways a pod runs: what
// differs between a pod in systemd-nspawn and a pod in a VM. A stage
// gives the pod's unit its start command (and the unit settings that
// come with it), readies and removes what only it needs on the host, and
// reaches a running container for `podunit exec`. Everything else (the
// unit compiler, the plan, podinit, images, network, generator) is shared.
//
// The stages mirror systemd's src/nspawn/nspawn-<concern>.c and
// src/vmspawn/vmspawn-<concern>.c: each implementation keeps the same
// concerns in files of the same names (start.go, security.go, prepare.go,
// exec.go). spec.runtimeClassName selects the stage (see units.Host.Stage).
package stage

import (
	"context"
	"os"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/enter"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/selinux"
)

// Stage is one way to run a pod.
type Stage interface {
	// Name is the stage's name in messages (nspawn, kvm).
	Name() string
	// Start is the unit's start command and what comes with it. It is
	// pure and depends on the pod alone, never on an allocation, so the
	// transient, generated and exported units of a pod are the same.
	Start(p *pod.Pod) (Start, error)
	// Prepare readies what the stage needs on the host, at every start
	// (the unit's ExecStartPre, after the steps every stage shares);
	// labels are the pod's SELinux labels, nil without SELinux.
	Prepare(p *pod.Pod, labels *selinux.Labels) error
	// Cleanup removes what only a running pod of this stage needs (the
	// unit's ExecStopPost, also after a crash).
	Cleanup(pod string) error
	// Exec starts argv in a running container with the container's own
	// restrictions. The returned process's exit status is the command's;
	// the caller waits for it.
	Exec(ctx context.Context, t ExecTarget, argv []string, stdio enter.Stdio) (*os.Process, error)
}

// Start is the stage's part of a pod's unit.
type Start struct {
	Argv []string
	// Expand names the variables that ExecStart uses as words of their
	// own ("$NAME"): systemd expands each to zero or more arguments from
	// the unit's environment (files), so they are written unquoted.
	Expand []string
	// Environment and EnvironmentFiles are the unit's; the files are
	// optional (written by Prepare) and read just before ExecStart.
	Environment      []string
	EnvironmentFiles []string
	// KillMode is how systemd stops the start command's processes.
	KillMode string
}

// ExecTarget is a running container as podinit reports it.
type ExecTarget struct {
	Pod string
	// Status is the container's status record: its PID inside the pod
	// and the identity podinit started it with.
	Status contract.Status
	// Security is the container's, from the plan podinit enforces.
	Security *contract.Security
}
