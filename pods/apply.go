// Package pods runs pods on this host: apply, delete, the unit's prepare
// and cleanup steps, and the read side (list, status). It is where the pure
// compilers (units, plan) meet their side effects (systemd, the state
// directory, the image store).
package pods

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"

	"github.com/podunit/podunit/generator"
	"github.com/podunit/podunit/internal/crashpoint"
	"github.com/podunit/podunit/internal/fsfull"
	"github.com/podunit/podunit/network"
	"github.com/podunit/podunit/objects"
	"github.com/podunit/podunit/plan"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/podstate"
	"github.com/podunit/podunit/units"
)

// Manager runs pods for one host layout.
type Manager struct {
	Host   units.Host
	State  *podstate.Store
	Images ImageResolver
	Net    network.Config
	// Objects are the ConfigMaps and Secrets pods use.
	Objects *objects.Store
	// Warnings receives what goes wrong without failing the command.
	Warnings io.Writer
	// Transient pods are not restored after a reboot (apply --transient).
	Transient bool
}

// New returns a manager for the host layout.
func New(h units.Host, images ImageResolver) *Manager {
	m := &Manager{Host: h, State: podstate.New(h), Images: images, Net: netConfig(h), Objects: objects.New(h.Layout), Warnings: os.Stderr}
	m.Net.Warnings = m.Warnings
	return m
}

// unitExistsTries bounds how often apply stops a unit of the pod's name
// that is in the way and tries again: about two seconds.
const unitExistsTries = 20

// Action is what apply did to one pod, in kubectl's words.
type Action string

const (
	Created    Action = "created"
	Configured Action = "configured" // the spec changed: the pod was replaced
	Unchanged  Action = "unchanged"
	Started    Action = "started" // same spec, but the pod was not running
)

// Apply makes each pod run as written. Pods are independent: one failing
// does not stop the others; the errors are joined. Up to startJobs pods
// start at once (each start waits for its pod's READY, most of it spent
// in systemd and nspawn), and report hears of them in the order given.
func (m *Manager) Apply(ctx context.Context, pods []*pod.Pod, report func(name string, a Action)) error {
	conn, err := sd.NewSystemConnectionContext(ctx)
	if err != nil {
		return fmt.Errorf("connect to systemd: %w", err)
	}
	defer conn.Close()
	lc, err := m.State.Lifecycle(false)
	if err != nil {
		return err
	}
	defer lc.Unlock()
	actions := make([]Action, len(pods))
	errs := make([]error, len(pods))
	inOrder(len(pods), func(i int) {
		p := pods[i]
		a, err := m.applyOne(ctx, conn, p)
		if err != nil {
			// A pod that does not exist after a failed apply keeps no
			// user namespace range or SELinux level.
			if _, lerr := m.State.Load(p.Metadata.Name); errors.Is(lerr, podstate.ErrNotFound) {
				err = errors.Join(err, m.releaseIsolation(p.Metadata.Name))
			}
			err = fsfull.Explain(err, "pod state", m.Host.StateDir)
			errs[i] = fmt.Errorf("pod/%s (%s): %w", p.Metadata.Name, sourceOf(p), err)
		}
		actions[i] = a
	}, func(i int) {
		if errs[i] == nil {
			report(pods[i].Metadata.Name, actions[i])
		}
	})
	return errors.Join(errs...)
}

func sourceOf(p *pod.Pod) string {
	if p.Source.File == "" {
		return "stdin"
	}
	return fmt.Sprintf("%s:%d", p.Source.File, p.Source.Line)
}

func (m *Manager) applyOne(ctx context.Context, conn *sd.Conn, p *pod.Pod) (Action, error) {
	name := p.Metadata.Name
	// Everything that can be checked without touching the host is checked
	// first, so bad input changes nothing; the unit first of all, as it
	// needs neither images nor the network.
	u, err := units.Compile(p, m.Host)
	if err != nil {
		return "", err
	}
	imgs, iso, err := m.resolve(ctx, p, pullByPolicy)
	if err != nil {
		return "", err
	}
	// The pod's addresses are not known yet; prepare compiles the plan
	// again with them.
	if _, err := m.compile(p, imgs, iso, plan.Runtime{}); err != nil {
		return "", err
	}
	if _, err := m.checkNetwork(ctx, p, true); err != nil {
		return "", err
	}
	hash, err := p.Hash()
	if err != nil {
		return "", err
	}

	lock, err := m.State.Lock(name)
	if err != nil {
		return "", err
	}
	defer lock.Unlock()
	// From the check until the state is saved, no other apply may claim
	// the same host ports.
	ports, err := m.claimPorts(p)
	if err != nil {
		return "", err
	}
	defer ports.Unlock()

	old, err := m.State.Load(name)
	if err != nil && !errors.Is(err, podstate.ErrNotFound) {
		return "", err
	}
	action := Created
	if old != nil {
		if old.Origin == units.OriginGenerator {
			return "", fmt.Errorf("pod %q comes from a manifest in %s; change it there", name, strings.Join(generator.Dirs, " or "))
		}
		if old.Pod.Metadata.Namespace != p.Metadata.Namespace {
			return "", fmt.Errorf("a pod named %q already runs in namespace %q; pod names are unique per host", name, old.Pod.Metadata.Namespace)
		}
		st, err := unitStateOf(ctx, conn, u.Name)
		if err != nil {
			return "", err
		}
		if old.Hash == hash && st.running() {
			if old.Persistent == m.Transient {
				old.Meta.Persistent = !m.Transient
				if err := m.State.SetMeta(name, old.Meta); err != nil {
					return "", err
				}
			}
			return Unchanged, nil
		}
		action = Configured
		if old.Hash == hash {
			action = Started
		}
		if err := stopUnit(ctx, conn, u.Name); err != nil {
			return "", err
		}
		if err := m.State.Remove(name); err != nil {
			return "", err
		}
	}

	if _, err := m.State.Save(p, podstate.Meta{Unit: u.Name, Persistent: !m.Transient}); err != nil {
		return "", err
	}
	ports.Unlock()
	crashpoint.Hit("apply/saved")
	err = startUnit(ctx, conn, u)
	for try := 0; errors.Is(err, errUnitExists) && try < unitExistsTries; try++ {
		// A leftover unit of that name (a crash before its state was
		// written), or the one just stopped, which systemd unloads only
		// once the mount of its credentials is gone: a moment later on a
		// busy host. Stopping it first on every apply would cost two more
		// round trips to systemd on the start path.
		if try > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		if err = stopUnit(ctx, conn, u.Name); err == nil {
			err = startUnit(ctx, conn, u)
		}
	}
	if err != nil {
		// Leave nothing behind: stop whatever started, forget the unit,
		// drop the state.
		cleanupErr := errors.Join(stopUnit(context.WithoutCancel(ctx), conn, u.Name), m.State.Remove(name))
		lock.Release()
		return "", errors.Join(err, cleanupErr)
	}
	return action, nil
}

// Delete stops a pod and removes everything it had.
func (m *Manager) Delete(ctx context.Context, name string) error {
	conn, err := sd.NewSystemConnectionContext(ctx)
	if err != nil {
		return fmt.Errorf("connect to systemd: %w", err)
	}
	defer conn.Close()
	lock, err := m.State.Lock(name)
	if err != nil {
		return err
	}
	applied, err := m.State.Load(name)
	if err != nil {
		lock.Release()
		return err
	}
	if applied.Origin == units.OriginGenerator {
		lock.Unlock()
		return fmt.Errorf("pod %q comes from a manifest in %s: remove the file there (podunit-sync.path then removes the pod; without it, run podunit sync)", name, strings.Join(generator.Dirs, " or "))
	}
	if err := m.remove(ctx, conn, applied); err != nil {
		lock.Unlock()
		return err
	}
	lock.Release()
	return nil
}

// remove stops a pod's unit and frees everything the pod held: its state
// (emptyDir data included) and its isolation allocations. The caller holds
// the pod's lock.
func (m *Manager) remove(ctx context.Context, conn *sd.Conn, applied *podstate.Applied) error {
	name := applied.Pod.Metadata.Name
	if err := stopUnit(ctx, conn, applied.Unit); err != nil {
		return err
	}
	crashpoint.Hit("delete/stopped")
	if err := m.State.Remove(name); err != nil {
		return err
	}
	if err := m.removeProjected(name); err != nil {
		return err
	}
	crashpoint.Hit("delete/removed")
	return m.releaseIsolation(name)
}
