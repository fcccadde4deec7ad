package plan

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/podunit/podunit/pod"
)

// AnnotationRelabel asks for hostPath volumes to be relabelled for
// SELinux, as Docker's and Podman's :z/:Z: "vol=Z" gives the volume the
// pod's private label (only this pod can use it), "vol=z" the shared label
// (level s0, every container). Several volumes are comma-separated. It
// does nothing on a host without SELinux; hostPaths are never relabelled
// unless named here.
const AnnotationRelabel = "podunit.io/relabel"

// systemPaths are never relabelled, even when asked: relabelling them
// would break the host (Podman refuses the same list).
var systemPaths = []string{"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32",
	"/lib64", "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys",
	"/tmp", "/usr", "/var", "/var/lib", "/var/log", "/var/tmp"}

// Relabels parses the annotation into hostPath → shared.
func Relabels(p *pod.Pod, stateDir string) (map[string]bool, error) {
	v, ok := p.Metadata.Annotations[AnnotationRelabel]
	if !ok {
		return nil, nil
	}
	field := "metadata.annotations[" + AnnotationRelabel + "]"
	out := map[string]bool{}
	for _, item := range strings.Split(v, ",") {
		name, mode, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || (mode != "z" && mode != "Z") {
			return nil, fmt.Errorf("%s: %q: want volume=z or volume=Z", field, item)
		}
		i := slices.IndexFunc(p.Spec.Volumes, func(vol pod.Volume) bool { return vol.Name == name })
		if i < 0 || p.Spec.Volumes[i].HostPath == nil {
			return nil, fmt.Errorf("%s: %q is not a hostPath volume of the pod", field, name)
		}
		hp := path.Clean(p.Spec.Volumes[i].HostPath.Path)
		if slices.Contains(systemPaths, hp) || hp == stateDir || strings.HasPrefix(hp, stateDir+"/") {
			return nil, fmt.Errorf("%s: refusing to relabel %s (volume %q): it is a system path", field, hp, name)
		}
		out[hp] = mode == "z"
	}
	return out, nil
}
