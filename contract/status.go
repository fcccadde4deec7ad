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
