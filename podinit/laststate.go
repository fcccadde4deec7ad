package podinit

import "github.com/podunit/podunit/contract"

// restarted turns st into the record of the container's next instance:
// the instance that ended becomes its last state (Kubernetes'
// lastState.terminated) and the restart count goes up. The exit fields
// stay until the new instance ends, for the host's older readers.
func restarted(st *contract.Status) {
	if t, ok := st.Ended(); ok {
		st.LastState = &t
	}
	st.RestartCount++
}
