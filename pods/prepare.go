package pods

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/podunit/podunit/plan"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/podinit"
)

// ImageResolver finds a pod's images; the image store implements it.
type ImageResolver interface {
	Resolve(ref string) (*plan.Image, error)
}

// compile resolves every image of the pod and builds its plan.
func (m *Manager) compile(p *pod.Pod) (*podinit.Plan, error) {
	imgs := map[string]*plan.Image{}
	all := append(append([]pod.Container{}, p.Spec.InitContainers...), p.Spec.Containers...)
	for _, c := range all {
		if _, ok := imgs[c.Image]; ok {
			continue
		}
		img, err := m.Images.Resolve(c.Image)
		if err != nil {
			return nil, fmt.Errorf("container %q: %w", c.Name, err)
		}
		imgs[c.Image] = img
	}
	pl, err := plan.Compile(p, m.Host, imgs)
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

// Prepare readies the pod's directories and plan just before nspawn
// starts (the unit's ExecStartPre). It runs on every start, so a restarted
// pod always gets fresh container layers.
func (m *Manager) Prepare(name string) error {
	applied, err := m.State.Load(name)
	if err != nil {
		return err
	}
	pl, err := m.compile(applied.Pod)
	if err != nil {
		return err
	}
	if err := m.Cleanup(name); err != nil {
		return err
	}
	root, run := m.Host.RootDir(name), m.Host.RunDir(name)
	// Status records describe one run of the pod; a start begins anew.
	if err := os.RemoveAll(filepath.Join(run, "status")); err != nil {
		return fmt.Errorf("prepare pod %q: %w", name, err)
	}
	// nspawn wants /usr in its directory and a file to bind podinit onto.
	for _, d := range []string{filepath.Join(root, "usr"), filepath.Join(run, "status"), filepath.Join(run, "containers"), filepath.Join(run, "images")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("prepare pod %q: %w", name, err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "podinit"), nil, 0o755); err != nil {
		return fmt.Errorf("prepare pod %q: %w", name, err)
	}
	for _, v := range applied.Pod.Spec.Volumes {
		if err := m.prepareVolume(name, v); err != nil {
			return fmt.Errorf("prepare pod %q: volume %q: %w", name, v.Name, err)
		}
	}
	b, err := json.MarshalIndent(pl, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan of pod %q: %w", name, err)
	}
	if err := writeFileAtomic(filepath.Join(run, "plan.json"), b); err != nil {
		return fmt.Errorf("write plan of pod %q: %w", name, err)
	}
	return nil
}

func (m *Manager) prepareVolume(name string, v pod.Volume) error {
	switch {
	case v.EmptyDir != nil:
		// emptyDir data lives as long as the pod, across restarts.
		rel := strings.TrimPrefix(plan.EmptyDirPath(v.Name), podinit.RunDir+"/")
		return os.MkdirAll(filepath.Join(m.Host.RunDir(name), rel), 0o777)
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
// also after a crash): nspawn's directory and the containers' writable
// layers. Status records and emptyDir volumes stay until the pod is deleted,
// so `podunit status` and `logs` work on a stopped pod.
func (m *Manager) Cleanup(name string) error {
	run := m.Host.RunDir(name)
	for _, d := range []string{m.Host.RootDir(name), filepath.Join(run, "containers"), filepath.Join(run, "plan.json")} {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("clean up pod %q: %w", name, err)
		}
	}
	return nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
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
