package pods

import (
	"errors"
	"fmt"
	"sync"

	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/selinux"
	"github.com/podunit/podunit/units"
	"github.com/podunit/podunit/userns"
)

// hostSELinux is the host's SELinux state; tests of the label plumbing
// replace it.
var hostSELinux = selinux.Host

// isolate allocates (or finds) the pod's user namespace range and SELinux
// level. apply and prepare call it once and pass the value on.
func (m *Manager) isolate(p *pod.Pod) (units.Isolation, error) {
	var iso units.Isolation
	name := p.Metadata.Name
	// Kubernetes defaults hostUsers to true; podunit's default is a user
	// namespace wherever the host supports one, so only true opts out.
	if p.Spec.HostUsers == nil || !*p.Spec.HostUsers {
		if usernsSupported(m.Host.ImagesDir()) {
			base, err := m.usernsAllocator().Base(name)
			if err != nil {
				return iso, err
			}
			iso.UIDBase = base
		}
	}
	if hostSELinux().Enabled {
		var o selinux.Options
		if sc := p.Spec.SecurityContext; sc != nil && sc.SELinuxOptions != nil {
			o = selinux.Options(*sc.SELinuxOptions)
		}
		// A level the pod names is its own choice: no pair is taken for it.
		level := o.Level
		if level == "" {
			var err error
			if level, err = m.selinuxAllocator().Level(name); err != nil {
				return iso, err
			}
		}
		l := selinux.Make(level, o)
		iso.Labels = &l
	}
	return iso, nil
}

// usernsSupported probes once per process: the probe forks a holder and
// makes an idmapped mount, and a pod is compiled several times per apply.
var usernsSupported = func() func(string) bool {
	var once sync.Once
	var ok bool
	return func(dir string) bool {
		once.Do(func() { ok, _ = userns.Supported(dir) })
		return ok
	}
}()

// releaseIsolation frees what isolate allocated, once the pod is gone.
func (m *Manager) releaseIsolation(name string) error {
	err := errors.Join(m.usernsAllocator().Release(name), m.selinuxAllocator().Release(name))
	if err != nil {
		return fmt.Errorf("release pod %q's allocations: %w", name, err)
	}
	return nil
}

func (m *Manager) usernsAllocator() *userns.Allocator {
	return userns.NewAllocator(m.Host.UsernsDir())
}

func (m *Manager) selinuxAllocator() *selinux.Allocator {
	return selinux.NewAllocator(m.Host.SELinuxDir())
}

// GCIsolation frees the user-namespace ranges and SELinux levels of pods
// that have no state any more (a crash between delete's steps, or a state
// directory removed by hand).
func (m *Manager) GCIsolation(report func(pod, what string)) error {
	lc, err := m.State.Lifecycle(true)
	if err != nil {
		return err
	}
	defer lc.Unlock()
	names, err := m.State.Names()
	if err != nil {
		return err
	}
	live := map[string]bool{}
	for _, n := range names {
		live[n] = true
	}
	var errs []error
	for _, a := range []struct {
		what string
		held func() ([]string, error)
		free func(string) error
	}{
		{"user namespace range", m.usernsAllocator().Holders, m.usernsAllocator().Release},
		{"SELinux level", m.selinuxAllocator().Holders, m.selinuxAllocator().Release},
	} {
		holders, err := a.held()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, pod := range holders {
			if live[pod] {
				continue
			}
			if err := a.free(pod); err != nil {
				errs = append(errs, err)
				continue
			}
			report(pod, a.what)
		}
	}
	return errors.Join(errs...)
}
