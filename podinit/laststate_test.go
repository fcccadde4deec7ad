package podinit

import (
	"testing"

	"github.com/podunit/podunit/contract"
)

func TestRestartedKeepsTheEndedInstance(t *testing.T) {
	code := 2
	st := contract.Status{State: contract.StateWaiting, Reason: contract.ReasonCrashLoopBackOff, RestartCount: 3,
		ExitCode: &code, Signal: "SIGTERM", StartedAt: "t1", FinishedAt: "t2"}
	restarted(&st)
	want := contract.Termination{ExitCode: 2, Signal: "SIGTERM", Reason: contract.ReasonError, StartedAt: "t1", FinishedAt: "t2"}
	if st.RestartCount != 4 || st.LastState == nil || *st.LastState != want {
		t.Fatalf("after restart: count %d, last state %+v", st.RestartCount, st.LastState)
	}
	var never contract.Status
	restarted(&never)
	if never.LastState != nil || never.RestartCount != 1 {
		t.Fatalf("a container that never ended has no last state: %+v", never)
	}
}
