package nspawn

import (
	"context"
	"fmt"
	"os"

	"github.com/podunit/podunit/enter"
	"github.com/podunit/podunit/machined"
	"github.com/podunit/podunit/stage"
)

// Exec joins the container's namespaces from the host: the container's
// PID inside the pod is found among the descendants of the machine's
// leader (nspawn's payload, podinit), then enter runs the command there.
func (s Stage) Exec(ctx context.Context, t stage.ExecTarget, argv []string, stdio enter.Stdio) (*os.Process, error) {
	mc, err := machined.New()
	if err != nil {
		return nil, err
	}
	defer mc.Close()
	mach, err := mc.Get(ctx, t.Pod)
	if err != nil {
		return nil, fmt.Errorf("pod %q is not running: %w", t.Pod, err)
	}
	rec := t.Status
	pid, err := enter.HostPID(int(mach.Leader), rec.PID)
	if err != nil {
		return nil, fmt.Errorf("container %q of pod %q: %w", rec.Name, t.Pod, err)
	}
	return enter.Start(enter.Target{HostPID: pid, UID: rec.UID, GID: rec.GID, Groups: rec.Groups, Env: rec.Env, Cwd: rec.Cwd, Security: t.Security}, argv, stdio)
}
