package podinit

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/podunit/podunit/contract"
	"golang.org/x/sys/unix"
)

func TestStatusRoundTrip(t *testing.T) {
	dir := t.TempDir()
	code := 137
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("x", 3600))
	in := contract.Status{
		Name: "web", State: contract.StateTerminated, Reason: contract.ReasonKilled, RestartCount: 3,
		ExitCode: &code, Signal: "SIGKILL", StartedAt: timestamp(at), FinishedAt: timestamp(at.Add(time.Second)),
		UID: 1000, GID: 1000, Groups: []uint32{10, 2000}, Env: []string{"PATH=/bin", "A=b"}, Cwd: "/srv",
	}
	if err := writeJSONAtomic(filepath.Join(dir, contract.StatusFileName(in.Name)), &in); err != nil {
		t.Fatal(err)
	}
	out, err := contract.ReadStatus(dir, "web")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*out, in) {
		t.Errorf("round trip:\n%+v\n%+v", *out, in)
	}
	if in.StartedAt != "2024-05-06T06:08:09.123456789Z" {
		t.Errorf("timestamp %s: want UTC RFC 3339 with nanoseconds", in.StartedAt)
	}
	parsed, err := time.Parse(time.RFC3339Nano, out.StartedAt)
	if err != nil || !parsed.Equal(at) {
		t.Errorf("parse %s: %v, %v", out.StartedAt, parsed, err)
	}

	// Never-exited containers carry no exitCode at all.
	data, _ := json.Marshal(contract.Status{Name: "w", State: contract.StateWaiting})
	if strings.Contains(string(data), "exitCode") {
		t.Errorf("waiting status has exitCode: %s", data)
	}

	if err := writeJSONAtomic(filepath.Join(dir, contract.PodStatusFile), &contract.PodStatus{Phase: contract.PhaseRunning}); err != nil {
		t.Fatal(err)
	}
	pod, err := contract.ReadPodStatus(dir)
	if err != nil || pod.Phase != contract.PhaseRunning {
		t.Errorf("pod status %+v, %v", pod, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

func TestExitOf(t *testing.T) {
	// Wait status encoding: exit code in bits 8-15, signal in bits 0-6.
	if code, sig := exitOf(unix.WaitStatus(3 << 8)); code != 3 || sig != "" {
		t.Errorf("exit 3: %d %q", code, sig)
	}
	if code, sig := exitOf(unix.WaitStatus(unix.SIGKILL)); code != 137 || sig != "SIGKILL" {
		t.Errorf("SIGKILL: %d %q", code, sig)
	}
	if code, sig := exitOf(unix.WaitStatus(unix.SIGTERM)); code != 143 || sig != "SIGTERM" {
		t.Errorf("SIGTERM: %d %q", code, sig)
	}
}
