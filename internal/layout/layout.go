// Package layout is podunit's layout on the host's disks: every directory
// and file name podunit keeps state, runtime data and inputs under. Paths
// inside a pod are the contract's (package contract); a pod's run
// directory is where the two meet, and InRun maps one onto the other.
//
//	/etc/podunit/pods/*.yaml                  boot-time pods (generator input)
//	/run/podunit/pods/*.yaml                  the same, until reboot
//	<state>/pods/<pod>/spec.json              canonical applied spec
//	<state>/pods/<pod>/spec.sha256            its hash
//	<state>/pods/<pod>/meta.json              unit and origin
//	<state>/pods/<pod>/network.json           the CNI attachment record
//	<state>/pods/<pod>/invocation             the unit invocation of the last start
//	<state>/pods/<pod>/root/                  the stage's (nearly empty) root
//	<state>/pods/<pod>/run/                   bound at contract.RunDir in the pod
//	<state>/images/                           the image store
//	<state>/cni/                              libcni's result cache
//	<state>/userns/, <state>/selinux/         isolation allocators
//	<state>/seccomp/                          Localhost seccomp profiles
//	/run/podunit/locks/<pod>.lock             flock held while changing the pod
//	/run/podunit/locks/.<name>.lock           host-wide locks
//	/run/podunit/netns/<pod>                  the pod's network namespace
//	<state>/objects/<ns>/configmaps/<name>.json  stored ConfigMaps (0700 tree, 0600 files)
//	<state>/objects/<ns>/secrets/<name>.json     stored Secrets
//	/run/podunit/volumes/<pod>/<volume>/      projected-file volumes (tmpfs), bound at contract.ProjectedDir
package layout

import (
	"path/filepath"
	"strings"

	"github.com/podunit/podunit/contract"
)

// Layout is where one podunit installation keeps its files. StateDir is
// persistent (and can be moved with --state-dir); RuntimeDir is on /run,
// so a reboot empties it.
type Layout struct {
	StateDir   string
	RuntimeDir string
}

// Default is the layout of an installed podunit.
var Default = Layout{StateDir: "/var/lib/podunit", RuntimeDir: "/run/podunit"}

// ConfigDir holds podunit's configuration.
const ConfigDir = "/etc/podunit"

// ManifestDirs are the generator's inputs, in order of precedence.
func (l Layout) ManifestDirs() []string {
	return []string{filepath.Join(ConfigDir, "pods"), filepath.Join(l.RuntimeDir, "pods")}
}

// PodsDir holds one directory per pod.
func (l Layout) PodsDir() string { return filepath.Join(l.StateDir, "pods") }

// PodDir is the pod's state directory on the host.
func (l Layout) PodDir(pod string) string { return filepath.Join(l.PodsDir(), pod) }

// The names of a pod's state files in its directory. The store writes
// them into a new directory and renames it into place, so they are names
// as well as paths.
const (
	// SpecName is the applied spec, canonical JSON: a pod directory
	// without it is not a pod.
	SpecName = "spec.json"
	// HashName holds the spec's hash.
	HashName = "spec.sha256"
	// MetaName is what podunit records beside the spec (unit, origin).
	MetaName = "meta.json"
)

// SpecFile is the pod's applied spec.
func (l Layout) SpecFile(pod string) string { return filepath.Join(l.PodDir(pod), SpecName) }

// HashFile holds SpecFile's hash.
func (l Layout) HashFile(pod string) string { return filepath.Join(l.PodDir(pod), HashName) }

// MetaFile is what podunit records beside the spec.
func (l Layout) MetaFile(pod string) string { return filepath.Join(l.PodDir(pod), MetaName) }

// NetworkRecord is the pod's CNI attachment record.
func (l Layout) NetworkRecord(pod string) string {
	return filepath.Join(l.PodDir(pod), "network.json")
}

// InvocationFile holds the systemd invocation ID of the pod's last start:
// the status records describe that run, and its journal lines carry it.
func (l Layout) InvocationFile(pod string) string {
	return filepath.Join(l.PodDir(pod), "invocation")
}

// RootDir is the directory the stage runs the pod in: nearly empty, since
// each container gets its own rootfs below the run directory.
func (l Layout) RootDir(pod string) string { return filepath.Join(l.PodDir(pod), "root") }

// RunDir is bound into the pod at contract.RunDir: the plan, status
// records, container overlay dirs and emptyDir volumes.
func (l Layout) RunDir(pod string) string { return filepath.Join(l.PodDir(pod), "run") }

// InRun is the host path of inPod, a path below contract.RunDir inside
// the pod.
func (l Layout) InRun(pod, inPod string) string {
	return filepath.Join(l.RunDir(pod), strings.TrimPrefix(inPod, contract.RunDir))
}

// PlanFile is the podinit plan prepare writes.
func (l Layout) PlanFile(pod string) string { return l.InRun(pod, contract.PlanPath) }

// StatusDir holds podinit's status records, one per container.
func (l Layout) StatusDir(pod string) string { return l.InRun(pod, contract.StatusDir) }

// StatusFile is one container's status record.
func (l Layout) StatusFile(pod, container string) string {
	return filepath.Join(l.StatusDir(pod), container+".json")
}

// NspawnEnvFile is the environment file prepare writes for the nspawn
// stage's ExecStart.
func (l Layout) NspawnEnvFile(pod string) string { return filepath.Join(l.RunDir(pod), "nspawn.env") }

// ImagesDir is the image store, bound read-only into every pod.
func (l Layout) ImagesDir() string { return filepath.Join(l.StateDir, "images") }

// CNICacheDir is libcni's cache of ADD results, podunit's own so that
// every entry in it belongs to a pod.
func (l Layout) CNICacheDir() string { return filepath.Join(l.StateDir, "cni") }

// UsernsDir holds the user namespace allocator's table.
func (l Layout) UsernsDir() string { return filepath.Join(l.StateDir, "userns") }

// SELinuxDir holds the SELinux level allocator's table.
func (l Layout) SELinuxDir() string { return filepath.Join(l.StateDir, "selinux") }

// SeccompDir is where Localhost seccomp profiles live, like the kubelet's
// seccomp root (/var/lib/kubelet/seccomp).
func (l Layout) SeccompDir() string { return filepath.Join(l.StateDir, "seccomp") }

// LocksDir holds the pods' and the host-wide locks.
func (l Layout) LocksDir() string { return filepath.Join(l.RuntimeDir, "locks") }

// NetworkLock serialises podunit's CNI operations host-wide.
func (l Layout) NetworkLock() string { return filepath.Join(l.LocksDir(), ".network.lock") }

// NetnsDir holds the pods' network namespaces, bind-mounted.
func (l Layout) NetnsDir() string { return filepath.Join(l.RuntimeDir, "netns") }

// NetnsPath is the pod's network namespace: deterministic, so the pod's
// unit can name it before it exists.
func (l Layout) NetnsPath(pod string) string { return filepath.Join(l.NetnsDir(), pod) }

// ObjectsDir holds the stored ConfigMaps and Secrets.
func (l Layout) ObjectsDir() string { return filepath.Join(l.StateDir, "objects") }

// ObjectsLock is held while objects change.
func (l Layout) ObjectsLock() string { return filepath.Join(l.LocksDir(), ".objects.lock") }

// ProjectedRoot holds the projected-file volumes (configMap, secret,
// downwardAPI, projected) of running pods: on /run, a tmpfs, so that
// Secrets in volumes never reach a disk, as the kubelet keeps them.
func (l Layout) ProjectedRoot() string { return filepath.Join(l.RuntimeDir, "volumes") }

// ProjectedDir holds one pod's projected-file volumes, one directory each;
// the stage binds it at contract.ProjectedDir.
func (l Layout) ProjectedDir(pod string) string { return filepath.Join(l.ProjectedRoot(), pod) }
