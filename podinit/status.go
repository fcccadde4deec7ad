package podinit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/podunit/podunit/atomicfile"
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
)

// timestamp formats t the way status files carry times.
func timestamp(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// statusFileName is the record of container name in StatusDir.
func statusFileName(name string) string {
	return name + ".json"
}

// writeJSONAtomic writes v to path via a temporary file and rename, so
// readers on the host never see a torn record.
func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return atomicfile.Write(path, append(data, '\n'), atomicfile.Options{Perm: 0o644})
}

// ReadStatus reads a container's status record; for host-side commands.
func ReadStatus(dir, name string) (*Status, error) {
	var s Status
	if err := readJSON(filepath.Join(dir, statusFileName(name)), &s); err != nil {
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
