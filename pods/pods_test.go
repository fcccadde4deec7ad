package pods

import (
	"slices"
	"strings"
	"testing"

	"github.com/podunit/podunit/contract"
)

func TestSummarize(t *testing.T) {
	cases := []struct {
		st   unitState
		ph   *contract.PodStatus
		want string
	}{
		{unitState{Active: "active"}, nil, "Running"},
		{unitState{Active: "activating", Sub: "start-pre"}, nil, "Pending"},
		{unitState{Active: "activating", Sub: "auto-restart"}, nil, "CrashLoopBackOff"},
		{unitState{Active: "failed"}, &contract.PodStatus{Phase: "Failed"}, "Failed"},
		{unitState{Active: "failed"}, nil, "Error"},
		{unitState{Active: "inactive"}, &contract.PodStatus{Phase: "Succeeded"}, "Succeeded"},
		{unitState{Active: "inactive"}, &contract.PodStatus{Phase: "Failed", Stopped: true}, "Stopped"},
		{unitState{Active: "inactive"}, nil, "Stopped"},
	}
	for _, c := range cases {
		if got := summarize(c.st, c.ph); got != c.want {
			t.Errorf("%+v %+v: %s, want %s", c.st, c.ph, got, c.want)
		}
	}
}

func TestJournalArgs(t *testing.T) {
	got := strings.Join(JournalArgs(Journal{Pod: "web", Unit: "podunit-web.service", UID: "u1"}, LogOptions{Containers: []string{"a", "b"}, Since: "10m", Tail: 5, Follow: true}), " ")
	for _, want := range []string{"_SYSTEMD_UNIT=podunit-web.service POD_NAME=web POD_UID=u1 CONTAINER_NAME=a CONTAINER_NAME=b", "--since -600s", "-n 5", "-f"} {
		if !strings.Contains(got, want) {
			t.Errorf("args lack %q: %s", want, got)
		}
	}
	if got := JournalArgs(Journal{Pod: "web", Unit: "u"}, LogOptions{Since: "2026-01-01 10:00", Tail: -1}); slices.Contains(got, "-n") || strings.Contains(strings.Join(got, " "), "POD_UID") {
		t.Errorf("tail -1 limits lines, or a pod without a UID is matched on one: %v", got)
	}
	// Instances are terms of their own: each repeats the pod's matches.
	got = strings.Join(JournalArgs(Journal{Pod: "web", Unit: "u", UID: "u1", Instances: []Instance{{Container: "a", Invocation: "i1", Restart: 2}, {Container: "b", Restart: 0}}},
		LogOptions{Containers: []string{"ignored"}, Tail: -1}), " ")
	want := "_SYSTEMD_UNIT=u POD_NAME=web POD_UID=u1 CONTAINER_NAME=a CONTAINER_RESTART_COUNT=2 _SYSTEMD_INVOCATION_ID=i1 + _SYSTEMD_UNIT=u POD_NAME=web POD_UID=u1 CONTAINER_NAME=b CONTAINER_RESTART_COUNT=0"
	if !strings.HasSuffix(got, want) {
		t.Errorf("instances: %s\nwant suffix %s", got, want)
	}
}

func TestFormatEntry(t *testing.T) {
	line, err := FormatEntry([]byte(`{"MESSAGE":"hi","CONTAINER_NAME":"app","__REALTIME_TIMESTAMP":"1700000000000000"}`), LogOptions{Prefix: true, Timestamps: true})
	if err != nil || line != "2023-11-14T22:13:20Z [app] hi\n" {
		t.Fatalf("%q %v", line, err)
	}
	// Non-UTF-8 messages arrive as byte arrays.
	line, err = FormatEntry([]byte(`{"MESSAGE":[104,255]}`), LogOptions{})
	if err != nil || line != "h\xff\n" {
		t.Fatalf("%q %v", line, err)
	}
}
