package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podunit/podunit/e2e/testhost"
	"github.com/podunit/podunit/images/imagetest"
)

// testImage is the image every e2e pod runs: busybox-static in one layer,
// built on the CI machine and loaded with `podunit image load`.
const testImage = "localhost/busybox:1.35"

// env is one booted test host with podunit and the test image in it.
type env struct {
	t *testing.T
	h *testhost.Host // the container test host; nil in a VM test host
	r target         // where commands run: h, or the VM
}

// target is what the helpers need of a test host, container or VM.
type target interface {
	Run(ctx context.Context, args ...string) (stdout, stderr string, exitCode int, err error)
	MustRun(t testing.TB, args ...string) string
	Scratch() string
}

func boot(t *testing.T) *env {
	t.Helper()
	h := testhost.Boot(t, testhost.WithBinary(testhost.Binary(t)))
	return withTestImage(&env{t: t, h: h, r: h})
}

// bootUnloaded boots a container test host with the test image's archive
// at /scratch/busybox.tar but not loaded: for tests of loading itself.
func bootUnloaded(t *testing.T) *env {
	t.Helper()
	h := testhost.Boot(t, testhost.WithBinary(testhost.Binary(t)))
	return withTestArchive(&env{t: t, h: h, r: h})
}

// withTestImage loads the test image into e's host.
func withTestImage(e *env) *env {
	e.t.Helper()
	withTestArchive(e).must("podunit", "image", "load", "/scratch/busybox.tar")
	return e
}

// withTestArchive writes the test image's archive to e's /scratch.
func withTestArchive(e *env) *env {
	e.t.Helper()
	archive := filepath.Join(e.r.Scratch(), "busybox.tar")
	if err := imagetest.BusyboxArchive(archive, testImage); err != nil {
		e.t.Fatalf("build test image: %v", err)
	}
	return e
}

// run runs a command in the host and returns its outputs and exit code.
func (e *env) run(args ...string) (string, string, int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, errOut, code, err := e.r.Run(ctx, args...)
	if err != nil && code == 0 {
		e.t.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
	return out, errOut, code
}

func (e *env) must(args ...string) string {
	e.t.Helper()
	return e.r.MustRun(e.t, args...)
}

// fails runs a command that must fail and returns its stderr.
func (e *env) fails(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.run(args...)
	if code == 0 {
		e.t.Fatalf("%s: succeeded, want failure\nstdout: %s", strings.Join(args, " "), out)
	}
	return errOut
}

// write puts a file in the host's /scratch and returns its inner path.
func (e *env) write(name, content string) string {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.r.Scratch(), name), []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return "/scratch/" + name
}

func (e *env) apply(name, manifest string) string {
	e.t.Helper()
	return e.must("podunit", "apply", "-f", e.write(name+".yaml", manifest))
}

// eventually polls cond until it holds or the timeout passes.
func (e *env) eventually(timeout time.Duration, what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	e.t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

// podStatus is the part of `podunit status -o json` the tests read.
type podStatus struct {
	Name       string `json:"name"`
	Status     string `json:"status"`
	Unit       string `json:"unit"`
	UnitState  string `json:"unitState"`
	Restarts   int    `json:"restarts"`
	Containers []struct {
		Name         string `json:"name"`
		State        string `json:"state"`
		Reason       string `json:"reason"`
		RestartCount int    `json:"restartCount"`
		ExitCode     *int   `json:"exitCode"`
		Ready        bool   `json:"ready"`
		StartedAt    string `json:"startedAt"`
		FinishedAt   string `json:"finishedAt"`
	} `json:"containers"`
	Init []struct {
		Name       string `json:"name"`
		State      string `json:"state"`
		ExitCode   *int   `json:"exitCode"`
		FinishedAt string `json:"finishedAt"`
	} `json:"initContainers"`
	Machine *struct {
		Name    string `json:"name"`
		Class   string `json:"class"`
		Service string `json:"service"`
		Leader  int    `json:"leader"`
	} `json:"machine"`
}

func (e *env) status(pod string) podStatus {
	e.t.Helper()
	var s podStatus
	out := e.must("podunit", "status", pod, "-o", "json")
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		e.t.Fatalf("status -o json: %v\n%s", err, out)
	}
	return s
}

func (e *env) container(s podStatus, name string) (state string, restarts int, exit *int) {
	for _, c := range s.Containers {
		if c.Name == name {
			return c.State, c.RestartCount, c.ExitCode
		}
	}
	e.t.Fatalf("pod %s has no container %s in its status", s.Name, name)
	return "", 0, nil
}

// assertNoTrace checks that nothing of a pod is left on the host: no unit,
// no machine, no state, no lock, no mount.
func (e *env) assertNoTrace(pod string) {
	e.t.Helper()
	unit := "podunit-" + pod + ".service"
	if out, _, _ := e.run("systemctl", "list-units", "--all", "--no-legend", unit); strings.Contains(out, unit) {
		e.t.Errorf("unit %s still loaded: %s", unit, out)
	}
	if out, _, _ := e.run("machinectl", "list", "--no-legend"); strings.Contains(out, pod+" ") {
		e.t.Errorf("machine %s still registered: %s", pod, out)
	}
	if _, err := os.Stat(e.h.Path("/var/lib/podunit/pods/" + pod)); !os.IsNotExist(err) {
		e.t.Errorf("pod state /var/lib/podunit/pods/%s still exists (err %v)", pod, err)
	}
	if _, err := os.Stat(e.h.Path("/run/podunit/locks/" + pod + ".lock")); !os.IsNotExist(err) {
		e.t.Errorf("lock file of %s still exists (err %v)", pod, err)
	}
	mounts := e.must("cat", "/proc/self/mountinfo")
	if strings.Contains(mounts, "/var/lib/podunit/pods/"+pod) {
		e.t.Errorf("mounts of pod %s remain:\n%s", pod, mounts)
	}
}

func (e *env) podsOnHost() []string {
	e.t.Helper()
	ents, _ := os.ReadDir(e.h.Path("/var/lib/podunit/pods"))
	var names []string
	for _, d := range ents {
		names = append(names, d.Name())
	}
	return names
}

func (e *env) unitsOnHost() string {
	e.t.Helper()
	out, _, _ := e.run("systemctl", "list-units", "--all", "--no-legend", "podunit-*")
	return strings.TrimSpace(out)
}

func (e *env) machinesOnHost() string {
	e.t.Helper()
	out, _, _ := e.run("machinectl", "list", "--no-legend")
	return strings.TrimSpace(out)
}
