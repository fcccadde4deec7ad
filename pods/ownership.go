package pods

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/podunit/podunit/plan"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/units"
)

// prepareOwnership gives emptyDirs to the pod's user namespace (whose
// root is host uid base) and applies fsGroup as the kubelet does:
// group-owned by fsGroup, setgid, group writable. Only the volume
// directories change owner, never their contents, so an emptyDir's data
// keeps the owners its containers gave it.
func (m *Manager) prepareOwnership(p *pod.Pod, iso units.Isolation) error {
	base := int(iso.UIDBase)
	var fsGroup *int64
	if sc := p.Spec.SecurityContext; sc != nil {
		fsGroup = sc.FSGroup
	}
	for _, v := range p.Spec.Volumes {
		if v.EmptyDir == nil || v.EmptyDir.Medium == "Memory" {
			continue
		}
		dir := m.Host.InRun(p.Metadata.Name, plan.EmptyDirPath(v.Name))
		if err := os.Chown(filepath.Dir(dir), base, base); err != nil {
			return fmt.Errorf("volume %q: %w", v.Name, err)
		}
		gid, mode := base, os.FileMode(0o777)
		if fsGroup != nil {
			gid, mode = base+int(*fsGroup), 0o777|os.ModeSetgid
		}
		if err := os.Chown(dir, base, gid); err != nil {
			return fmt.Errorf("volume %q: %w", v.Name, err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			return fmt.Errorf("volume %q: %w", v.Name, err)
		}
	}
	return nil
}
