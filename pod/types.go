// Package pod owns the Pod manifest: a strict subset of Kubernetes core/v1
// Pod with the same field names, its YAML decoding (with file:line:column
// errors), defaults and validation.
package pod

// Pod is a Kubernetes-style core/v1 Pod, restricted to what podunit runs.
type Pod struct {
	APIVersion string     `json:"apiVersion" yaml:"apiVersion"`
	Kind       string     `json:"kind" yaml:"kind"`
	Metadata   ObjectMeta `json:"metadata" yaml:"metadata"`
	Spec       PodSpec    `json:"spec" yaml:"spec"`

	// Source records where the pod was read from, for error messages.
	// It is not part of the manifest and not part of the canonical form.
	Source Source `json:"-" yaml:"-"`
	// Warnings are Decode's warnings about this pod (see Warning), for
	// the command to show; like Source, not part of the manifest.
	Warnings []*Warning `json:"-" yaml:"-"`
}

// Source locates a decoded document.
type Source struct {
	File string // path, or "-" for standard input
	Line int    // line of the document's first node
	pos  map[string]position
}

// Errorf is an error about field (a path such as spec.volumes[0].name) at
// the position it was read from, or the nearest enclosing field's: for the
// checks only the host can make (does the ConfigMap exist?), which still
// point at the manifest line.
func (s Source) Errorf(field, format string, args ...any) error {
	v := &validator{file: s.File, line: s.Line, pos: s.pos}
	v.errorf(field, format, args...)
	return v.errs[0]
}

type ObjectMeta struct {
	Name        string            `json:"name" yaml:"name"`
	Namespace   string            `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty" yaml:"annotations,omitempty"`
}

// RestartPolicy values, as in Kubernetes.
const (
	RestartAlways    = "Always"
	RestartOnFailure = "OnFailure"
	RestartNever     = "Never"
)

// Pull policies, as in Kubernetes.
const (
	PullAlways       = "Always"
	PullIfNotPresent = "IfNotPresent"
	PullNever        = "Never"
)

type PodSpec struct {
	InitContainers                []Container `json:"initContainers,omitempty" yaml:"initContainers,omitempty"`
	Containers                    []Container `json:"containers" yaml:"containers"`
	RestartPolicy                 string      `json:"restartPolicy,omitempty" yaml:"restartPolicy,omitempty"`
	TerminationGracePeriodSeconds *int64      `json:"terminationGracePeriodSeconds,omitempty" yaml:"terminationGracePeriodSeconds,omitempty"`
	Hostname                      string      `json:"hostname,omitempty" yaml:"hostname,omitempty"`
	Volumes                       []Volume    `json:"volumes,omitempty" yaml:"volumes,omitempty"`

	// Cluster-only fields, accepted with a warning: see scheduling.go.
	NodeName                     string                     `json:"nodeName,omitempty" yaml:"nodeName,omitempty"`
	NodeSelector                 map[string]string          `json:"nodeSelector,omitempty" yaml:"nodeSelector,omitempty"`
	Affinity                     *Affinity                  `json:"affinity,omitempty" yaml:"affinity,omitempty"`
	Tolerations                  []Toleration               `json:"tolerations,omitempty" yaml:"tolerations,omitempty"`
	SchedulerName                string                     `json:"schedulerName,omitempty" yaml:"schedulerName,omitempty"`
	Priority                     *int64                     `json:"priority,omitempty" yaml:"priority,omitempty"`
	PriorityClassName            string                     `json:"priorityClassName,omitempty" yaml:"priorityClassName,omitempty"`
	PreemptionPolicy             *string                    `json:"preemptionPolicy,omitempty" yaml:"preemptionPolicy,omitempty"`
	TopologySpreadConstraints    []TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty" yaml:"topologySpreadConstraints,omitempty"`
	SchedulingGates              []PodSchedulingGate        `json:"schedulingGates,omitempty" yaml:"schedulingGates,omitempty"`
	ReadinessGates               []PodReadinessGate         `json:"readinessGates,omitempty" yaml:"readinessGates,omitempty"`
	ServiceAccountName           string                     `json:"serviceAccountName,omitempty" yaml:"serviceAccountName,omitempty"`
	DeprecatedServiceAccount     string                     `json:"serviceAccount,omitempty" yaml:"serviceAccount,omitempty"`
	AutomountServiceAccountToken *bool                      `json:"automountServiceAccountToken,omitempty" yaml:"automountServiceAccountToken,omitempty"`
	EnableServiceLinks           *bool                      `json:"enableServiceLinks,omitempty" yaml:"enableServiceLinks,omitempty"`

	// SecurityContext and HostUsers: see security.go.
	SecurityContext *PodSecurityContext `json:"securityContext,omitempty" yaml:"securityContext,omitempty"`
	HostUsers       *bool               `json:"hostUsers,omitempty" yaml:"hostUsers,omitempty"`
	// HostNetwork, DNSPolicy, DNSConfig and HostAliases: see network.go.
	HostNetwork bool          `json:"hostNetwork,omitempty" yaml:"hostNetwork,omitempty"`
	DNSPolicy   string        `json:"dnsPolicy,omitempty" yaml:"dnsPolicy,omitempty"`
	DNSConfig   *PodDNSConfig `json:"dnsConfig,omitempty" yaml:"dnsConfig,omitempty"`
	HostAliases []HostAlias   `json:"hostAliases,omitempty" yaml:"hostAliases,omitempty"`
	// RuntimeClassName selects the stage: see runtimeclass.go.
	RuntimeClassName string `json:"runtimeClassName,omitempty" yaml:"runtimeClassName,omitempty"`
	// ShareProcessNamespace, HostPID and HostIPC: see namespaces.go.
	ShareProcessNamespace *bool `json:"shareProcessNamespace,omitempty" yaml:"shareProcessNamespace,omitempty"`
	HostPID               bool  `json:"hostPID,omitempty" yaml:"hostPID,omitempty"`
	HostIPC               bool  `json:"hostIPC,omitempty" yaml:"hostIPC,omitempty"`
	// OS: only linux (see probe.go, where stopSignal needs it).
	OS *PodOS `json:"os,omitempty" yaml:"os,omitempty"`
	// ImagePullSecrets name Secrets (dockerconfigjson or dockercfg) of the
	// pod's namespace whose credentials its pulls use.
	ImagePullSecrets []LocalObjectReference `json:"imagePullSecrets,omitempty" yaml:"imagePullSecrets,omitempty"`
}

// LocalObjectReference names an object in the pod's namespace.
type LocalObjectReference struct {
	Name string `json:"name" yaml:"name"`
}

type Container struct {
	Name            string               `json:"name" yaml:"name"`
	Image           string               `json:"image" yaml:"image"`
	Command         []string             `json:"command,omitempty" yaml:"command,omitempty"`
	Args            []string             `json:"args,omitempty" yaml:"args,omitempty"`
	Env             []EnvVar             `json:"env,omitempty" yaml:"env,omitempty"`
	EnvFrom         []EnvFromSource      `json:"envFrom,omitempty" yaml:"envFrom,omitempty"`
	WorkingDir      string               `json:"workingDir,omitempty" yaml:"workingDir,omitempty"`
	Resources       ResourceRequirements `json:"resources,omitempty" yaml:"resources,omitempty"`
	ImagePullPolicy string               `json:"imagePullPolicy,omitempty" yaml:"imagePullPolicy,omitempty"`
	VolumeMounts    []VolumeMount        `json:"volumeMounts,omitempty" yaml:"volumeMounts,omitempty"`
	SecurityContext *SecurityContext     `json:"securityContext,omitempty" yaml:"securityContext,omitempty"`
	Ports           []ContainerPort      `json:"ports,omitempty" yaml:"ports,omitempty"`
	// Probes and Lifecycle: see probe.go.
	LivenessProbe  *Probe     `json:"livenessProbe,omitempty" yaml:"livenessProbe,omitempty"`
	ReadinessProbe *Probe     `json:"readinessProbe,omitempty" yaml:"readinessProbe,omitempty"`
	StartupProbe   *Probe     `json:"startupProbe,omitempty" yaml:"startupProbe,omitempty"`
	Lifecycle      *Lifecycle `json:"lifecycle,omitempty" yaml:"lifecycle,omitempty"`
	// RestartPolicy, only Always and only on init containers, makes a
	// sidecar (see probe.go).
	RestartPolicy string `json:"restartPolicy,omitempty" yaml:"restartPolicy,omitempty"`
}

// ResourceRequirements holds a container's limits and requests. Requests
// schedule nothing here; they weigh the pod's CPU share and protect its
// memory (see Requested).
type ResourceRequirements struct {
	Limits ResourceList `json:"limits,omitempty" yaml:"limits,omitempty"`
	// omitzero keeps the canonical form, and so the hash, of pods
	// applied before requests were supported.
	Requests ResourceList `json:"requests,omitzero" yaml:"requests,omitempty"`
}

// ResourceList holds limits or requests as Kubernetes quantity strings
// ("500m", "1.5", "128Mi"). Use CPUMillis and MemoryBytes for limits,
// RequestedCPUMillis and RequestedMemoryBytes for requests.
type ResourceList struct {
	CPU    string `json:"cpu,omitempty" yaml:"cpu,omitempty"`
	Memory string `json:"memory,omitempty" yaml:"memory,omitempty"`
}

type Volume struct {
	Name     string                `json:"name" yaml:"name"`
	EmptyDir *EmptyDirVolumeSource `json:"emptyDir,omitempty" yaml:"emptyDir,omitempty"`
	HostPath *HostPathVolumeSource `json:"hostPath,omitempty" yaml:"hostPath,omitempty"`
	// Projected-file volumes: see volumes.go.
	ConfigMap   *ConfigMapVolumeSource   `json:"configMap,omitempty" yaml:"configMap,omitempty"`
	Secret      *SecretVolumeSource      `json:"secret,omitempty" yaml:"secret,omitempty"`
	DownwardAPI *DownwardAPIVolumeSource `json:"downwardAPI,omitempty" yaml:"downwardAPI,omitempty"`
	Projected   *ProjectedVolumeSource   `json:"projected,omitempty" yaml:"projected,omitempty"`
}

// EmptyDirVolumeSource: medium "" (disk) or "Memory" (tmpfs); sizeLimit is
// a quantity string.
type EmptyDirVolumeSource struct {
	Medium    string `json:"medium,omitempty" yaml:"medium,omitempty"`
	SizeLimit string `json:"sizeLimit,omitempty" yaml:"sizeLimit,omitempty"`
}

// HostPathVolumeSource: type is one of the Kubernetes HostPathType values
// ("", DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice,
// BlockDevice).
type HostPathVolumeSource struct {
	Path string `json:"path" yaml:"path"`
	Type string `json:"type,omitempty" yaml:"type,omitempty"`
}

type VolumeMount struct {
	Name      string `json:"name" yaml:"name"`
	MountPath string `json:"mountPath" yaml:"mountPath"`
	ReadOnly  bool   `json:"readOnly,omitempty" yaml:"readOnly,omitempty"`
	SubPath   string `json:"subPath,omitempty" yaml:"subPath,omitempty"`
}
