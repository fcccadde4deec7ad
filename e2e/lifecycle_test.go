package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestLifecycleHooks: a postStart hook writes into the container's own
// filesystem a file its main process waits for; a preStop hook runs
// before the SIGTERM that stops the container (both append to a hostPath
// file that outlives the pod).
func TestLifecycleHooks(t *testing.T) {
	e := boot(t)
	e.must("mkdir", "-m", "1777", "/tmp/hooks")
	e.apply("hooks", `apiVersion: v1
kind: Pod
metadata: {name: hooks}
spec:
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
	e.must("podunit", "delete", "hooks")
	e.assertNoTrace("hooks")
}
