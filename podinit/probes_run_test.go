package podinit

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/podunit/podunit/contract"
)

// fakeClock holds the supervisor's probe timers until the test fires
// them.
type fakeClock struct{ pending []*fakeTimer }

type fakeTimer struct {
	d       time.Duration
	f       func()
	stopped bool
}

func (t *fakeTimer) Stop() bool { t.stopped = true; return true }

func (c *fakeClock) after(d time.Duration, f func()) stopper {
	t := &fakeTimer{d: d, f: f}
	c.pending = append(c.pending, t)
	return t
}

// fire runs every live timer pending now and returns their delays.
func (c *fakeClock) fire() []time.Duration {
	due := c.pending
	c.pending = nil
	var ds []time.Duration
	for _, t := range due {
		if !t.stopped {
			ds = append(ds, t.d)
			t.f()
		}
	}
	return ds
}

// noSuchPID is beyond any pid_max, so killing it (and its group) is a
// harmless ESRCH.
const noSuchPID = 1 << 30

// settleEvents runs n events of the loop: a probe run is two, the timer's
// and the result's.
func settleEvents(t *testing.T, s *supervisor, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case ev := <-s.events:
			ev()
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d of %d did not come", i+1, n)
		}
	}
}

// TestProbeFlow drives the supervisor's probes on a fake clock against a
// real TCP port: the startup probe gates liveness and readiness,
// readiness sets Ready and READY, three liveness failures stop the
// container with the reason recorded.
func TestProbeFlow(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	l.Close() // closed: the startup probe fails first

	tcp := contract.Action{TCPSocket: &contract.TCPSocket{Host: "127.0.0.1", Port: port}}
	probe := func(failures int64) *contract.Probe {
		return &contract.Probe{Action: tcp, TimeoutSeconds: 1, PeriodSeconds: 2, SuccessThreshold: 1, FailureThreshold: failures}
	}
	c := contract.Container{Name: "a", Probes: &contract.Probes{Startup: probe(5), Liveness: probe(3), Readiness: probe(1)}}
	s := newSupervisor(&contract.Plan{Pod: "p", RestartPolicy: contract.RestartAlways, GracePeriodSeconds: 7, Containers: []contract.Container{c}}, nil)
	clock := &fakeClock{}
	s.after, s.statusDir = clock.after, t.TempDir()
	a := s.apps[0]
	a.pid, a.gen, a.started, a.settled = noSuchPID, 1, time.Now(), true

	s.startProbes(a)
	if ds := clock.fire(); len(ds) != 1 {
		t.Fatalf("startup alone should run first, got %d timers", len(ds))
	}
	settleEvents(t, s, 2)
	if a.st.Started || len(clock.pending) != 1 || clock.pending[0].d != 2*time.Second {
		t.Fatalf("after a failed startup probe: started %v, pending %d", a.st.Started, len(clock.pending))
	}

	l, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { l.Close() }()
	clock.fire()
	settleEvents(t, s, 2)
	if !a.st.Started || a.st.Ready || len(clock.pending) != 2 {
		t.Fatalf("after startup passed: started %v ready %v, %d timers (want liveness and readiness)", a.st.Started, a.st.Ready, len(clock.pending))
	}
	clock.fire()
	settleEvents(t, s, 4)
	if !a.st.Ready || !s.ready {
		t.Fatalf("readiness passed: ready %v, pod ready %v", a.st.Ready, s.ready)
	}

	l.Close()
	for i := 0; i < 3; i++ {
		clock.fire()
		settleEvents(t, s, 4)
	}
	if a.unhealthy == "" || a.st.Ready {
		t.Fatalf("after 3 liveness failures: unhealthy %q ready %v", a.unhealthy, a.st.Ready)
	}
	// What is left pending is the SIGKILL after the pod's grace period.
	var grace bool
	for _, tm := range clock.pending {
		grace = grace || (tm.d == 7*time.Second && !tm.stopped)
	}
	if !grace {
		t.Error("no SIGKILL timer for the grace period")
	}
	s.recordExit(a, 137, "SIGKILL", time.Now())
	if a.st.Reason != contract.ReasonUnhealthy || a.st.Message == "" || a.st.Started || a.st.Ready {
		t.Errorf("exit record: %+v", a.st)
	}
	for _, tm := range clock.pending {
		if !tm.stopped {
			t.Errorf("timer of %v left running after the exit", tm.d)
		}
	}
}
