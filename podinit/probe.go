package podinit

import (
	"time"

	"github.com/podunit/podunit/contract"
)

// probeResult is a probe's standing result, as the kubelet keeps it.
type probeResult int

const (
	resultUnknown probeResult = iota
	resultSuccess
	resultFailure
)

// probeKind names a probe as Kubernetes' messages do.
type probeKind string

const (
	kindStartup   probeKind = "Startup"
	kindLiveness  probeKind = "Liveness"
	kindReadiness probeKind = "Readiness"
)

// probeState is the kubelet's per-probe worker state without the timer:
// a result changes only after successThreshold successes or
// failureThreshold failures in a row. Readiness starts as failure (not
// ready until a probe passes), liveness as success, startup as unknown.
type probeState struct {
	kind      probeKind
	spec      *contract.Probe
	result    probeResult
	last      probeResult // result of the latest run
	run       int64       // consecutive runs with the latest result
	startedAt time.Time   // the container instance's start
}

func newProbeState(kind probeKind, spec *contract.Probe, started time.Time) *probeState {
	p := &probeState{kind: kind, spec: spec, startedAt: started}
	switch kind {
	case kindReadiness:
		p.result = resultFailure
	case kindLiveness:
		p.result = resultSuccess
	}
	return p
}

// observe records one run and reports whether the standing result
// changed.
func (p *probeState) observe(ok bool) bool {
	r := resultFailure
	if ok {
		r = resultSuccess
	}
	if r == p.last {
		p.run++
	} else {
		p.last, p.run = r, 1
	}
	threshold := p.spec.FailureThreshold
	if ok {
		threshold = p.spec.SuccessThreshold
	}
	if p.run < threshold || p.result == r {
		return false
	}
	p.result = r
	return true
}

// firstDelay is how long after now the first run is due: the kubelet
// skips runs until initialDelaySeconds have passed since the container
// started.
func (p *probeState) firstDelay(now time.Time) time.Duration {
	d := p.startedAt.Add(time.Duration(p.spec.InitialDelaySeconds) * time.Second).Sub(now)
	if d < 0 {
		return 0
	}
	return d
}

func (p *probeState) period() time.Duration {
	return time.Duration(p.spec.PeriodSeconds) * time.Second
}

func (p *probeState) timeout() time.Duration {
	return time.Duration(p.spec.TimeoutSeconds) * time.Second
}
