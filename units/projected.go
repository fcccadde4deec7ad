package units

import (
	"path/filepath"
	"slices"

	"github.com/podunit/podunit/pod"
)

// ProjectedRoot is the host's directory of projected-file volumes
// (configMap, secret, downwardAPI, projected): on /run, a tmpfs, so that
// Secrets in volumes never reach a disk, as the kubelet keeps them.
const ProjectedRoot = "/run/podunit/volumes"

// ProjectedMount is where a pod sees its ProjectedDir.
const ProjectedMount = "/.podunit-projected"

// ProjectedDir holds the pod's projected-file volumes, one directory each.
func (h Host) ProjectedDir(pod string) string { return filepath.Join(ProjectedRoot, pod) }

// ProjectedVolumeDir is where volume's files appear inside the pod.
func ProjectedVolumeDir(volume string) string { return ProjectedMount + "/" + volume }

// HasProjected reports whether the pod has a projected-file volume.
func HasProjected(p *pod.Pod) bool {
	return slices.ContainsFunc(p.Spec.Volumes, func(v pod.Volume) bool { return v.IsProjected() })
}

// projectedArgs bind the pod's projected-file volumes, which prepare
// writes and apply rewrites when an object changes: the bind shows every
// rewrite inside the running pod.
func projectedArgs(p *pod.Pod, h Host) []string {
	if !HasProjected(p) {
		return nil
	}
	return []string{"--bind=" + h.ProjectedDir(p.Metadata.Name) + ":" + ProjectedMount}
}
