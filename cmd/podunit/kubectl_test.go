package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/pods"
)

func TestRestartsColumn(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	ago := now.Add(-150 * time.Second)
	for _, tc := range []struct {
		n    int
		last *time.Time
		want string
	}{{0, nil, "0"}, {3, &ago, "3 (2m ago)"}, {2, nil, "2"}} {
		if got := restartsColumn(tc.n, tc.last, now); got != tc.want {
			t.Errorf("%d restarts: %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestParseWaitFor(t *testing.T) {
	ready := &pods.PodStatus{Conditions: []pods.Condition{{Type: pods.Ready, Status: pods.ConditionTrue}, {Type: pods.Initialized, Status: pods.ConditionFalse}}}
	for _, tc := range []struct {
		arg, met  string
		onReady   bool
		onMissing bool
	}{
		{"condition=Ready", "condition met", true, false},
		{"condition=ready=true", "condition met", true, false},
		{"condition=Initialized", "condition met", false, false},
		{"condition=Initialized=False", "condition met", true, false},
		{"delete", "deleted", false, true},
	} {
		done, met, err := parseWaitFor(tc.arg)
		if err != nil || met != tc.met || done(ready) != tc.onReady || done(nil) != tc.onMissing {
			t.Errorf("--for=%s: %q %v; on the ready pod %v, on none %v", tc.arg, met, err, done(ready), done(nil))
		}
	}
	for _, bad := range []string{"", "condition=Scheduled", "condition=Ready=maybe", "jsonpath={.status}"} {
		if _, _, err := parseWaitFor(bad); err == nil {
			t.Errorf("--for=%s accepted", bad)
		}
	}
}

func TestPodArg(t *testing.T) {
	for in, want := range map[string]string{"pod/web": "web", "pods/web": "web", "po/web": "web", "web": "web"} {
		if got, err := podArg(in); got != want || err != nil {
			t.Errorf("%s: %q %v", in, got, err)
		}
	}
	if _, err := podArg("deployment/web"); err == nil {
		t.Error("deployment/web accepted")
	}
}

func TestPrintStatusShowsLastState(t *testing.T) {
	code := 3
	since := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	s := &pods.PodStatus{Name: "web", Status: "Running",
		Conditions: []pods.Condition{{Type: pods.Ready, Status: pods.ConditionFalse, Reason: "ContainersNotReady", Message: "containers with unready status: [app]", LastTransitionTime: &since}},
		Containers: []pods.ContainerStatus{{
			Status:    contract.Status{Name: "app", State: contract.StateWaiting, Reason: contract.ReasonCrashLoopBackOff, RestartCount: 2, ExitCode: &code},
			Image:     "busybox",
			LastState: &contract.Termination{ExitCode: 3, Reason: contract.ReasonError, Signal: "SIGTERM", StartedAt: "t1", FinishedAt: "t2"},
		}}}
	var b bytes.Buffer
	printStatus(&b, s)
	got := strings.Join(strings.Fields(b.String()), " ")
	for _, want := range []string{
		"Ready False 2026-12-03T10:00:00Z ContainersNotReady: containers with unready status: [app]",
		"app: Image: busybox State: Waiting Reason: CrashLoopBackOff Last State: Terminated Reason: Error Exit Code: 3 Signal: SIGTERM Started: t1 Finished: t2 Ready: False Started: False Restart Count: 2",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, b.String())
		}
	}
}
