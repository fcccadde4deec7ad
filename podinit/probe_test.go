package podinit

import (
	"testing"
	"time"

	"github.com/podunit/podunit/contract"
)

func TestProbeThresholds(t *testing.T) {
	spec := &contract.Probe{SuccessThreshold: 2, FailureThreshold: 3}
	p := newProbeState(kindReadiness, spec, time.Time{})
	steps := []struct {
		ok      bool
		changed bool
		result  probeResult
	}{
		{true, false, resultFailure}, // 1 of 2 successes
		{false, false, resultFailure},
		{true, false, resultFailure},
		{true, true, resultSuccess}, // 2 in a row
		{false, false, resultSuccess},
		{false, false, resultSuccess},
		{true, false, resultSuccess}, // the failure run is broken
		{false, false, resultSuccess},
		{false, false, resultSuccess},
		{false, true, resultFailure}, // 3 in a row
		{false, false, resultFailure},
	}
	for i, s := range steps {
		if changed := p.observe(s.ok); changed != s.changed || p.result != s.result {
			t.Fatalf("step %d: changed %v result %v, want %v %v", i, changed, p.result, s.changed, s.result)
		}
	}
}

func TestProbeInitialResults(t *testing.T) {
	spec := &contract.Probe{SuccessThreshold: 1, FailureThreshold: 1}
	if p := newProbeState(kindLiveness, spec, time.Time{}); p.result != resultSuccess || p.observe(true) {
		t.Errorf("liveness starts healthy: %v", p.result)
	}
	if p := newProbeState(kindStartup, spec, time.Time{}); p.result != resultUnknown || !p.observe(true) || p.result != resultSuccess {
		t.Errorf("startup: %v", p.result)
	}
	if p := newProbeState(kindReadiness, spec, time.Time{}); p.result != resultFailure || p.observe(false) {
		t.Errorf("readiness starts not ready: %v", p.result)
	}
}

func TestProbeInitialDelay(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newProbeState(kindLiveness, &contract.Probe{InitialDelaySeconds: 5, PeriodSeconds: 2, TimeoutSeconds: 1}, start)
	if d := p.firstDelay(start.Add(time.Second)); d != 4*time.Second {
		t.Errorf("first run in %v, want 4s", d)
	}
	// Gated by a startup probe that took longer than the delay: at once.
	if d := p.firstDelay(start.Add(9 * time.Second)); d != 0 {
		t.Errorf("first run in %v, want 0", d)
	}
	if p.period() != 2*time.Second || p.timeout() != time.Second {
		t.Errorf("period %v timeout %v", p.period(), p.timeout())
	}
}
