package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRestoreAfterReboot: applied pods come back after the host reboots
// as the kubelet brings back its node's pods (Always always, OnFailure
// unless it had succeeded, Never not), with their emptyDir data; pods
// applied with --transient and pods deleted before the reboot do not.
func TestRestoreAfterReboot(t *testing.T) {
	e := boot(t)
	b, err := os.ReadFile(filepath.Join("..", "dist", "podunit-restore.service"))
	if err != nil {
		t.Fatal(err)
	}
	e.write("podunit-restore.service", string(b))
	e.must("sh", "-c", `set -e
mkdir -p /usr/local/lib/systemd/system
cp /scratch/podunit-restore.service /usr/local/lib/systemd/system/
systemctl daemon-reload
systemctl enable podunit-restore.service`)

	pod := func(name, policy, script string) string {
		return `apiVersion: v1
kind: Pod
metadata: {name: ` + name + `}
spec:
  restartPolicy: ` + policy + `
  terminationGracePeriodSeconds: 1
  volumes: [{name: data, emptyDir: {}}]
  containers:
  - name: main
    image: localhost/busybox:1.35
    volumeMounts: [{name: data, mountPath: /data}]
    command: ["sh", "-c", "` + script + `"]
`
	}
	sleeper := "date +%s%N >> /data/starts; exec sleep 100000"
	e.apply("always", pod("always", "Always", sleeper))
	e.apply("onfail", pod("onfail", "OnFailure", sleeper))
	e.apply("done", pod("done", "OnFailure", "exit 0"))
	e.apply("never", pod("never", "Never", sleeper))
	e.must("podunit", "apply", "--transient", "-f", e.write("transient.yaml", pod("transient", "Always", sleeper)))
	e.apply("gone", pod("gone", "Always", sleeper))
	e.waitRunning("always", "onfail", "never", "transient", "gone")
	e.eventually(60*time.Second, "done succeeded", func() bool {
		out, _, _ := e.run("podunit", "status", "done", "-o", "json")
		return strings.Contains(out, `"Succeeded"`)
	})
	e.must("podunit", "delete", "gone")

	e.h.Reboot(t)

	e.waitRunning("always", "onfail")
	out := e.must("journalctl", "-b", "-u", "podunit-restore.service", "--no-pager")
	for _, want := range []string{"pod/always restored", "pod/onfail restored", "pod/never not restored", "pod/done not restored", "pod/transient left alone"} {
		if !strings.Contains(out, want) {
			t.Errorf("restore's journal lacks %q:\n%s", want, out)
		}
	}
	// The emptyDir outlived the reboot, as the pod did: two starts.
	if n := strings.Count(e.must("podunit", "exec", "always", "--", "cat", "/data/starts"), "\n"); n != 2 {
		t.Errorf("always: %d starts recorded in its emptyDir, want 2", n)
	}
	for _, name := range []string{"never", "done", "transient"} {
		if _, _, code := e.run("systemctl", "is-active", "--quiet", "podunit-"+name+".service"); code == 0 {
			t.Errorf("%s is running after the reboot", name)
		}
	}
	if _, errOut, code := e.run("podunit", "status", "gone"); code == 0 {
		t.Errorf("the deleted pod has state after the reboot: %s", errOut)
	}
	// Restore again changes nothing: the restored pods run.
	if out := e.must("podunit", "restore"); !strings.Contains(out, "pod/always running") {
		t.Errorf("second restore: %s", out)
	}
}
