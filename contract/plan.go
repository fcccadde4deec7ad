// Package contract is what the host and the pod agree on: the podinit plan
// the host writes, the status records podinit writes back, the paths
// inside the pod where both find them, podinit's exit codes and the exec
// helper's spec. It is a leaf: podinit (inside the pod) and the host-side
// packages (plan, units, pods, enter) import it, and it imports neither.
package contract

// Paths inside the pod (the nspawn container podinit runs in as PID 1).
// The host side binds the pod's runtime directory at RunDir and the image
// store read-only at ImagesDir; see units/ for the binds.
const (
	RunDir    = "/.podunit"
	PlanPath  = RunDir + "/plan.json"
	StatusDir = RunDir + "/status"
	// ContainersDir holds each container's overlay dirs.
	ContainersDir = RunDir + "/containers"
	// ImagesDir is where the host image store is bound read-only; Plan
	// layer paths point below it.
	ImagesDir = RunDir + "/images"
)

// HostPathDir is where the stage puts a hostPath volume inside the pod.
func HostPathDir(volume string) string { return RunDir + "/hostpath/" + volume }

// ProjectedDir is where the stage puts the host's projected-file volumes
// (configMap, secret, downwardAPI, projected), which the host rewrites
// while the pod runs.
const ProjectedDir = "/.podunit-projected"

// ProjectedVolumeDir is where one projected-file volume is in the pod.
func ProjectedVolumeDir(volume string) string { return ProjectedDir + "/" + volume }

// Plan is everything podinit needs to run a pod. The host writes it as
// JSON to <pod run dir>/plan.json before nspawn starts; podinit never reads
// the Pod manifest itself, so it needs no image store and no YAML.
type Plan struct {
	Pod       string `json:"pod"`
	Namespace string `json:"namespace,omitempty"`
	// UID identifies this incarnation of the pod (new on every apply, as
	// metadata.uid under an API server); podinit puts it on every journal
	// line as POD_UID, so a pod deleted and applied again under the same
	// name does not show the old pod's lines.
	UID      string `json:"uid,omitempty"`
	Hostname string `json:"hostname"`
	// RestartPolicy is Always, OnFailure or Never (Kubernetes semantics,
	// applied per container; init containers always behave as OnFailure
	// unless the policy is Never).
	RestartPolicy string `json:"restartPolicy"`
	// GracePeriodSeconds: after SIGTERM to all containers, SIGKILL follows
	// after this many seconds.
	GracePeriodSeconds int64 `json:"gracePeriodSeconds"`
	// Back-off for container restarts (Kubernetes: 10 s doubling to 5 min,
	// reset after a container ran 10 min). Milliseconds, so tests can use
	// small values.
	BackoffBaseMillis  int64 `json:"backoffBaseMillis"`
	BackoffMaxMillis   int64 `json:"backoffMaxMillis"`
	BackoffResetMillis int64 `json:"backoffResetMillis"`
	// SharePIDNamespace is Kubernetes' shareProcessNamespace: every
	// container runs in podinit's PID namespace. Without it each
	// container gets its own, its command being PID 1 there.
	SharePIDNamespace bool `json:"sharePIDNamespace,omitempty"`

	// MemoryVolumes are emptyDirs with medium Memory: podinit mounts one
	// tmpfs for each before any container starts, so every container that
	// mounts the volume shares it, as in Kubernetes.
	MemoryVolumes []MemoryVolume `json:"memoryVolumes,omitempty"`

	InitContainers []Container `json:"initContainers,omitempty"`
	Containers     []Container `json:"containers"`
}

// MemoryVolume is a tmpfs at Path (inside the pod), SizeBytes 0 meaning
// tmpfs's default size.
type MemoryVolume struct {
	Path      string `json:"path"`
	SizeBytes int64  `json:"sizeBytes,omitempty"`
}

// Container is one container, with every image default already resolved
// by the host (Entrypoint/Cmd/Env/WorkingDir/User merged as Kubernetes does).
type Container struct {
	Name string `json:"name"`
	// Layers are directories inside the pod, lowest (base) first; podinit
	// mounts them as the overlay's lowerdirs.
	Layers []string `json:"layers"`
	// Upper and Work are the overlay's upper and work dirs, Rootfs its
	// mount point; all inside the pod, all on the same filesystem.
	Upper  string `json:"upper"`
	Work   string `json:"work"`
	Rootfs string `json:"rootfs"`

	Args       []string `json:"args"`
	Env        []string `json:"env"` // KEY=VALUE, image env first, pod env after (later wins)
	WorkingDir string   `json:"workingDir"`
	// User is the image's User: "", "name", "uid", "name:group", "uid:gid".
	// podinit resolves names against the container's /etc/passwd and
	// /etc/group after its rootfs is mounted.
	User   string  `json:"user,omitempty"`
	Mounts []Mount `json:"mounts,omitempty"`
	// Probes and Hooks: see probe.go. StopSignal is the signal that stops
	// the container (lifecycle.stopSignal), 0 for SIGTERM.
	// Sidecar: an init container that keeps running beside the main
	// containers (restartPolicy: Always).
	Sidecar    bool    `json:"sidecar,omitempty"`
	Probes     *Probes `json:"probes,omitempty"`
	Hooks      *Hooks  `json:"hooks,omitempty"`
	StopSignal int     `json:"stopSignal,omitempty"`
	// Security is enforced on the container and on every exec in it. The
	// host always sets it; nil (podinit's own tests) restricts nothing
	// beyond the pod.
	Security *Security `json:"security,omitempty"`
	// Resources are the container's own cgroup settings: on cgroup v2
	// podinit gives every container a cgroup of its own under the pod's
	// and writes them there, so a container's limits hold whatever its
	// siblings ask for. Nil: none.
	Resources *Resources `json:"resources,omitempty"`
}

// Mount is a volume mount: Source is a path inside the pod (an emptyDir or
// a bound hostPath, the volume's root), Target a path inside the
// container's rootfs.
type Mount struct {
	Source string `json:"source"`
	// SubPath, relative, names what to mount inside Source; it is
	// resolved with Source as its root and created as a directory when
	// missing, as the kubelet does.
	SubPath  string `json:"subPath,omitempty"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"readOnly,omitempty"`
}

// Container states as recorded in status files.
const (
	StateWaiting    = "Waiting"
	StateRunning    = "Running"
	StateTerminated = "Terminated"
)

// Status is what podinit records for each container in
// StatusDir/<name>.json (written atomically: temp file + rename), and what
// `podunit status` and `podunit exec` read on the host.
type Status struct {
	Name         string `json:"name"`
	Init         bool   `json:"init,omitempty"`
	State        string `json:"state"`
	Reason       string `json:"reason,omitempty"` // e.g. Completed, Error, CrashLoopBackOff, Killed
	RestartCount int    `json:"restartCount"`
	// Started and Ready are Kubernetes' containerStatuses[].started and
	// .ready: Started once the startup probe passed (at once without
	// one), Ready while the readiness probe passes (with no readiness
	// probe, while the container runs and has started).
	Started bool `json:"started,omitempty"`
	Ready   bool `json:"ready,omitempty"`
	// Message says why the latest instance that ended did, when podinit
	// ended it (a failed liveness or startup probe, a failed postStart
	// hook); it stays while the next instance runs, like Kubernetes'
	// lastState.
	Message string `json:"message,omitempty"`
	// PID is the container's main process as podinit sees it, in the
	// pod's PID namespace (in its own, unless the pod shares one, the
	// container's main process is PID 1), 0 when not running.
	PID        int    `json:"pid,omitempty"`
	ExitCode   *int   `json:"exitCode,omitempty"`   // last exit; nil if never exited
	Signal     string `json:"signal,omitempty"`     // set when killed by a signal
	StartedAt  string `json:"startedAt,omitempty"`  // RFC 3339
	FinishedAt string `json:"finishedAt,omitempty"` // RFC 3339
	// LastState is the end of the previous instance, recorded when the
	// container restarts (Kubernetes' lastState.terminated); nil before
	// the first restart.
	LastState *Termination `json:"lastState,omitempty"`
	// The resolved identity and environment the process runs with, so that
	// exec can reproduce them exactly.
	UID    uint32   `json:"uid"`
	GID    uint32   `json:"gid"`
	Groups []uint32 `json:"groups,omitempty"`
	Env    []string `json:"env,omitempty"`
	Cwd    string   `json:"cwd,omitempty"`
}

// Termination is how one instance of a container ended.
type Termination struct {
	ExitCode int    `json:"exitCode"`
	Signal   string `json:"signal,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Message: why podinit ended it, if it did (see Status.Message).
	Message    string `json:"message,omitempty"`
	StartedAt  string `json:"startedAt,omitempty"`  // RFC 3339
	FinishedAt string `json:"finishedAt,omitempty"` // RFC 3339
}

// PodStatusFile is StatusDir/pod.json: the pod-level phase.
type PodStatus struct {
	Phase     string `json:"phase"` // Pending, Running, Succeeded, Failed
	StartedAt string `json:"startedAt,omitempty"`
	ReadyAt   string `json:"readyAt,omitempty"`
	// Stopped is set when the pod ended because it was told to stop
	// (systemctl stop, podunit delete, machinectl terminate), not because
	// its containers finished.
	Stopped bool `json:"stopped,omitempty"`
}

// PodStatusFile is the pod-level status record's name in StatusDir.
const PodStatusFile = "pod.json"

// Resources are one container's resources as the kubelet applies them to
// its cgroup; zero fields are unset.
type Resources struct {
	MemoryMax int64 `json:"memoryMax,omitempty"` // bytes (limits.memory)
	MemoryLow int64 `json:"memoryLow,omitempty"` // bytes (requests.memory)
	// CPUMaxMillis is limits.cpu in thousandths of a CPU.
	CPUMaxMillis int64  `json:"cpuMaxMillis,omitempty"`
	CPUWeight    uint64 `json:"cpuWeight,omitempty"` // from requests.cpu
}
