package e2e

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestLifecycleHooks: a postStart hook writes into the container's own
// filesystem a file its main process waits for; a preStop hook runs
// before the SIGTERM that stops the container (both append to a hostPath
// file that outlives the pod); lifecycle.stopSignal replaces SIGTERM.
func TestLifecycleHooks(t *testing.T) {
	e := boot(t)
	e.must("mkdir", "-m", "1777", "/tmp/hooks")
	e.apply("hooks", `apiVersion: v1
kind: Pod
metadata: {name: hooks}
spec:
  os: {name: linux}
  terminationGracePeriodSeconds: 10
  volumes:
  - {name: out, hostPath: {path: /tmp/hooks, type: Directory}}
  containers:
  - name: app
    image: localhost/busybox:1.35
    command: [sh, -c, 'while [ ! -f /tmp/post ]; do sleep 0.1; done; cat /tmp/post > /tmp/seen; trap "echo term >> /out/log; exit 0" TERM; while true; do sleep 0.2; done']
    volumeMounts: [{name: out, mountPath: /out}]
    lifecycle:
      postStart:
        exec: {command: [sh, -c, 'echo hooked > /tmp/post']}
      preStop:
        exec: {command: [sh, -c, 'echo prestop >> /out/log; sleep 1']}
  - name: quitter
    image: localhost/busybox:1.35
    command: [sh, -c, 'trap "echo int > /out/sig; exit 0" INT; trap "echo term > /out/sig; exit 0" TERM; while true; do sleep 0.2; done']
    volumeMounts: [{name: out, mountPath: /out}]
    lifecycle: {stopSignal: SIGINT}
`)
	e.eventually(20*time.Second, "the main process to read the postStart file", func() bool {
		out, _, code := e.run("podunit", "exec", "hooks", "--", "cat", "/tmp/seen")
		return code == 0 && strings.TrimSpace(out) == "hooked"
	})
	start := time.Now()
	e.must("systemctl", "stop", "podunit-hooks.service")
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("stop took %v: the TERM trap should have ended it soon after the hook", d)
	}
	if got := e.must("cat", "/tmp/hooks/log"); got != "prestop\nterm\n" {
		t.Errorf("hook and signal order: %q, want prestop then term", got)
	}
	if got := e.must("cat", "/tmp/hooks/sig"); got != "int\n" {
		t.Errorf("lifecycle.stopSignal SIGINT: the container got %q", got)
	}
	e.must("podunit", "delete", "hooks")
	e.assertNoTrace("hooks")
}

// TestSidecars: a sidecar (an init container with restartPolicy Always)
// starts before the next init container, which waits for its startup
// probe; it outlives its init siblings, is stopped after the main
// container, is restarted when it exits under restartPolicy Never, and
// does not keep a completed pod alive.
func TestSidecars(t *testing.T) {
	e := boot(t)
	e.must("mkdir", "-m", "1777", "/tmp/side")
	e.apply("side", `apiVersion: v1
kind: Pod
metadata: {name: side}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 10
  volumes:
  - {name: out, hostPath: {path: /tmp/side, type: Directory}}
  initContainers:
  - name: log
    image: localhost/busybox:1.35
    restartPolicy: Always
    command: [sh, -c, 'sleep 1; echo up > /out/up; trap "echo sidecar-term >> /out/order; exit 0" TERM; while true; do sleep 0.2; done']
    volumeMounts: [{name: out, mountPath: /out}]
    startupProbe:
      exec: {command: [cat, /out/up]}
      periodSeconds: 1
      failureThreshold: 30
  - name: setup
    image: localhost/busybox:1.35
    command: [sh, -c, 'test -f /out/up && echo setup-saw-sidecar >> /out/order']
    volumeMounts: [{name: out, mountPath: /out}]
  containers:
  - name: main
    image: localhost/busybox:1.35
    command: [sh, -c, 'trap "echo main-term >> /out/order; exit 0" TERM; echo main >> /out/order; while true; do sleep 0.2; done']
    volumeMounts: [{name: out, mountPath: /out}]
`)
	st := e.status("side")
	for _, c := range st.Init {
		want := "Running"
		if c.Name == "setup" {
			want = "Terminated"
		}
		if c.State != want {
			t.Errorf("init container %s: %s, want %s", c.Name, c.State, want)
		}
	}
	e.must("podunit", "exec", "side", "-c", "log", "--", "test", "-f", "/out/up")
	e.must("systemctl", "stop", "podunit-side.service")
	if got := e.must("cat", "/tmp/side/order"); got != "setup-saw-sidecar\nmain\nmain-term\nsidecar-term\n" {
		t.Errorf("order of events: %q", got)
	}
	e.must("podunit", "delete", "side")
	e.assertNoTrace("side")

	e.apply("job", `apiVersion: v1
kind: Pod
metadata:
  name: job
  annotations: {podunit.io/restart-backoff: 1s}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: out, hostPath: {path: /tmp/side, type: Directory}}
  initContainers:
  - name: flaky
    image: localhost/busybox:1.35
    restartPolicy: Always
    command: [sh, -c, 'echo run >> /out/runs; sleep 1; exit 3']
    volumeMounts: [{name: out, mountPath: /out}]
  containers:
  - name: main
    image: localhost/busybox:1.35
    command: [sh, -c, 'sleep 6']
`)
	e.eventually(60*time.Second, "the job pod to succeed", func() bool { return e.status("job").Status == "Succeeded" })
	if runs := strings.Count(e.must("cat", "/tmp/side/runs"), "run"); runs < 2 {
		t.Errorf("the sidecar ran %d times, want it restarted under restartPolicy Never", runs)
	}
	e.must("podunit", "delete", "job")
	e.assertNoTrace("job")
}

// TestProbedExample runs examples/probed.yaml: apply returns once the
// readiness probe found the page the postStart hook wrote, and the
// sidecar keeps writing beside the server.
func TestProbedExample(t *testing.T) {
	e := boot(t)
	manifest, err := os.ReadFile("../examples/probed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e.apply("probed", string(manifest))
	if !e.readyOf("probed", "app") {
		t.Error("apply returned before app was ready")
	}
	if out := e.must("podunit", "exec", "probed", "-c", "app", "--", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/"); out != "hello from pod probed\n" {
		t.Errorf("page: %q", out)
	}
	e.must("podunit", "exec", "probed", "-c", "ticker", "--", "test", "-s", "/www/time")
	e.must("podunit", "delete", "probed")
	e.assertNoTrace("probed")
}
