package pods

import (
	"context"
	"fmt"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/enter"
	"github.com/podunit/podunit/machined"
	"github.com/podunit/podunit/pod"
)

// ExecTarget finds a running container's process and the identity podinit
// started it with. An empty container name means the pod's first container.
func (m *Manager) ExecTarget(ctx context.Context, name, container string) (enter.Target, error) {
	applied, err := m.State.Load(name)
	if err != nil {
		return enter.Target{}, err
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
		return enter.Target{}, fmt.Errorf("container %q is not in pod %q", container, name)
	}
	mc, err := machined.New()
	if err != nil {
		return enter.Target{}, err
	}
	defer mc.Close()
	mach, err := mc.Get(ctx, name)
	if err != nil {
		return enter.Target{}, fmt.Errorf("pod %q is not running: %w", name, err)
	}
	rec, err := readJSON[contract.Status](m.Host.StatusFile(name, container))
	if err != nil || rec.State != contract.StateRunning || rec.PID == 0 {
		return enter.Target{}, fmt.Errorf("container %q of pod %q is not running", container, name)
	}
	// Until the helper reports the identity (its environment always has
	// PATH), the process is still podinit's helper building the container:
	// joining it then would mean the pod's filesystem and podinit's user.
	if len(rec.Env) == 0 {
		return enter.Target{}, fmt.Errorf("container %q of pod %q is still starting; try again", container, name)
	}
	pid, err := enter.HostPID(int(mach.Leader), rec.PID)
	if err != nil {
		return enter.Target{}, fmt.Errorf("container %q of pod %q: %w", container, name, err)
	}
	// The plan podinit enforces is the one exec enforces: it is written
	// before the pod starts and stays until it stops.
	pl, err := readJSON[contract.Plan](m.Host.PlanFile(name))
	if err != nil {
		return enter.Target{}, fmt.Errorf("pod %q: read its plan: %w", name, err)
	}
	var sec *contract.Security
	for _, c := range append(append([]contract.Container(nil), pl.Containers...), pl.InitContainers...) {
		if c.Name == container {
			sec = c.Security
		}
	}
	if sec == nil {
		return enter.Target{}, fmt.Errorf("pod %q: its plan has no security settings for container %q", name, container)
	}
	return enter.Target{HostPID: pid, UID: rec.UID, GID: rec.GID, Groups: rec.Groups, Env: rec.Env, Cwd: rec.Cwd, Security: sec}, nil
}
