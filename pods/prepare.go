package pods

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/internal/atomicfile"
	"github.com/podunit/podunit/machined"
	"github.com/podunit/podunit/plan"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/podstate"
	"github.com/podunit/podunit/units"
)

// ImageResolver finds a pod's images; the image store implements it.
type ImageResolver interface {
	Resolve(ref string) (*plan.Image, error)
	// Pull fetches ref from its registry (under the signature policy),
	// with the credentials of secrets (Docker config documents) before
	// the host's, and returns the stored image.
	Pull(ctx context.Context, ref string, secrets [][]byte) (*plan.Image, error)
}

// resolve resolves (pulling as the pull mode says) every image of the
// pod and allocates (or finds) its isolation, which is returned for the
// other steps that need it: it is computed once.
func (m *Manager) resolve(ctx context.Context, p *pod.Pod, pull pullMode) (map[string]*plan.Image, units.Isolation, error) {
	imgs := map[string]*plan.Image{}
	secrets := m.pullSecrets(p)
	all := append(append([]pod.Container{}, p.Spec.InitContainers...), p.Spec.Containers...)
	for _, c := range all {
		if _, ok := imgs[c.Image]; ok {
			continue
		}
		img, err := m.image(ctx, c, pull, secrets)
		if err != nil {
			return nil, units.Isolation{}, fmt.Errorf("container %q: %w", c.Name, err)
		}
		imgs[c.Image] = img
	}
	iso, err := m.isolate(p)
	return imgs, iso, err
}

// compile builds the pod's plan from its images and isolation and the
// runtime facts of this start.
func (m *Manager) compile(p *pod.Pod, imgs map[string]*plan.Image, iso units.Isolation, rt plan.Runtime) (*contract.Plan, error) {
	rt.Object = m.objectValues(p.Metadata.Namespace)
	pl, err := plan.Compile(p, m.Host, iso, imgs, rt)
	if err != nil {
		return nil, err
	}
	// podinit checks the plan again when it starts; checking here too
	// makes a bad plan an apply error instead of a unit that fails.
	if err := pl.Validate(); err != nil {
		return nil, err
	}
	return pl, nil
}

// PrepareOptions come from the unit's prepare command line.
type PrepareOptions struct {
	// Spec is the pod the unit carries (units.Spec, in the unit's
	// credential units.SpecCredential); its name is replaced by the name
	// prepare is given, which differs for instances of a template. Nil
	// prepares the pod from its state.
	Spec   []byte
	Origin string
	// Unit finds the unit being started, to record it with new state.
	Unit func() (string, error)
}

// Prepare readies the pod's directories and plan just before the stage
// starts (the unit's ExecStartPre). It runs on every start, so a restarted
// pod always gets fresh container layers. When the unit's spec differs from
// the state on disk (a unit from the generator or an exported file, or a
// state dir lost), the state is written anew from the unit's spec.
func (m *Manager) Prepare(name string, o PrepareOptions) error {
	lc, err := m.State.Lifecycle(false)
	if err != nil {
		return err
	}
	defer lc.Unlock()
	applied, err := m.adopt(name, o)
	if err != nil {
		return err
	}
	imgs, iso, err := m.resolve(context.Background(), applied.Pod, pullAtStart)
	if err != nil {
		return err
	}
	st, err := m.Host.Stage(applied.Pod)
	if err != nil {
		return err
	}
	if err := m.Cleanup(name); err != nil {
		return err
	}
	// Status records describe one run of the pod; a start begins anew.
	if err := os.RemoveAll(m.Host.StatusDir(name)); err != nil {
		return fmt.Errorf("prepare pod %q: %w", name, err)
	}
	for _, d := range []string{m.Host.StatusDir(name), m.Host.InRun(name, contract.ContainersDir), m.Host.InRun(name, contract.ImagesDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("prepare pod %q: %w", name, err)
		}
	}
	for _, v := range applied.Pod.Spec.Volumes {
		if err := m.prepareVolume(name, v); err != nil {
			return fmt.Errorf("prepare pod %q: volume %q: %w", name, v.Name, err)
		}
	}
	if err := m.prepareProjected(applied, iso); err != nil {
		return fmt.Errorf("prepare pod %q: %w", name, err)
	}
	addrs, err := m.setupNetwork(context.Background(), applied.Pod)
	if err != nil {
		return fmt.Errorf("prepare pod %q: %w", name, err)
	}
	// Compiled only now: the downward API reads the pod's addresses.
	pl, err := m.compile(applied.Pod, imgs, iso, m.runtimeFacts(applied, addrs))
	if err != nil {
		return err
	}
	pl.UID = applied.UID
	if err := m.writeEtcFiles(applied.Pod, pl.Hostname, addrs); err != nil {
		return fmt.Errorf("prepare pod %q: %w", name, err)
	}
	if err := m.prepareOwnership(applied.Pod, iso); err != nil {
		return fmt.Errorf("prepare pod %q: %w", name, err)
	}
	if err := m.relabel(applied.Pod, iso); err != nil {
		return fmt.Errorf("prepare pod %q: %w", name, err)
	}
	if err := st.Prepare(applied.Pod, iso.Labels); err != nil {
		return fmt.Errorf("prepare pod %q for %s: %w", name, st.Name(), err)
	}
	b, err := json.MarshalIndent(pl, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan of pod %q: %w", name, err)
	}
	if err := atomicfile.Write(m.Host.PlanFile(name), b, atomicfile.Options{Perm: 0o644}); err != nil {
		return fmt.Errorf("write plan of pod %q: %w", name, err)
	}
	// Restart counts begin anew with every start, so a container
	// instance is (this invocation, its restart count). systemd gives
	// every process of the unit the invocation's ID.
	if err := atomicfile.Write(m.Host.InvocationFile(name), []byte(os.Getenv("INVOCATION_ID")+"\n"), atomicfile.Options{Perm: 0o644}); err != nil {
		return fmt.Errorf("prepare pod %q: %w", name, err)
	}
	return nil
}

func (m *Manager) adopt(name string, o PrepareOptions) (*podstate.Applied, error) {
	applied, err := m.State.Load(name)
	if o.Spec == nil || (err != nil && !errors.Is(err, podstate.ErrNotFound)) {
		return applied, err
	}
	p, err := units.DecodeSpec(o.Spec)
	if err != nil {
		return nil, err
	}
	p.Metadata.Name = name
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("pod %q: %w", name, err)
	}
	hash, err := p.Hash()
	if err != nil {
		return nil, err
	}
	if applied != nil && applied.Hash == hash && applied.Origin == o.Origin {
		return applied, nil
	}
	meta := podstate.Meta{Origin: o.Origin}
	if o.Unit != nil {
		if meta.Unit, err = o.Unit(); err != nil {
			return nil, fmt.Errorf("find the unit of pod %q: %w", name, err)
		}
	}
	if applied != nil {
		// A changed manifest is a new pod, as with apply.
		if err := m.State.Remove(name); err != nil {
			return nil, err
		}
	}
	return m.State.Save(p, meta)
}

func (m *Manager) prepareVolume(name string, v pod.Volume) error {
	switch {
	case v.EmptyDir != nil:
		// emptyDir data lives as long as the pod, across restarts.
		return os.MkdirAll(m.Host.InRun(name, plan.EmptyDirPath(v.Name)), 0o777)
	case v.HostPath != nil:
		return checkHostPath(v.HostPath)
	}
	return nil
}

// checkHostPath applies the Kubernetes hostPath type checks.
func checkHostPath(h *pod.HostPathVolumeSource) error {
	fi, err := os.Stat(h.Path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	switch h.Type {
	case "DirectoryOrCreate":
		if !exists {
			return os.MkdirAll(h.Path, 0o755)
		}
		if !fi.IsDir() {
			return fmt.Errorf("hostPath %s is not a directory", h.Path)
		}
	case "FileOrCreate":
		if !exists {
			f, err := os.OpenFile(h.Path, os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			return f.Close()
		}
	case "Directory":
		if !exists || !fi.IsDir() {
			return fmt.Errorf("hostPath %s: not an existing directory", h.Path)
		}
	case "File":
		if !exists || !fi.Mode().IsRegular() {
			return fmt.Errorf("hostPath %s: not an existing file", h.Path)
		}
	case "Socket", "CharDevice", "BlockDevice":
		want := map[string]fs.FileMode{"Socket": fs.ModeSocket, "CharDevice": fs.ModeCharDevice, "BlockDevice": fs.ModeDevice}[h.Type]
		if !exists || fi.Mode()&want == 0 {
			return fmt.Errorf("hostPath %s: not an existing %s", h.Path, h.Type)
		}
	default:
		// Unset type: no checks, as in Kubernetes; but nspawn can only
		// bind what exists.
		if !exists {
			return fmt.Errorf("hostPath %s does not exist", h.Path)
		}
	}
	return nil
}

// Cleanup removes what only a running pod needs (the unit's ExecStopPost,
// also after a crash): the pod's network (CNI DEL, namespace), what its
// stage made and the containers' writable layers. Status records and
// emptyDir volumes stay until the pod is deleted, so `podunit status` and
// `logs` work on a stopped pod.
func (m *Manager) Cleanup(name string) error {
	// The network first: CNI DEL needs the namespace to find what to free.
	if err := m.releaseNetwork(context.Background(), name); err != nil {
		return err
	}
	if err := m.forgetMachine(context.Background(), name); err != nil {
		return err
	}
	st, err := m.stageOf(name)
	if err != nil {
		return err
	}
	if err := st.Cleanup(name); err != nil {
		return fmt.Errorf("clean up pod %q: %w", name, err)
	}
	for _, d := range []string{m.Host.InRun(name, contract.ContainersDir), m.Host.PlanFile(name)} {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("clean up pod %q: %w", name, err)
		}
	}
	return m.removeProjected(name)
}

// ImageInUse reports whether any pod on this host runs from the image, so
// the store can refuse to delete its layers from under a pod.
func (m *Manager) ImageInUse(id string) bool {
	names, err := m.State.Names()
	if err != nil {
		return true // unsure: refuse rather than break a pod
	}
	for _, n := range names {
		applied, err := m.State.Load(n)
		if err != nil {
			return true
		}
		for _, c := range append(append([]pod.Container{}, applied.Pod.Spec.InitContainers...), applied.Pod.Spec.Containers...) {
			if img, err := m.Images.Resolve(c.Image); err == nil && img.ID == id {
				return true
			}
		}
	}
	return false
}

// forgetMachine unregisters the pod's machine if machined still has it.
// Cleanup runs in the pod's unit (prepare, ExecStopPost) when none of the
// unit's processes is left, so a machine of this unit is stale: nspawn was
// killed before it could unregister. machined drops such a machine only
// once the unit is inactive, which a unit waiting to restart never is, so
// without this every restart would fail with "machine already exists".
func (m *Manager) forgetMachine(ctx context.Context, name string) error {
	unit := units.Name(name)
	if applied, err := m.State.Load(name); err == nil && applied.Unit != "" {
		unit = applied.Unit
	}
	mc, err := machined.New()
	if err != nil {
		return err
	}
	defer mc.Close()
	mach, err := mc.Get(ctx, name)
	if errors.Is(err, machined.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if mach.Unit != unit {
		return nil // someone else's: nspawn will say the name is taken
	}
	return mc.Unregister(ctx, name)
}
