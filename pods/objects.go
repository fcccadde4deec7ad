package pods

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/opencontainers/selinux/go-selinux/label"
	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/internal/atomicwriter"
	"github.com/podunit/podunit/objects"
	"github.com/podunit/podunit/plan"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/podstate"
	"github.com/podunit/podunit/units"
)

// ApplyObjects stores ConfigMaps and Secrets, as the first step of an
// apply. Nothing is stored unless every object may be stored (an
// immutable one unchanged) and every pod of the same apply finds the
// objects and keys it needs (in the store, or among objs). The projected
// volumes of running pods that use a stored object are then rewritten,
// so its new content shows in them within moments, as the kubelet's sync
// does.
func (m *Manager) ApplyObjects(objs []objects.Object, pods []*pod.Pod, report func(objects.Object, objects.Action)) error {
	if len(objs) == 0 && !slices.ContainsFunc(pods, func(p *pod.Pod) bool { return len(objects.References(p)) > 0 }) {
		return nil
	}
	lock, err := m.Objects.Lock(true)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	var errs []error
	actions := make([]objects.Action, len(objs))
	for i, o := range objs {
		if actions[i], err = m.Objects.Plan(o); err != nil {
			errs = append(errs, fmt.Errorf("%s/%s: %w", strings.ToLower(o.Kind()), o.Meta().Name, err))
		}
	}
	for _, p := range pods {
		if err := resolveObjects(p, m.getter(p.Metadata.Namespace, objs)); err != nil {
			errs = append(errs, fmt.Errorf("pod/%s: %w", p.Metadata.Name, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	var changed []objects.Object
	for i, o := range objs {
		if actions[i] != objects.Unchanged {
			if err := m.Objects.Put(o); err != nil {
				return err
			}
			changed = append(changed, o)
		}
		report(o, actions[i])
	}
	m.refreshVolumes(changed)
	return nil
}

// getter finds objects of a namespace: among objs first (an apply's own),
// then in the store.
func (m *Manager) getter(namespace string, objs []objects.Object) objects.Getter {
	return func(kind, name string) (objects.Object, error) {
		for _, o := range objs {
			if o.Kind() == kind && o.Meta().Namespace == namespace && o.Meta().Name == name {
				return o, nil
			}
		}
		s, err := m.Objects.Get(kind, namespace, name)
		if err != nil {
			return nil, err
		}
		return s.Object, nil
	}
}

// objectValues reads objects of a namespace for the plan's env.
func (m *Manager) objectValues(namespace string) func(kind, name string) (map[string][]byte, bool, error) {
	return func(kind, name string) (map[string][]byte, bool, error) {
		s, err := m.Objects.Get(kind, namespace, name)
		if errors.Is(err, objects.ErrNotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		return objects.EnvValues(s.Object), true, nil
	}
}

// resolveObjects checks that everything the pod takes from objects is
// there: the objects and keys of its env, its projected volumes' files
// (their downward API values are not needed yet).
func resolveObjects(p *pod.Pod, get objects.Getter) error {
	if err := objects.CheckReferences(p, get); err != nil {
		return err
	}
	for i, v := range p.Spec.Volumes {
		if v.IsProjected() {
			if _, err := objects.Payload(p, i, plan.Runtime{}, get); err != nil {
				return err
			}
		}
	}
	return nil
}

// refreshVolumes rewrites the projected volumes of running pods that use
// one of changed. A pod the new content does not suit (a key it needs is
// gone) keeps its files, with a warning, as under the kubelet.
func (m *Manager) refreshVolumes(changed []objects.Object) {
	if len(changed) == 0 {
		return
	}
	names, err := m.State.Names()
	if err != nil {
		fmt.Fprintf(m.Warnings, "warning: cannot update the volumes of running pods: %v\n", err)
		return
	}
	for _, n := range names {
		if _, err := os.Stat(m.Host.ProjectedDir(n)); err != nil {
			continue // not running
		}
		a, err := m.State.Load(n)
		if err != nil {
			continue
		}
		uses := slices.ContainsFunc(changed, func(o objects.Object) bool {
			return o.Meta().Namespace == a.Pod.Metadata.Namespace && objects.Uses(a.Pod, o.Kind(), o.Meta().Name)
		})
		if !uses {
			continue
		}
		iso, err := m.isolate(a.Pod) // finds the running pod's allocation
		if err == nil {
			err = m.writeProjected(a, iso)
		}
		if err != nil {
			fmt.Fprintf(m.Warnings, "warning: pod/%s keeps its volumes: %v\n", n, err)
		}
	}
}

// prepareProjected writes the pod's projected-file volumes at its start;
// a missing object or key fails the start with the kubelet's reason.
func (m *Manager) prepareProjected(a *podstate.Applied, iso units.Isolation) error {
	if !a.Pod.HasProjected() {
		return nil
	}
	lock, err := m.Objects.Lock(false)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	if err := m.writeProjected(a, iso); err != nil {
		return fmt.Errorf("%w: %w", plan.ErrContainerConfig, err)
	}
	return nil
}

// writeProjected writes every projected-file volume of a pod from the
// stored objects. The caller holds the objects lock.
func (m *Manager) writeProjected(a *podstate.Applied, iso units.Isolation) error {
	p := a.Pod
	base := int(iso.UIDBase)
	gid := base
	var fsGroup bool
	if sc := p.Spec.SecurityContext; sc != nil && sc.FSGroup != nil {
		gid, fsGroup = base+int(*sc.FSGroup), true
	}
	// Volumes project no addresses: the pod's network may not exist yet.
	rt := m.runtimeFacts(a, nil)
	get := m.getter(p.Metadata.Namespace, nil)
	dir := m.Host.ProjectedDir(p.Metadata.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// Containers' helpers reach their volumes from inside the pod's user
	// namespace: its root owns the directory; nobody else may enter.
	if err := os.Chown(dir, base, base); err != nil {
		return err
	}
	for i, v := range p.Spec.Volumes {
		if !v.IsProjected() {
			continue
		}
		if v.HoldsSecrets() {
			if err := m.onTmpfs(dir); err != nil {
				return fmt.Errorf("volume %q: %w", v.Name, err)
			}
		}
		files, err := objects.Payload(p, i, rt, get)
		if err != nil {
			return err
		}
		for k, f := range files {
			f.UID, f.GID = base, gid
			if fsGroup {
				// The kubelet's SetVolumeOwnership for a read-only volume.
				f.Mode |= 0o440
			}
			files[k] = f
		}
		if err := atomicwriter.Write(filepath.Join(dir, v.Name), files, atomicwriter.Owner{UID: base, GID: gid}); err != nil {
			return fmt.Errorf("volume %q: %w", v.Name, err)
		}
	}
	if iso.Labels != nil {
		// The pod's own file label, as a volume relabelled with :Z.
		if err := label.Relabel(dir, iso.Labels.File, false); err != nil {
			return fmt.Errorf("relabel %s: %w", dir, err)
		}
	}
	return nil
}

// onTmpfs refuses to put Secrets on a disk.
func (m *Manager) onTmpfs(dir string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return err
	}
	if st.Type != unix.TMPFS_MAGIC && st.Type != unix.RAMFS_MAGIC {
		return fmt.Errorf("%s is not on a tmpfs: podunit keeps Secret volumes in memory only", m.Host.ProjectedRoot())
	}
	return nil
}

// removeProjected drops a pod's projected-file volumes. It holds the
// objects lock, so that an apply rewriting the volumes of running pods
// does not make them again for a pod that just stopped.
func (m *Manager) removeProjected(name string) error {
	lock, err := m.Objects.Lock(false)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	if err := os.RemoveAll(m.Host.ProjectedDir(name)); err != nil {
		return fmt.Errorf("remove the volumes of pod %q: %w", name, err)
	}
	return nil
}

// GCProjected removes the projected-file volumes of pods whose unit is
// not running (a crash that skipped the unit's cleanup), and of pods that
// no longer exist.
func (m *Manager) GCProjected(ctx context.Context) ([]string, error) {
	ents, err := os.ReadDir(m.Host.ProjectedRoot())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	conn, err := sd.NewSystemConnectionContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to systemd: %w", err)
	}
	defer conn.Close()
	var cleaned []string
	var errs []error
	for _, e := range ents {
		name := e.Name()
		done, err := m.whenStopped(ctx, conn, name, func() error { return m.removeProjected(name) })
		if err != nil {
			errs = append(errs, err)
		}
		if done {
			cleaned = append(cleaned, name)
		}
	}
	return cleaned, errors.Join(errs...)
}

// ErrObjectInUse is returned for an object that applied pods use.
var ErrObjectInUse = errors.New("in use")

// DeleteObject removes a ConfigMap or Secret. It refuses while an applied
// pod of its namespace uses it (naming the pods), unless force; running
// pods then keep the files they have, as under the kubelet.
func (m *Manager) DeleteObject(kind, namespace, name string, force bool) error {
	lock, err := m.Objects.Lock(true)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	if _, err := m.Objects.Get(kind, namespace, name); err != nil {
		return err
	}
	if !force {
		users, err := m.usersOf(kind, namespace, name)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return fmt.Errorf("%s %q %w by pod %s (delete them first, or use --force)", strings.ToLower(kind), name, ErrObjectInUse, strings.Join(users, ", "))
		}
	}
	return m.Objects.Delete(kind, namespace, name)
}

// usersOf lists the applied pods that refer to an object.
func (m *Manager) usersOf(kind, namespace, name string) ([]string, error) {
	names, err := m.State.Names()
	if err != nil {
		return nil, err
	}
	var users []string
	for _, n := range names {
		a, err := m.State.Load(n)
		if err != nil {
			return nil, err
		}
		if a.Pod.Metadata.Namespace == namespace && objects.Uses(a.Pod, kind, name) {
			users = append(users, n)
		}
	}
	return users, nil
}

// pullSecrets reads the Docker configs of the pod's imagePullSecrets. One
// that is missing or of another type is skipped with a warning, as the
// kubelet does: the pull may not need it, and fails clearly if it does.
func (m *Manager) pullSecrets(p *pod.Pod) [][]byte {
	var out [][]byte
	for i, r := range p.Spec.ImagePullSecrets {
		field := fmt.Sprintf("spec.imagePullSecrets[%d].name", i)
		s, err := m.Objects.Get(objects.KindSecret, p.Metadata.Namespace, r.Name)
		if err != nil {
			fmt.Fprintf(m.Warnings, "Warning: %v; pulling without it\n", p.Source.Errorf(field, "%v", err))
			continue
		}
		cfg, ok := s.Object.(*objects.Secret).DockerConfig()
		if !ok {
			fmt.Fprintf(m.Warnings, "Warning: %v\n", p.Source.Errorf(field, "secret %q is of type %s, not %s: not used for pulls", r.Name, s.Object.(*objects.Secret).Type, objects.SecretDockerConfigJSON))
			continue
		}
		out = append(out, cfg)
	}
	return out
}
