package pods

import (
	"context"
	"errors"
	"fmt"

	sd "github.com/coreos/go-systemd/v22/dbus"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/podstate"
	"github.com/podunit/podunit/units"
)

// Restore starts again, after a reboot, the pods apply made: their
// transient units died with the previous boot, but their state did not.
// A pod comes back as the kubelet brings back the pods bound to its node:
// restartPolicy Always always, OnFailure unless it had completed
// successfully, Never not at all (its containers are not restarted; it
// shows as stopped). Pods applied with --transient, pods from manifests
// (the generator brings those) and pods whose unit runs already are left
// alone. Pods start side by side, as apply's do; report is told what
// happened to each pod, in name order.
func (m *Manager) Restore(ctx context.Context, report func(name, what string)) error {
	conn, err := sd.NewSystemConnectionContext(ctx)
	if err != nil {
		return fmt.Errorf("connect to systemd: %w", err)
	}
	defer conn.Close()
	names, err := m.State.Names()
	if err != nil {
		return err
	}
	whats := make([]string, len(names))
	errs := make([]error, len(names))
	inOrder(len(names), func(i int) {
		applied, err := m.State.Load(names[i])
		switch {
		case errors.Is(err, podstate.ErrNotFound):
			return // deleted meanwhile
		case err != nil:
			errs[i] = err
		default:
			if whats[i] = m.restoreVerdict(applied); whats[i] == "" {
				whats[i], errs[i] = m.restoreOne(ctx, conn, applied)
			}
		}
		if errs[i] != nil {
			errs[i] = fmt.Errorf("pod/%s: %w", names[i], errs[i])
		}
	}, func(i int) {
		if whats[i] != "" && errs[i] == nil {
			report(names[i], whats[i])
		}
	})
	return errors.Join(errs...)
}

// restoreVerdict says why an applied pod stays down after a reboot, or
// "" when it comes back.
func (m *Manager) restoreVerdict(a *podstate.Applied) string {
	switch {
	case a.Origin != "" || !a.Persistent:
		return "left alone (not applied, or applied with --transient)"
	case a.Unit != units.Name(a.Pod.Metadata.Name):
		return "left alone (runs as " + a.Unit + ")"
	}
	switch a.Pod.Spec.RestartPolicy {
	case pod.RestartNever:
		return "not restored: restartPolicy Never"
	case pod.RestartOnFailure:
		if st, err := contract.ReadPodStatus(m.Host.StatusDir(a.Pod.Metadata.Name)); err == nil && st.Phase == contract.PhaseSucceeded {
			return "not restored: restartPolicy OnFailure and the pod had succeeded"
		}
	}
	return ""
}

func (m *Manager) restoreOne(ctx context.Context, conn *sd.Conn, a *podstate.Applied) (string, error) {
	name := a.Pod.Metadata.Name
	lock, err := m.State.Lock(name)
	if err != nil {
		return "", err
	}
	defer lock.Unlock()
	u, err := units.Compile(a.Pod, m.Host)
	if err != nil {
		return "", err
	}
	st, err := unitStateOf(ctx, conn, u.Name)
	if err != nil {
		return "", err
	}
	if st.running() {
		return "running", nil
	}
	if err := startUnit(ctx, conn, u); err != nil {
		return "", err
	}
	return "restored", nil
}
