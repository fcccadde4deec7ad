package pod

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Probe is core/v1 Probe: one handler and its timing. Zero timing values
// mean Kubernetes' defaults (see ProbeDefaults); podunit leaves them out
// of the stored spec, as it does every default it need not spell out.
type Probe struct {
	Exec      *ExecAction      `json:"exec,omitempty" yaml:"exec,omitempty"`
	HTTPGet   *HTTPGetAction   `json:"httpGet,omitempty" yaml:"httpGet,omitempty"`
	TCPSocket *TCPSocketAction `json:"tcpSocket,omitempty" yaml:"tcpSocket,omitempty"`
	GRPC      *GRPCAction      `json:"grpc,omitempty" yaml:"grpc,omitempty"`

	InitialDelaySeconds           int64  `json:"initialDelaySeconds,omitempty" yaml:"initialDelaySeconds,omitempty"`
	TimeoutSeconds                int64  `json:"timeoutSeconds,omitempty" yaml:"timeoutSeconds,omitempty"`
	PeriodSeconds                 int64  `json:"periodSeconds,omitempty" yaml:"periodSeconds,omitempty"`
	SuccessThreshold              int64  `json:"successThreshold,omitempty" yaml:"successThreshold,omitempty"`
	FailureThreshold              int64  `json:"failureThreshold,omitempty" yaml:"failureThreshold,omitempty"`
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty" yaml:"terminationGracePeriodSeconds,omitempty"`
}

// Kubernetes' probe defaults, applied where a field is 0.
const (
	DefaultProbeTimeoutSeconds   = 1
	DefaultProbePeriodSeconds    = 10
	DefaultProbeSuccessThreshold = 1
	DefaultProbeFailureThreshold = 3
)

type ExecAction struct {
	Command []string `json:"command,omitempty" yaml:"command,omitempty"`
}

// HTTPGetAction: Port is a number or the name of a container port (an
// int-or-string in Kubernetes, kept here as its string form).
type HTTPGetAction struct {
	Path        string       `json:"path,omitempty" yaml:"path,omitempty"`
	Port        string       `json:"port" yaml:"port"`
	Host        string       `json:"host,omitempty" yaml:"host,omitempty"`
	Scheme      string       `json:"scheme,omitempty" yaml:"scheme,omitempty"`
	HTTPHeaders []HTTPHeader `json:"httpHeaders,omitempty" yaml:"httpHeaders,omitempty"`
}

type HTTPHeader struct {
	Name  string `json:"name" yaml:"name"`
	Value string `json:"value" yaml:"value"`
}

type TCPSocketAction struct {
	Port string `json:"port" yaml:"port"`
	Host string `json:"host,omitempty" yaml:"host,omitempty"`
}

type GRPCAction struct {
	Port    int64   `json:"port" yaml:"port"`
	Service *string `json:"service,omitempty" yaml:"service,omitempty"`
}

// Lifecycle is core/v1 Lifecycle: hooks after start and before stop, and
// the signal that stops the container.
type Lifecycle struct {
	PostStart  *LifecycleHandler `json:"postStart,omitempty" yaml:"postStart,omitempty"`
	PreStop    *LifecycleHandler `json:"preStop,omitempty" yaml:"preStop,omitempty"`
	StopSignal string            `json:"stopSignal,omitempty" yaml:"stopSignal,omitempty"`
}

type LifecycleHandler struct {
	Exec    *ExecAction    `json:"exec,omitempty" yaml:"exec,omitempty"`
	HTTPGet *HTTPGetAction `json:"httpGet,omitempty" yaml:"httpGet,omitempty"`
	Sleep   *SleepAction   `json:"sleep,omitempty" yaml:"sleep,omitempty"`
}

type SleepAction struct {
	Seconds int64 `json:"seconds" yaml:"seconds"`
}

// httpHeaderName is RFC 7230's token, as Kubernetes checks header names.
var httpHeaderName = regexp.MustCompile("^[-!#$%&'*+.^_`|~0-9A-Za-z]+$")

// PortNumber resolves an int-or-string port against the container's
// ports: a number as it is, a name as the containerPort of that name.
func (c *Container) PortNumber(port string) (int, bool) {
	if n, err := strconv.Atoi(port); err == nil {
		return n, n >= 1 && n <= 65535
	}
	for _, p := range c.Ports {
		if p.Name == port {
			return int(p.ContainerPort), true
		}
	}
	return 0, false
}

func (c *Container) validatePort(v *validator, f, port string) {
	if port == "" {
		v.errorf(f, "required value")
		return
	}
	if n, err := strconv.Atoi(port); err == nil {
		if n < 1 || n > 65535 {
			v.errorf(f, "must be between 1 and 65535, got %d", n)
		}
		return
	}
	if _, ok := c.PortNumber(port); !ok {
		v.errorf(f, "invalid value %q: names no port of this container (ports[].name)", truncate(port))
	}
}

func (c *Container) validateHTTPGet(v *validator, f string, h *HTTPGetAction) {
	c.validatePort(v, f+".port", h.Port)
	switch h.Scheme {
	case "", "HTTP", "HTTPS":
	default:
		v.errorf(f+".scheme", "unsupported value %q (want HTTP or HTTPS)", truncate(h.Scheme))
	}
	if h.Path != "" && !strings.HasPrefix(h.Path, "/") {
		v.errorf(f+".path", "must be an absolute path")
	}
	for i, hd := range h.HTTPHeaders {
		if !httpHeaderName.MatchString(hd.Name) {
			v.errorf(fmt.Sprintf("%s.httpHeaders[%d].name", f, i), "invalid value %q: must be an HTTP header name", truncate(hd.Name))
		}
	}
}

// Probe kinds, as the field names.
const (
	LivenessProbe  = "livenessProbe"
	ReadinessProbe = "readinessProbe"
	StartupProbe   = "startupProbe"
)

func (c *Container) validateProbe(v *validator, f, kind string, p *Probe) {
	handlers := 0
	if p.Exec != nil {
		handlers++
		if len(p.Exec.Command) == 0 {
			v.errorf(f+".exec.command", "required value")
		}
	}
	if p.HTTPGet != nil {
		handlers++
		c.validateHTTPGet(v, f+".httpGet", p.HTTPGet)
	}
	if p.TCPSocket != nil {
		handlers++
		c.validatePort(v, f+".tcpSocket.port", p.TCPSocket.Port)
	}
	if p.GRPC != nil {
		handlers++
		if p.GRPC.Port < 1 || p.GRPC.Port > 65535 {
			v.errorf(f+".grpc.port", "must be between 1 and 65535, got %d", p.GRPC.Port)
		}
	}
	switch handlers {
	case 0:
		v.errorf(f, "must specify a handler type: exec, httpGet, tcpSocket or grpc")
	case 1:
	default:
		v.errorf(f, "may not specify more than 1 handler type")
	}
	for name, n := range map[string]int64{
		"initialDelaySeconds": p.InitialDelaySeconds, "timeoutSeconds": p.TimeoutSeconds,
		"periodSeconds": p.PeriodSeconds, "successThreshold": p.SuccessThreshold,
		"failureThreshold": p.FailureThreshold,
	} {
		if n < 0 {
			v.errorf(f+"."+name, "must be greater than or equal to 0")
		}
	}
	if kind != ReadinessProbe && p.SuccessThreshold > 1 {
		v.errorf(f+".successThreshold", "must be 1")
	}
	if g := p.TerminationGracePeriodSeconds; g != nil {
		switch {
		case kind == ReadinessProbe:
			v.errorf(f+".terminationGracePeriodSeconds", "must not be set for readinessProbes")
		case *g <= 0:
			v.errorf(f+".terminationGracePeriodSeconds", "must be greater than 0")
		}
	}
}

func (c *Container) validateHandler(v *validator, f string, h *LifecycleHandler) {
	handlers := 0
	if h.Exec != nil {
		handlers++
		if len(h.Exec.Command) == 0 {
			v.errorf(f+".exec.command", "required value")
		}
	}
	if h.HTTPGet != nil {
		handlers++
		c.validateHTTPGet(v, f+".httpGet", h.HTTPGet)
	}
	if h.Sleep != nil {
		handlers++
		if h.Sleep.Seconds <= 0 {
			v.errorf(f+".sleep.seconds", "must be greater than 0")
		}
	}
	switch handlers {
	case 0:
		v.errorf(f, "must specify a handler type: exec, httpGet or sleep")
	case 1:
	default:
		v.errorf(f, "may not specify more than 1 handler type")
	}
}

// IsSidecar: an init container with restartPolicy Always runs beside the
// main containers (Kubernetes' sidecar containers).
func (c *Container) IsSidecar() bool { return c.RestartPolicy == RestartAlways }

// validateProbes checks the probes, hooks and restart policy of a
// container; init containers other than sidecars may have none of them.
func (c *Container) validateProbes(v *validator, f string, init bool) {
	switch {
	case c.RestartPolicy == "":
	case !init:
		v.errorf(f+".restartPolicy", "may only be set on init containers")
	case c.RestartPolicy != RestartAlways:
		v.errorf(f+".restartPolicy", "unsupported value %q (want Always, the only value an init container takes)", truncate(c.RestartPolicy))
	}
	init = init && !c.IsSidecar()
	for kind, p := range map[string]*Probe{LivenessProbe: c.LivenessProbe, ReadinessProbe: c.ReadinessProbe, StartupProbe: c.StartupProbe} {
		if p == nil {
			continue
		}
		if init {
			v.errorf(f+"."+kind, "may not be set for init containers without restartPolicy: Always")
			continue
		}
		c.validateProbe(v, f+"."+kind, kind, p)
	}
	l := c.Lifecycle
	if l == nil {
		return
	}
	if init {
		v.errorf(f+".lifecycle", "may not be set for init containers without restartPolicy: Always")
		return
	}
	if l.PostStart != nil {
		c.validateHandler(v, f+".lifecycle.postStart", l.PostStart)
	}
	if l.PreStop != nil {
		c.validateHandler(v, f+".lifecycle.preStop", l.PreStop)
	}
	if l.StopSignal != "" {
		if _, ok := StopSignals[l.StopSignal]; !ok {
			v.errorf(f+".lifecycle.stopSignal", "unsupported value %q (want a signal name such as SIGTERM, SIGINT or SIGQUIT)", truncate(l.StopSignal))
		}
	}
}

// PodOS is core/v1 PodOS; podunit runs Linux pods only.
type PodOS struct {
	Name string `json:"name" yaml:"name"`
}

// validateOS: Kubernetes takes spec.os.name as the OS the pod needs, and
// accepts lifecycle.stopSignal only when it is set.
func (s *PodSpec) validateOS(v *validator) {
	if s.OS != nil && s.OS.Name != "linux" {
		v.errorf("spec.os.name", "unsupported value %q: podunit runs linux pods", truncate(s.OS.Name))
	}
	for _, l := range []struct {
		name string
		cs   []Container
	}{{"initContainers", s.InitContainers}, {"containers", s.Containers}} {
		for i, c := range l.cs {
			if c.Lifecycle != nil && c.Lifecycle.StopSignal != "" && s.OS == nil {
				v.errorf(fmt.Sprintf("spec.%s[%d].lifecycle.stopSignal", l.name, i), "may only be set when spec.os.name is set (to linux), as in Kubernetes")
			}
		}
	}
}

// StopSignals are the names Kubernetes accepts in lifecycle.stopSignal on
// Linux, with their numbers.
var StopSignals = map[string]int{
	"SIGABRT": 6, "SIGALRM": 14, "SIGBUS": 7, "SIGCHLD": 17, "SIGCONT": 18,
	"SIGFPE": 8, "SIGHUP": 1, "SIGILL": 4, "SIGINT": 2, "SIGIO": 29,
	"SIGKILL": 9, "SIGPIPE": 13, "SIGPROF": 27, "SIGPWR": 30, "SIGQUIT": 3,
	"SIGSEGV": 11, "SIGSTKFLT": 16, "SIGSTOP": 19, "SIGSYS": 31, "SIGTERM": 15,
	"SIGTRAP": 5, "SIGTSTP": 20, "SIGTTIN": 21, "SIGTTOU": 22, "SIGURG": 23,
	"SIGUSR1": 10, "SIGUSR2": 12, "SIGVTALRM": 26, "SIGWINCH": 28, "SIGXCPU": 24,
	"SIGXFSZ": 25,
}
