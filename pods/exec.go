package pods

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/enter"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/podstate"
	"github.com/podunit/podunit/stage"
)

// Exec starts argv in a running container with the identity and
// restrictions podinit started it with, through the pod's stage. An empty
// container name means the pod's first container. The process's exit
// status is the command's; the caller waits for it.
func (m *Manager) Exec(ctx context.Context, name, container string, argv []string, stdio enter.Stdio) (*os.Process, error) {
	applied, err := m.State.Load(name)
	if err != nil {
		return nil, err
	}
	if container == "" {
		container = applied.Pod.Spec.Containers[0].Name
	}
	found := false
	for _, c := range append(append([]pod.Container(nil), applied.Pod.Spec.Containers...), applied.Pod.Spec.InitContainers...) {
		// Init containers run while the pod starts, sidecars for good.
		found = found || c.Name == container
	}
	if !found {
		return nil, fmt.Errorf("container %q is not in pod %q", container, name)
	}
	st, err := m.Host.Stage(applied.Pod)
	if err != nil {
		return nil, err
	}
	rec, err := readJSON[contract.Status](m.Host.StatusFile(name, container))
	if err != nil || rec.State != contract.StateRunning || rec.PID == 0 {
		return nil, fmt.Errorf("container %q of pod %q is not running", container, name)
	}
	// Until the helper reports the identity (its environment always has
	// PATH), the process is still podinit's helper building the container:
	// joining it then would mean the pod's filesystem and podinit's user.
	if len(rec.Env) == 0 {
		return nil, fmt.Errorf("container %q of pod %q is still starting; try again", container, name)
	}
	// The plan podinit enforces is the one exec enforces: it is written
	// before the pod starts and stays until it stops.
	pl, err := readJSON[contract.Plan](m.Host.PlanFile(name))
	if err != nil {
		return nil, fmt.Errorf("pod %q: read its plan: %w", name, err)
	}
	var sec *contract.Security
	for _, c := range append(append([]contract.Container(nil), pl.Containers...), pl.InitContainers...) {
		if c.Name == container {
			sec = c.Security
		}
	}
	if sec == nil {
		return nil, fmt.Errorf("pod %q: its plan has no security settings for container %q", name, container)
	}
	return st.Exec(ctx, stage.ExecTarget{Pod: name, Status: *rec, Security: sec}, argv, stdio)
}

// stageOf is the stage of a pod by its state; a pod without state (its
// cleanup after a delete or a lost state directory) is the default
// stage's.
func (m *Manager) stageOf(name string) (stage.Stage, error) {
	applied, err := m.State.Load(name)
	if errors.Is(err, podstate.ErrNotFound) {
		return m.Host.Stage(&pod.Pod{})
	}
	if err != nil {
		return nil, err
	}
	return m.Host.Stage(applied.Pod)
}
