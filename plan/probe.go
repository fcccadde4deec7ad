package plan

import (
	"strings"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/pod"
)

// probes fills in Kubernetes' defaults and resolves named ports; the pod
// was validated, so every port resolves.
func probes(c *pod.Container) *contract.Probes {
	if c.LivenessProbe == nil && c.ReadinessProbe == nil && c.StartupProbe == nil {
		return nil
	}
	return &contract.Probes{
		Liveness:  probe(c, c.LivenessProbe),
		Readiness: probe(c, c.ReadinessProbe),
		Startup:   probe(c, c.StartupProbe),
	}
}

func probe(c *pod.Container, p *pod.Probe) *contract.Probe {
	if p == nil {
		return nil
	}
	orDefault := func(v, d int64) int64 {
		if v == 0 {
			return d
		}
		return v
	}
	out := &contract.Probe{
		InitialDelaySeconds: p.InitialDelaySeconds,
		TimeoutSeconds:      orDefault(p.TimeoutSeconds, pod.DefaultProbeTimeoutSeconds),
		PeriodSeconds:       orDefault(p.PeriodSeconds, pod.DefaultProbePeriodSeconds),
		SuccessThreshold:    orDefault(p.SuccessThreshold, pod.DefaultProbeSuccessThreshold),
		FailureThreshold:    orDefault(p.FailureThreshold, pod.DefaultProbeFailureThreshold),
		GracePeriodSeconds:  p.TerminationGracePeriodSeconds,
	}
	switch {
	case p.Exec != nil:
		out.Exec = p.Exec.Command
	case p.HTTPGet != nil:
		out.HTTPGet = httpGet(c, p.HTTPGet)
	case p.TCPSocket != nil:
		port, _ := c.PortNumber(p.TCPSocket.Port)
		out.TCPSocket = &contract.TCPSocket{Host: p.TCPSocket.Host, Port: port}
	case p.GRPC != nil:
		out.GRPC = &contract.GRPC{Port: int(p.GRPC.Port)}
		if p.GRPC.Service != nil {
			out.GRPC.Service = *p.GRPC.Service
		}
	}
	return out
}

// httpGet applies Kubernetes' defaults: scheme HTTP, path "/".
func httpGet(c *pod.Container, h *pod.HTTPGetAction) *contract.HTTPGet {
	port, _ := c.PortNumber(h.Port)
	out := &contract.HTTPGet{Scheme: strings.ToUpper(h.Scheme), Host: h.Host, Port: port, Path: h.Path}
	if out.Scheme == "" {
		out.Scheme = "HTTP"
	}
	if out.Path == "" {
		out.Path = "/"
	}
	for _, hd := range h.HTTPHeaders {
		out.Headers = append(out.Headers, contract.Header{Name: hd.Name, Value: hd.Value})
	}
	return out
}

// hooks compiles lifecycle.postStart and preStop, and the stop signal.
func hooks(c *pod.Container) (*contract.Hooks, int) {
	l := c.Lifecycle
	if l == nil {
		return nil, 0
	}
	var h *contract.Hooks
	if l.PostStart != nil || l.PreStop != nil {
		h = &contract.Hooks{PostStart: hook(c, l.PostStart), PreStop: hook(c, l.PreStop)}
	}
	return h, pod.StopSignals[l.StopSignal]
}

func hook(c *pod.Container, h *pod.LifecycleHandler) *contract.Action {
	switch {
	case h == nil:
		return nil
	case h.Exec != nil:
		return &contract.Action{Exec: h.Exec.Command}
	case h.HTTPGet != nil:
		return &contract.Action{HTTPGet: httpGet(c, h.HTTPGet)}
	case h.Sleep != nil:
		return &contract.Action{SleepSeconds: h.Sleep.Seconds}
	}
	return nil
}
