package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readyOf is a container's Ready in `podunit status`.
func (e *env) readyOf(pod, container string) bool {
	e.t.Helper()
	for _, c := range e.status(pod).Containers {
		if c.Name == container {
			return c.Ready
		}
	}
	e.t.Fatalf("pod %s has no container %s", pod, container)
	return false
}

// TestLivenessProbe: an httpGet liveness probe against busybox httpd
// (the image has no curl; podinit probes from the pod's network
// namespace) kills the container once its health page goes, and the
// restart is counted; the new instance serves again.
func TestLivenessProbe(t *testing.T) {
	e := boot(t)
	e.apply("live", `apiVersion: v1
kind: Pod
metadata:
  name: live
  annotations: {podunit.io/restart-backoff: 1s}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: localhost/busybox:1.35
    command: [sh, -c, 'mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www']
    ports: [{name: http, containerPort: 8080}]
    livenessProbe:
      httpGet: {path: /healthz, port: http, httpHeaders: [{name: X-Probe, value: "1"}]}
      periodSeconds: 1
      failureThreshold: 2
`)
	time.Sleep(3 * time.Second)
	if _, restarts, _ := e.container(e.status("live"), "web"); restarts != 0 {
		t.Fatalf("a healthy container restarted %d times", restarts)
	}
	e.must("podunit", "exec", "live", "--", "rm", "/www/healthz")
	e.eventually(30*time.Second, "a restart for the failed liveness probe", func() bool {
		state, restarts, _ := e.container(e.status("live"), "web")
		return restarts == 1 && state == "Running"
	})
	if out := e.must("podunit", "status", "live", "-o", "json"); !strings.Contains(out, `"message": "Liveness probe failed: HTTP probe failed with statuscode: 404`) {
		t.Errorf("status does not say why the container restarted:\n%s", out)
	}
	if out := e.must("podunit", "status", "live"); !strings.Contains(out, "Message:") || !strings.Contains(out, "Liveness probe failed") {
		t.Errorf("status's last state lacks the probe's message:\n%s", out)
	}
	// The new instance has a fresh rootfs with its health page again.
	e.eventually(10*time.Second, "the restarted container to serve", func() bool {
		_, _, code := e.run("podunit", "exec", "live", "--", "test", "-f", "/www/healthz")
		return code == 0
	})
	time.Sleep(3 * time.Second)
	if _, restarts, _ := e.container(e.status("live"), "web"); restarts != 1 {
		t.Errorf("after the restart: %d restarts, want 1", restarts)
	}
	e.must("podunit", "delete", "live")
	e.assertNoTrace("live")
}

// TestReadinessGatesUnit: the pod's unit stays activating until the
// readiness probe (exec, in the container) passes, and a unit ordered
// After= and Requires= it starts only then; readiness lost later shows
// in status and the unit's STATUS= text. A startup probe on a tcpSocket
// gates the other container.
func TestReadinessGatesUnit(t *testing.T) {
	e := boot(t)
	path := e.write("ready.yaml", `apiVersion: v1
kind: Pod
metadata: {name: gated}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: localhost/busybox:1.35
    command: [sleep, "1000"]
    readinessProbe:
      exec: {command: [test, -f, /tmp/ready]}
      periodSeconds: 1
  - name: tcp
    image: localhost/busybox:1.35
    command: [sh, -c, 'sleep 2; exec httpd -f -p 8081']
    startupProbe:
      tcpSocket: {port: 8081}
      periodSeconds: 1
      failureThreshold: 60
`)
	type result struct {
		out, errOut string
		code        int
	}
	applied := make(chan result, 1)
	go func() {
		out, errOut, code := e.run("podunit", "apply", "-f", path)
		applied <- result{out, errOut, code}
	}()
	e.eventually(60*time.Second, "the pod's unit to be activating", func() bool {
		out, _, _ := e.run("systemctl", "is-active", "podunit-gated.service")
		return strings.TrimSpace(out) == "activating"
	})
	e.must("systemd-run", "--unit=after-gated", "--no-block", "-p", "After=podunit-gated.service", "-p", "Requires=podunit-gated.service",
		"sh", "-c", "touch /tmp/after-gated")
	// The tcp container's startup probe passes after about 2 s; app is
	// still not ready, so the unit waits.
	defer func() {
		if t.Failed() {
			out, _, _ := e.run("journalctl", "-u", "podunit-gated.service", "--no-pager", "-n", "60")
			t.Log(out)
			out, _, _ = e.run("sh", "-c", "systemctl show -p ActiveState,SubState podunit-gated.service; cat /var/lib/podunit/pods/gated/run/status/tcp.json; podunit status gated -o json")
			t.Log(out)
		}
	}()
	e.eventually(30*time.Second, "the tcp container to be ready", func() bool { return e.readyOf("gated", "tcp") })
	time.Sleep(2 * time.Second)
	if out, _, _ := e.run("systemctl", "is-active", "podunit-gated.service"); strings.TrimSpace(out) != "activating" {
		t.Fatalf("unit is %q before the readiness probe passed", out)
	}
	if _, _, code := e.run("test", "-e", "/tmp/after-gated"); code == 0 {
		t.Fatal("the dependent unit ran before the pod was ready")
	}
	if e.readyOf("gated", "app") {
		t.Fatal("app is ready before its probe passed")
	}
	e.must("podunit", "exec", "gated", "-c", "app", "--", "touch", "/tmp/ready")
	select {
	case r := <-applied:
		if r.code != 0 {
			t.Fatalf("apply: %d %s %s", r.code, r.out, r.errOut)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("apply did not return after the pod became ready")
	}
	e.eventually(30*time.Second, "the dependent unit to run", func() bool {
		_, _, code := e.run("test", "-e", "/tmp/after-gated")
		return code == 0
	})
	if !e.readyOf("gated", "app") {
		t.Error("app not ready in status")
	}
	e.must("podunit", "exec", "gated", "-c", "app", "--", "rm", "/tmp/ready")
	e.eventually(30*time.Second, "readiness lost", func() bool {
		out := e.must("systemctl", "show", "-p", "StatusText", "--value", "podunit-gated.service")
		return !e.readyOf("gated", "app") && strings.Contains(out, "1 ready")
	})
	if out, _, _ := e.run("systemctl", "is-active", "podunit-gated.service"); strings.TrimSpace(out) != "active" {
		t.Errorf("unit is %q after readiness was lost, want active", out)
	}
	e.must("podunit", "delete", "gated")
	e.assertNoTrace("gated")
}

// TestProbeCost measures what probes cost podinit: CPU time (its own,
// and with the exec probes' helpers it reaped) and RSS over a minute,
// for a pod with three probes at a 1 s period against the same pod
// without probes. It only reports, and runs with PODUNIT_PROBE_COST=1.
func TestProbeCost(t *testing.T) {
	if os.Getenv("PODUNIT_PROBE_COST") == "" {
		t.Skip("set PODUNIT_PROBE_COST=1 to measure")
	}
	e := boot(t)
	const pod = `apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: localhost/busybox:1.35
    command: [httpd, -f, -p, "8080"]
%s  - name: side
    image: localhost/busybox:1.35
    command: [sleep, "100000"]
%s`
	probes := "    livenessProbe: {httpGet: {port: 8080}, periodSeconds: 1}\n    readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}\n"
	exec := "    readinessProbe: {exec: {command: ['true']}, periodSeconds: 1}\n"
	e.apply("plain", fmt.Sprintf(pod, "plain", "", ""))
	e.apply("probed", fmt.Sprintf(pod, "probed", probes, exec))
	sample := func(name string) (own, all float64, rss, anon int) {
		pid := strconv.Itoa(e.status(name).Machine.Leader)
		f := strings.Fields(e.must("cat", "/proc/"+pid+"/stat"))
		tick := func(i int) float64 { n, _ := strconv.ParseFloat(f[i], 64); return n / 100 }
		own = tick(13) + tick(14)
		all = own + tick(15) + tick(16)
		st := e.must("cat", "/proc/"+pid+"/status")
		rss, _ = strconv.Atoi(strings.Fields(statusField(st, "VmRSS"))[0])
		anon, _ = strconv.Atoi(strings.Fields(statusField(st, "RssAnon"))[0])
		return
	}
	time.Sleep(10 * time.Second)
	const window = 60 * time.Second
	o0p, a0p, _, _ := sample("plain")
	o0, a0, _, _ := sample("probed")
	time.Sleep(window)
	o1p, a1p, rssPlain, anonPlain := sample("plain")
	o1, a1, rssProbed, anonProbed := sample("probed")
	pct := func(d float64) float64 { return 100 * d / window.Seconds() }
	t.Logf("without probes: podinit %.2f%% of a core (%.2f%% with children), RSS %d kB (anonymous %d kB)", pct(o1p-o0p), pct(a1p-a0p), rssPlain, anonPlain)
	t.Logf("3 probes at 1 s: podinit %.2f%% of a core (%.2f%% with the exec probe's helpers), RSS %d kB (anonymous %d kB)", pct(o1-o0), pct(a1-a0), rssProbed, anonProbed)
	e.must("podunit", "delete", "plain", "probed")
}
