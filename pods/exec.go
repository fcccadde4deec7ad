package pods

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/podunit/podunit/enter"
	"github.com/podunit/podunit/machined"
	"github.com/podunit/podunit/podinit"
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
	for _, c := range applied.Pod.Spec.Containers {
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
	rec, err := readJSON[podinit.Status](filepath.Join(m.Host.RunDir(name), "status", container+".json"))
	if err != nil || rec.State != podinit.StateRunning || rec.PID == 0 {
		return enter.Target{}, fmt.Errorf("container %q of pod %q is not running", container, name)
	}
	pid, err := enter.HostPID(int(mach.Leader), rec.PID)
	if err != nil {
		return enter.Target{}, fmt.Errorf("container %q of pod %q: %w", container, name, err)
	}
	return enter.Target{HostPID: pid, UID: rec.UID, GID: rec.GID, Groups: rec.Groups, Env: rec.Env, Cwd: rec.Cwd}, nil
}
