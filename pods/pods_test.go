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
	got := strings.Join(JournalArgs("web", "podunit-web.service", LogOptions{Containers: []string{"a", "b"}, Since: "10m", Tail: 5, Follow: true}), " ")
	for _, want := range []string{"_SYSTEMD_UNIT=podunit-web.service", "POD_NAME=web", "CONTAINER_NAME=a CONTAINER_NAME=b", "--since -600s", "-n 5", "-f"} {
		if !strings.Contains(got, want) {
			t.Errorf("args lack %q: %s", want, got)
		}
	}
	if got := JournalArgs("web", "u", LogOptions{Since: "2026-01-01 10:00", Tail: -1}); slices.Contains(got, "-n") {
		t.Errorf("tail -1 limits lines: %v", got)
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
