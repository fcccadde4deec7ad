package contract

// Probes are a container's probes, each nil when not set. podinit runs
// them from inside the pod's network namespace with the kubelet's
// semantics: startup gates the others, liveness restarts the container,
// readiness sets its Ready.
type Probes struct {
	Liveness  *Probe `json:"liveness,omitempty"`
	Readiness *Probe `json:"readiness,omitempty"`
	Startup   *Probe `json:"startup,omitempty"`
}

// Probe is a probe with every Kubernetes default filled in and named
// ports resolved to numbers.
type Probe struct {
	Action
	InitialDelaySeconds int64 `json:"initialDelaySeconds,omitempty"`
	TimeoutSeconds      int64 `json:"timeoutSeconds"`
	PeriodSeconds       int64 `json:"periodSeconds"`
	SuccessThreshold    int64 `json:"successThreshold"`
	FailureThreshold    int64 `json:"failureThreshold"`
	// GracePeriodSeconds, when set, replaces the pod's grace period when
	// this probe's failure kills the container.
	GracePeriodSeconds *int64 `json:"gracePeriodSeconds,omitempty"`
}

// Action is what a probe or a lifecycle hook does: exactly one field is
// set.
type Action struct {
	// Exec runs in the container, as the container.
	Exec      []string   `json:"exec,omitempty"`
	HTTPGet   *HTTPGet   `json:"httpGet,omitempty"`
	TCPSocket *TCPSocket `json:"tcpSocket,omitempty"`
	GRPC      *GRPC      `json:"grpc,omitempty"`
	// SleepSeconds: the hook waits this long (lifecycle hooks only).
	SleepSeconds int64 `json:"sleepSeconds,omitempty"`
}

// HTTPGet: an empty Host means the pod's IP.
type HTTPGet struct {
	Scheme  string   `json:"scheme"` // HTTP or HTTPS
	Host    string   `json:"host,omitempty"`
	Port    int      `json:"port"`
	Path    string   `json:"path"`
	Headers []Header `json:"headers,omitempty"`
}

type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type TCPSocket struct {
	Host string `json:"host,omitempty"`
	Port int    `json:"port"`
}

type GRPC struct {
	Port    int    `json:"port"`
	Service string `json:"service,omitempty"`
}

// Hooks are a container's lifecycle hooks, nil when not set.
type Hooks struct {
	PostStart *Action `json:"postStart,omitempty"`
	PreStop   *Action `json:"preStop,omitempty"`
}
