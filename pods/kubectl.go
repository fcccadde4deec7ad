package pods

import (
	"fmt"
	"strings"
	"time"

	"github.com/podunit/podunit/contract"
)

// Pod condition types and statuses, as in Kubernetes (PodScheduled has no
// meaning on one host).
const (
	Initialized     = "Initialized"
	ContainersReady = "ContainersReady"
	Ready           = "Ready"

	ConditionTrue  = "True"
	ConditionFalse = "False"
)

// Condition is one of Kubernetes' pod conditions.
type Condition struct {
	Type   string `json:"type"`
	Status string `json:"status"` // True or False
	Reason string `json:"reason,omitempty"`
	// Message names the containers that keep the condition False, in the
	// kubelet's words.
	Message string `json:"message,omitempty"`
	// LastTransitionTime is derived from the records: when the last init
	// container completed, the last container started, or the container
	// that is not ready ended.
	LastTransitionTime *time.Time `json:"lastTransitionTime,omitempty"`
}

// Condition returns the condition of type t, or nil.
func (s *PodStatus) Condition(t string) *Condition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

// conditions derives the pod's conditions as the kubelet sets them: the
// pod is Initialized once every init container completed, its containers
// are ready when every one is, and (with no readiness gates) the pod is
// Ready when its containers are.
func conditions(s *PodStatus) []Condition {
	podStart := parseTime("")
	if s.Phase != nil {
		podStart = parseTime(s.Phase.StartedAt)
	}
	init := Condition{Type: Initialized, Status: ConditionTrue, LastTransitionTime: podStart}
	var incomplete []string
	for _, c := range s.Init {
		if completed(c.Status) {
			init.LastTransitionTime = later(init.LastTransitionTime, parseTime(c.FinishedAt))
			continue
		}
		incomplete = append(incomplete, c.Name)
	}
	if len(incomplete) > 0 && !anyStarted(s.Containers) {
		init = Condition{Type: Initialized, Status: ConditionFalse, Reason: "ContainersNotInitialized",
			Message: fmt.Sprintf("containers with incomplete status: [%s]", strings.Join(incomplete, " ")), LastTransitionTime: podStart}
	}

	ready := Condition{Type: ContainersReady, Status: ConditionTrue}
	var unready []string
	var since *time.Time
	for _, c := range s.Containers {
		if c.Ready {
			ready.LastTransitionTime = later(ready.LastTransitionTime, parseTime(c.StartedAt))
			continue
		}
		unready = append(unready, c.Name)
		if c.Status.State == contract.StateRunning {
			since = later(since, parseTime(c.StartedAt))
		} else {
			since = later(since, parseTime(c.FinishedAt))
		}
	}
	if len(unready) > 0 {
		reason := "ContainersNotReady"
		if s.Status == contract.PhaseSucceeded || s.Status == contract.PhaseFailed {
			reason = "PodCompleted"
		}
		if since == nil {
			since = podStart
		}
		ready = Condition{Type: ContainersReady, Status: ConditionFalse, Reason: reason,
			Message: fmt.Sprintf("containers with unready status: [%s]", strings.Join(unready, " ")), LastTransitionTime: since}
	}
	podReady := ready
	podReady.Type = Ready
	return []Condition{init, ready, podReady}
}

// completed: the container ended with exit code 0 and will not run again.
func completed(st contract.Status) bool {
	return st.State == contract.StateTerminated && st.ExitCode != nil && *st.ExitCode == 0
}

func anyStarted(cs []ContainerStatus) bool {
	for _, c := range cs {
		if c.StartedAt != "" {
			return true
		}
	}
	return false
}

// ReadyCount is kubectl's READY column: ready containers of containers.
func (s *PodStatus) ReadyCount() (ready, total int) {
	for _, c := range s.Containers {
		if c.Ready {
			ready++
		}
	}
	return ready, len(s.Containers)
}

// restarts is kubectl's RESTARTS: the init containers' restarts while
// the pod initializes, the containers' after, and when the latest
// restarted instance ended.
func restarts(s *PodStatus) (int, *time.Time) {
	cs := s.Containers
	if c := s.Condition(Initialized); c == nil || c.Status != ConditionTrue {
		cs = append(append([]ContainerStatus(nil), s.Init...), s.Containers...)
	}
	n, last := 0, (*time.Time)(nil)
	for _, c := range cs {
		n += c.RestartCount
		if c.RestartCount > 0 && c.LastState != nil {
			last = later(last, parseTime(c.LastState.FinishedAt))
		}
	}
	return n, last
}

// Display is kubectl's STATUS column: while podinit runs the pod, the
// reason of the container that holds it back (Init:0/2,
// CrashLoopBackOff, Error, Completed, NotReady); otherwise the pod's
// status.
func (s *PodStatus) Display() string {
	if s.Status != contract.PhaseRunning && s.Status != contract.PhasePending {
		return s.Status
	}
	for i, c := range s.Init {
		switch {
		case completed(c.Status):
			continue
		case c.Status.State == contract.StateTerminated:
			return "Init:" + exitWord(c.Status)
		case c.Status.State == contract.StateWaiting && c.Reason != "" && c.Reason != contract.ReasonPodInitializing && c.Reason != contract.ReasonContainerCreating:
			return "Init:" + c.Reason
		}
		return fmt.Sprintf("Init:%d/%d", i, len(s.Init))
	}
	reason, running := s.Status, false
	for i := len(s.Containers) - 1; i >= 0; i-- {
		c := s.Containers[i]
		switch {
		case c.Status.State == contract.StateWaiting && c.Reason != "":
			reason = c.Reason
		case c.Status.State == contract.StateTerminated:
			reason = exitWord(c.Status)
		case c.Ready:
			running = true
		}
	}
	if reason == contract.ReasonCompleted && running {
		reason = "NotReady"
		if c := s.Condition(Ready); c != nil && c.Status == ConditionTrue {
			reason = contract.PhaseRunning
		}
	}
	return reason
}

// exitWord is how kubectl names a terminated container: its reason, else
// Signal:N or ExitCode:N.
func exitWord(st contract.Status) string {
	switch {
	case st.Reason != "":
		return st.Reason
	case st.Signal != "":
		return "Signal:" + st.Signal
	case st.ExitCode != nil:
		return fmt.Sprintf("ExitCode:%d", *st.ExitCode)
	}
	return contract.StateTerminated
}

func parseTime(s string) *time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil
	}
	return &t
}

func later(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.After(*a)) {
		return b
	}
	return a
}
