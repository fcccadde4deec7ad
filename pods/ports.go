package pods

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/pod"
)

// portsLock serialises host port claims across every apply on the host.
type portsLock struct{ f *os.File }

// Unlock releases the lock; releasing twice is allowed.
func (l *portsLock) Unlock() {
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// claimPorts takes the host-wide ports lock and checks that no other
// applied pod publishes a host port p wants. The caller holds the lock
// until p's state is saved, which is what makes its claim visible.
func (m *Manager) claimPorts(p *pod.Pod) (*portsLock, error) {
	if err := os.MkdirAll(m.State.LockDir, 0o700); err != nil {
		return nil, fmt.Errorf("create lock directory: %w", err)
	}
	path := filepath.Join(m.State.LockDir, "ports.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	l := &portsLock{f: f}
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
