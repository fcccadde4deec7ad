package pods

import (
	"fmt"
	"maps"
	"slices"

	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/podstate"
)

// claimPorts takes the host-wide ports lock and checks that no other
// applied pod publishes a host port p wants. The caller holds the lock
// until p's state is saved, which is what makes its claim visible.
func (m *Manager) claimPorts(p *pod.Pod) (*podstate.Lock, error) {
	l, err := m.State.HostLock("ports", true)
	if err != nil {
		return nil, err
	}
	want := p.Spec.HostPorts()
	if len(want) == 0 {
		return l, nil
	}
	others, err := m.appliedPorts(p.Metadata.Name)
	if err != nil {
		l.Unlock()
		return nil, err
	}
	if err := portConflict(want, others); err != nil {
		l.Unlock()
		return nil, err
	}
	return l, nil
}

// appliedPorts maps every other applied pod to its published ports.
func (m *Manager) appliedPorts(except string) (map[string][]pod.ContainerPort, error) {
	names, err := m.State.Names()
	if err != nil {
		return nil, err
	}
	out := map[string][]pod.ContainerPort{}
	for _, n := range names {
		if n == except {
			continue
		}
		applied, err := m.State.Load(n)
		if err != nil {
			return nil, fmt.Errorf("check host ports: %w", err)
		}
		out[n] = applied.Pod.Spec.HostPorts()
	}
	return out, nil
}

// portConflict names the first pod that already publishes a wanted port.
func portConflict(want []pod.ContainerPort, others map[string][]pod.ContainerPort) error {
	for _, w := range want {
		for _, name := range slices.Sorted(maps.Keys(others)) {
			for _, o := range others[name] {
				if pod.PortsConflict(w, o) {
					return fmt.Errorf("host port %s is already published by pod %q", describePort(w), name)
				}
			}
		}
	}
	return nil
}

func describePort(p pod.ContainerPort) string {
	s := fmt.Sprintf("%d/%s", p.HostPort, p.Proto())
	if p.HostIP != "" {
		s = p.HostIP + ":" + s
	}
	return s
}
