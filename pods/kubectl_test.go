package pods

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/podunit/podunit/contract"
)

func code(c int) *int { return &c }

// mkCtr builds a container status, ready and started when it runs.
func mkCtr(name, state, reason string, exitCode *int, started, finished string) ContainerStatus {
	c := ContainerStatus{Status: contract.Status{Name: name, State: state, Reason: reason, ExitCode: exitCode, StartedAt: started, FinishedAt: finished}}
	c.Ready = state == contract.StateRunning
	c.Started = c.Ready
	return c
}

const (
	t0 = "2026-12-03T10:00:00Z"
	t1 = "2026-12-03T10:00:05Z"
	t2 = "2026-12-03T10:00:09Z"
)

func mkPod(status string, init []ContainerStatus, cs ...ContainerStatus) *PodStatus {
	s := &PodStatus{Status: status, Phase: &contract.PodStatus{StartedAt: t0}, Init: init, Containers: cs}
	s.Conditions = conditions(s)
	s.Restarts, s.LastRestart = restarts(s)
	return s
}

func condLine(s *PodStatus) string {
	var out []string
	for _, c := range s.Conditions {
		l := c.Type + "=" + c.Status
		if c.Reason != "" {
			l += "(" + c.Reason + ": " + c.Message + ")"
		}
		if c.LastTransitionTime != nil {
			l += "@" + c.LastTransitionTime.Format("15:04:05")
		}
		out = append(out, l)
	}
	return strings.Join(out, " ")
}

func TestConditions(t *testing.T) {
	for _, tc := range []struct {
		name string
		pod  *PodStatus
		want string
	}{
		{"running", mkPod("Running", nil, mkCtr("a", "Running", "", nil, t1, ""), mkCtr("b", "Running", "", nil, t2, "")),
			"Initialized=True@10:00:00 ContainersReady=True@10:00:09 Ready=True@10:00:09"},
		{"one ended", mkPod("Running", nil, mkCtr("a", "Running", "", nil, t1, ""), mkCtr("b", "Terminated", "Completed", code(0), t1, t2)),
			"Initialized=True@10:00:00 ContainersReady=False(ContainersNotReady: containers with unready status: [b])@10:00:09 Ready=False(ContainersNotReady: containers with unready status: [b])@10:00:09"},
		{"initializing", mkPod("Pending", []ContainerStatus{mkCtr("i1", "Terminated", "Completed", code(0), t0, t1), mkCtr("i2", "Running", "", nil, t1, "")},
			mkCtr("a", "Waiting", "PodInitializing", nil, "", "")),
			"Initialized=False(ContainersNotInitialized: containers with incomplete status: [i2])@10:00:00 ContainersReady=False(ContainersNotReady: containers with unready status: [a])@10:00:00 Ready=False(ContainersNotReady: containers with unready status: [a])@10:00:00"},
		{"initialized", mkPod("Running", []ContainerStatus{mkCtr("i1", "Terminated", "Completed", code(0), t0, t1)}, mkCtr("a", "Running", "", nil, t2, "")),
			"Initialized=True@10:00:05 ContainersReady=True@10:00:09 Ready=True@10:00:09"},
		{"succeeded", mkPod("Succeeded", nil, mkCtr("a", "Terminated", "Completed", code(0), t1, t2)),
			"Initialized=True@10:00:00 ContainersReady=False(PodCompleted: containers with unready status: [a])@10:00:09 Ready=False(PodCompleted: containers with unready status: [a])@10:00:09"},
	} {
		if got := condLine(tc.pod); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

func TestDisplayAndReady(t *testing.T) {
	crash := mkCtr("b", "Waiting", "CrashLoopBackOff", code(1), t1, t2)
	for _, tc := range []struct {
		name, want, ready string
		pod               *PodStatus
	}{
		{"running", "Running", "2/2", mkPod("Running", nil, mkCtr("a", "Running", "", nil, t1, ""), mkCtr("b", "Running", "", nil, t1, ""))},
		{"one completed", "NotReady", "1/2", mkPod("Running", nil, mkCtr("a", "Running", "", nil, t1, ""), mkCtr("b", "Terminated", "Completed", code(0), t1, t2))},
		{"one failed", "Error", "1/2", mkPod("Running", nil, mkCtr("a", "Running", "", nil, t1, ""), mkCtr("b", "Terminated", "Error", code(1), t1, t2))},
		{"crash loop", "CrashLoopBackOff", "1/2", mkPod("Running", nil, mkCtr("a", "Running", "", nil, t1, ""), crash)},
		{"signal", "Signal:SIGKILL", "0/1", mkPod("Running", nil, ContainerStatus{Status: contract.Status{State: "Terminated", ExitCode: code(137), Signal: "SIGKILL"}})},
		{"init running", "Init:1/2", "0/1", mkPod("Pending", []ContainerStatus{mkCtr("i1", "Terminated", "Completed", code(0), t0, t1), mkCtr("i2", "Running", "", nil, t1, "")}, mkCtr("a", "Waiting", "PodInitializing", nil, "", ""))},
		{"init crash", "Init:CrashLoopBackOff", "0/1", mkPod("Pending", []ContainerStatus{mkCtr("i1", "Waiting", "CrashLoopBackOff", code(1), t0, t1)}, mkCtr("a", "Waiting", "PodInitializing", nil, "", ""))},
		{"init failed", "Init:Error", "0/1", mkPod("Pending", []ContainerStatus{mkCtr("i1", "Terminated", "Error", code(1), t0, t1)}, mkCtr("a", "Waiting", "PodInitializing", nil, "", ""))},
		{"stopped", "Stopped", "0/1", mkPod("Stopped", nil, mkCtr("a", "Terminated", "PodStopped", nil, t1, ""))},
	} {
		r, n := tc.pod.ReadyCount()
		if got := tc.pod.Display(); got != tc.want || tc.ready != fmt.Sprintf("%d/%d", r, n) {
			t.Errorf("%s: %s %d/%d, want %s %s", tc.name, got, r, n, tc.want, tc.ready)
		}
	}
}

func TestRestarts(t *testing.T) {
	a := mkCtr("a", "Running", "", code(1), t2, "")
	a.RestartCount, a.LastState = 2, &contract.Termination{ExitCode: 1, FinishedAt: t1}
	b := mkCtr("b", "Running", "", nil, t1, "")
	b.RestartCount, b.LastState = 1, &contract.Termination{FinishedAt: t2}
	init := mkCtr("i", "Terminated", "Completed", code(0), t0, t0)
	init.RestartCount = 4
	s := mkPod("Running", []ContainerStatus{init}, a, b)
	if s.Restarts != 3 || s.LastRestart == nil || !s.LastRestart.Equal(mustTime(t2)) {
		t.Fatalf("initialized pod: %d restarts, last %v", s.Restarts, s.LastRestart)
	}
	// While the pod initializes, kubectl counts the init containers' restarts.
	crashing := mkCtr("i", "Waiting", "CrashLoopBackOff", code(1), t0, t1)
	crashing.RestartCount = 4
	if s := mkPod("Pending", []ContainerStatus{crashing}, mkCtr("a", "Waiting", "PodInitializing", nil, "", "")); s.Restarts != 4 {
		t.Fatalf("initializing pod: %d restarts", s.Restarts)
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestPreviousRestart(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   *contract.Status
		n    int
		ok   bool
	}{
		{"no record", nil, 0, false},
		{"first instance running", &contract.Status{State: "Running"}, 0, false},
		{"first instance waiting to restart", &contract.Status{State: "Waiting", Reason: "CrashLoopBackOff", ExitCode: code(1)}, 0, true},
		{"second instance running", &contract.Status{State: "Running", RestartCount: 1, ExitCode: code(1)}, 0, true},
		{"third instance ended", &contract.Status{State: "Terminated", RestartCount: 2, ExitCode: code(0)}, 1, true},
		{"never started", &contract.Status{State: "Waiting", Reason: "ContainerCreating"}, 0, false},
	} {
		if n, ok := previousRestart(tc.st); ok != tc.ok || ok && n != tc.n {
			t.Errorf("%s: %d %v, want %d %v", tc.name, n, ok, tc.n, tc.ok)
		}
	}
}
