package contract

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Pod phases as in Kubernetes.
const (
	PhasePending   = "Pending"
	PhaseRunning   = "Running"
	PhaseSucceeded = "Succeeded"
	PhaseFailed    = "Failed"
)

// Reasons recorded in Status.Reason.
const (
	ReasonPodInitializing   = "PodInitializing"
	ReasonContainerCreating = "ContainerCreating"
	ReasonCompleted         = "Completed"
	ReasonError             = "Error"
	ReasonCrashLoopBackOff  = "CrashLoopBackOff"
	ReasonKilled            = "Killed"
	ReasonStartError        = "StartError"
	// ReasonOOMKilled: the kernel killed the container for going over
	// its memory limit.
	ReasonOOMKilled = "OOMKilled"
	// ReasonUnhealthy: podinit killed the instance for a failed liveness
	// or startup probe; ReasonPostStartHookError for a failed postStart.
	ReasonUnhealthy          = "Unhealthy"
	ReasonPostStartHookError = "PostStartHookError"
)

// StatusFileName is the record of container name in StatusDir.
func StatusFileName(name string) string {
	return name + ".json"
}

// ReadStatus reads a container's status record; for host-side commands.
func ReadStatus(dir, name string) (*Status, error) {
	var s Status
	if err := readJSON(filepath.Join(dir, StatusFileName(name)), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// ReadPodStatus reads the pod-level status record; for host-side commands.
func ReadPodStatus(dir string) (*PodStatus, error) {
	var s PodStatus
	if err := readJSON(filepath.Join(dir, PodStatusFile), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// ExitReason is the Reason of a container that exited with code.
func ExitReason(code int) string {
	if code == 0 {
		return ReasonCompleted
	}
	return ReasonError
}

// Ended is how the latest instance that exited ended; false if none has.
// While the container waits for its restart the record's Reason is the
// wait's (CrashLoopBackOff), so the end's reason comes from the exit code.
func (s *Status) Ended() (Termination, bool) {
	if s.ExitCode == nil {
		return Termination{}, false
	}
	reason := s.Reason
	if s.State != StateTerminated {
		reason = ExitReason(*s.ExitCode)
	}
	return Termination{ExitCode: *s.ExitCode, Signal: s.Signal, Reason: reason, Message: s.Message, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt}, true
}

// Previous is Kubernetes' lastState.terminated: while the container waits
// to start again, the instance that just ended; otherwise the one before
// the current instance. Nil when there was none.
func (s *Status) Previous() *Termination {
	if s.State == StateWaiting {
		if t, ok := s.Ended(); ok {
			return &t
		}
	}
	return s.LastState
}
