package pods

import (
	"fmt"

	"github.com/opencontainers/selinux/go-selinux/label"

	"github.com/podunit/podunit/plan"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/units"
)

// relabel applies the pod's podunit.io/relabel annotation to its hostPath
// volumes; without SELinux labels there is nothing to do.
func (m *Manager) relabel(p *pod.Pod, iso units.Isolation) error {
	if iso.Labels == nil {
		return nil
	}
	paths, err := plan.Relabels(p, m.Host.StateDir)
	if err != nil {
		return err
	}
	for hp, shared := range paths {
		if err := label.Relabel(hp, iso.Labels.File, shared); err != nil {
			return fmt.Errorf("relabel %s: %w", hp, err)
		}
	}
	return nil
}
