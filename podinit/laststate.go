package podinit

import "github.com/podunit/podunit/contract"

// restarted turns st into the record of the container's next instance:
// the instance that ended becomes its last state (Kubernetes'
// lastState.terminated) and the restart count goes up. The exit fields
// stay until the new instance ends, for the host's older readers.
func restarted(st *contract.Status) {
	if st.ExitCode != nil {
		st.LastState = &contract.Termination{
			ExitCode:   *st.ExitCode,
			Signal:     st.Signal,
			Reason:     terminationReason(st),
			StartedAt:  st.StartedAt,
			FinishedAt: st.FinishedAt,
		}
	}
	st.RestartCount++
}

// terminationReason is the reason the instance ended with: while it
// waits for its restart the record says CrashLoopBackOff, which is the
// wait's reason, not the end's.
func terminationReason(st *contract.Status) string {
	if st.Reason == contract.ReasonCrashLoopBackOff {
		return reasonFor(*st.ExitCode)
	}
	return st.Reason
}
