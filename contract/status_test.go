package contract

import "testing"

func TestPrevious(t *testing.T) {
	code := 1
	last := &Termination{ExitCode: 2, Reason: ReasonError}
	waiting := Status{State: StateWaiting, Reason: ReasonCrashLoopBackOff, ExitCode: &code, StartedAt: "s", FinishedAt: "f", LastState: last}
	if p := waiting.Previous(); p == nil || *p != (Termination{ExitCode: 1, Reason: ReasonError, StartedAt: "s", FinishedAt: "f"}) {
		t.Fatalf("waiting to restart: the instance that just ended, with the end's reason: %+v", p)
	}
	running := Status{State: StateRunning, ExitCode: &code, LastState: last}
	if p := running.Previous(); p != last {
		t.Fatalf("running: the last state: %+v", p)
	}
	if p := (&Status{State: StateWaiting, Reason: ReasonContainerCreating}).Previous(); p != nil {
		t.Fatalf("never ran: %+v", p)
	}
	ended := Status{State: StateTerminated, Reason: ReasonKilled, ExitCode: &code}
	if e, ok := ended.Ended(); !ok || e.Reason != ReasonKilled {
		t.Fatalf("terminated: its own reason: %+v", e)
	}
}
