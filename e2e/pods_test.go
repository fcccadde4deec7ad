// Package e2e runs podunit inside a booted systemd test host (see
// e2e/testhost): real D-Bus, machined, journald and systemd-nspawn.
package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const webPod = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: app
    image: localhost/busybox:1.35
    command: ["sh", "-c"]
    args:
    - |
      mkdir -p /www && echo "hello from web" > /www/index.html
      echo "serving on 8080"
      echo "this goes to stderr" >&2
      exec httpd -f -p 8080 -h /www
    env:
    - {name: GREETING, value: hi}
    resources:
      limits: {cpu: 500m, memory: 64Mi}
`

// TestPodLifecycle walks one pod through everything a user does with it,
// on one test host: apply, systemd and machined views, list, status, logs,
// exec, re-apply, terminate, delete, and the leak check.
func TestPodLifecycle(t *testing.T) {
	e := boot(t)

	out := e.apply("web", webPod)
	if strings.TrimSpace(out) != "pod/web created" {
		t.Fatalf("apply: %q", out)
	}

	t.Run("systemd unit", func(t *testing.T) {
		if got := strings.TrimSpace(e.must("systemctl", "is-active", "podunit-web.service")); got != "active" {
			t.Fatalf("is-active: %s", got)
		}
		show := e.must("systemctl", "show", "podunit-web.service", "-p", "Slice,Delegate,KillMode,Type,MemoryMax,CPUQuotaPerSecUSec,TasksMax")
		for _, want := range []string{"Slice=machine.slice", "Delegate=yes", "KillMode=mixed", "Type=notify", "MemoryMax=67108864", "CPUQuotaPerSecUSec=500ms", "TasksMax=4096"} {
			if !strings.Contains(show, want) {
				t.Errorf("systemctl show lacks %s:\n%s", want, show)
			}
		}
	})

	t.Run("machined", func(t *testing.T) {
		list := e.must("machinectl", "list", "--no-legend")
		f := strings.Fields(firstLineWith(list, "web"))
		if len(f) < 3 || f[0] != "web" || f[1] != "container" || f[2] != "podunit" {
			t.Fatalf("machinectl list: %q", list)
		}
		st := e.must("machinectl", "status", "web", "--no-pager")
		if !strings.Contains(st, "Unit: podunit-web.service") {
			t.Fatalf("machinectl status lacks the unit:\n%s", st)
		}
	})

	t.Run("list", func(t *testing.T) {
		out := e.must("podunit", "list")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "NAME") {
			t.Fatalf("list:\n%s", out)
		}
		for _, h := range []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE"} {
			if !strings.Contains(lines[0], h) {
				t.Errorf("list header lacks %s: %s", h, lines[0])
			}
		}
		f := strings.Fields(lines[1])
		if f[0] != "web" || f[1] != "1/1" || f[2] != "Running" || f[3] != "0" {
			t.Fatalf("list row: %q", lines[1])
		}
		var js []map[string]any
		if err := json.Unmarshal([]byte(e.must("podunit", "list", "-o", "json")), &js); err != nil || len(js) != 1 || js[0]["name"] != "web" {
			t.Fatalf("list -o json: %v %v", err, js)
		}
		var ys []map[string]any
		if err := yaml.Unmarshal([]byte(e.must("podunit", "list", "-o", "yaml")), &ys); err != nil || len(ys) != 1 || ys[0]["status"] != "Running" {
			t.Fatalf("list -o yaml: %v %v", err, ys)
		}
		if wide := e.must("podunit", "list", "-o", "wide"); !strings.Contains(wide, "podunit-web.service") || !strings.Contains(wide, testImage) {
			t.Fatalf("list -o wide:\n%s", wide)
		}
	})

	t.Run("status", func(t *testing.T) {
		s := e.status("web")
		if s.Status != "Running" || s.Unit != "podunit-web.service" || s.Machine == nil || s.Machine.Service != "podunit" {
			t.Fatalf("status: %+v", s)
		}
		state, restarts, _ := e.container(s, "app")
		if state != "Running" || restarts != 0 || s.Containers[0].StartedAt == "" {
			t.Fatalf("container status: %+v", s.Containers)
		}
		text := e.must("podunit", "status", "web")
		for _, want := range []string{"podunit-web.service", "Machine:", "app", "Running"} {
			if !strings.Contains(text, want) {
				t.Errorf("status text lacks %q:\n%s", want, text)
			}
		}
	})

	t.Run("logs", func(t *testing.T) {
		e.eventually(10*time.Second, "the container's first line in the journal", func() bool {
			out, _, _ := e.run("podunit", "logs", "web")
			return strings.Contains(out, "serving on 8080")
		})
		out := e.must("podunit", "logs", "web", "-c", "app", "--tail", "1")
		if strings.Count(out, "\n") != 1 {
			t.Errorf("--tail 1 printed %q", out)
		}
		// journald attributes the lines to the pod's unit, with our fields
		// and priorities: 6 for stdout, 3 for stderr.
		j := e.must("journalctl", "-u", "podunit-web.service", "CONTAINER_NAME=app", "-o", "json", "--no-pager")
		var sawOut, sawErr bool
		for _, line := range strings.Split(strings.TrimSpace(j), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) != nil {
				continue
			}
			if m["POD_NAME"] != "web" || m["SYSLOG_IDENTIFIER"] != "app" {
				t.Errorf("journal entry without pod fields: %s", line)
			}
			switch m["MESSAGE"] {
			case "serving on 8080":
				sawOut = m["PRIORITY"] == "6"
			case "this goes to stderr":
				sawErr = m["PRIORITY"] == "3"
			}
		}
		if !sawOut || !sawErr {
			t.Errorf("journal: stdout line at priority 6: %v, stderr line at priority 3: %v\n%s", sawOut, sawErr, j)
		}
		// logs --since in the future prints nothing.
		if out := e.must("podunit", "logs", "web", "--since", "2099-01-01"); out != "" {
			t.Errorf("--since 2099 printed %q", out)
		}
		// -f follows new lines.
		p, err := e.h.StartProcess(t.Context(), "podunit", "logs", "web", "-f")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Kill()
		if err := p.WaitOutput(t.Context(), "serving on 8080"); err != nil {
			t.Fatalf("logs -f: %v (%s)", err, p.Stderr())
		}

	})

	t.Run("exec", func(t *testing.T) {
		if out := e.must("podunit", "exec", "web", "--", "cat", "/www/index.html"); out != "hello from web\n" {
			t.Fatalf("exec cat: %q", out)
		}
		if _, _, code := e.run("podunit", "exec", "web", "-c", "app", "--", "sh", "-c", "exit 7"); code != 7 {
			t.Fatalf("exec exit status %d, want 7", code)
		}
		if out := e.must("podunit", "exec", "web", "--", "sh", "-c", "echo $GREETING; hostname"); out != "hi\nweb\n" {
			t.Fatalf("exec environment, hostname: %q", out)
		}
		// Seen from the host, the command is in the pod's payload cgroup
		// (from inside, its cgroup namespace shows only "/").
		p, err := e.h.StartProcess(t.Context(), "podunit", "exec", "web", "--", "sleep", "30")
		if err != nil {
			t.Fatal(err)
		}
		var cg string
		e.eventually(5*time.Second, "the exec'd sleep", func() bool {
			cg, _, _ = e.run("sh", "-c", "cat /proc/$(pgrep -x sleep)/cgroup")
			return strings.Contains(cg, "name=systemd:")
		})
		p.Kill()
		if !strings.Contains(cg, "name=systemd:/machine.slice/podunit-web.service/payload") {
			t.Fatalf("exec'd process cgroups:\n%s", cg)
		}
		// The command sees the container's root, not the pod's or the host's.
		if _, _, code := e.run("podunit", "exec", "web", "--", "ls", "/podinit"); code == 0 {
			t.Fatal("exec sees the pod root's /podinit: not in the container's mount namespace")
		}
		// The capability bounding set equals the container's.
		capOf := func(out string) string {
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "CapBnd:") {
					return l
				}
			}
			return "none"
		}
		pid := e.must("podunit", "exec", "web", "--", "sh", "-c", "cat /proc/1/status; echo ---; cat /proc/self/status")
		parts := strings.SplitN(pid, "---", 2)
		if len(parts) != 2 || capOf(parts[1]) == "none" {
			t.Fatalf("status output: %q", pid)
		}
		// -i passes stdin through; without it the command gets none.
		if out := e.must("sh", "-c", "echo piped | podunit exec -i web -- cat"); out != "piped\n" {
			t.Fatalf("exec -i: %q", out)
		}
		if out := e.must("sh", "-c", "echo piped | podunit exec web -- cat"); out != "" {
			t.Fatalf("exec without -i read stdin: %q", out)
		}
		if out := e.must("podunit", "exec", "-it", "web", "--", "ls", "-l", "/proc/self/fd/0"); !strings.Contains(out, "/dev/pts/") {
			t.Fatalf("exec -it tty: %q", out)
		}
		if _, errOut, code := e.run("podunit", "exec", "web", "-c", "nope", "--", "true"); code == 0 || !strings.Contains(errOut, `container "nope"`) {
			t.Fatalf("exec into a missing container: %d %s", code, errOut)
		}
	})

	t.Run("reapply", func(t *testing.T) {
		before := e.status("web").Machine.Leader
		if out := e.must("podunit", "apply", "-f", "/scratch/web.yaml"); strings.TrimSpace(out) != "pod/web unchanged" {
			t.Fatalf("re-apply: %q", out)
		}
		// Key order and comments do not change the pod.
		reordered := strings.Replace(webPod, "  labels: {app: web}\n", "  # a comment\n  labels: {app: web}\n", 1)
		if out := e.apply("web-reordered", reordered); strings.TrimSpace(out) != "pod/web unchanged" {
			t.Fatalf("re-apply with a comment: %q", out)
		}
		changed := strings.Replace(webPod, "value: hi", "value: hello", 1)
		if out := e.apply("web2", changed); strings.TrimSpace(out) != "pod/web configured" {
			t.Fatalf("apply changed: %q", out)
		}
		after := e.status("web")
		if after.Machine == nil || after.Machine.Leader == before || after.Status != "Running" {
			t.Fatalf("pod was not replaced: leader %d → %+v", before, after)
		}
		if out := e.must("podunit", "exec", "web", "--", "sh", "-c", "echo $GREETING"); out != "hello\n" {
			t.Fatalf("replaced pod runs the old spec: %q", out)
		}
	})

	t.Run("terminate", func(t *testing.T) {
		e.must("machinectl", "terminate", "web")
		// httpd is PID 1 of its container and has no SIGTERM handler, so
		// (as under the kubelet) it goes at the end of the 30 s grace.
		e.eventually(50*time.Second, "web to show Stopped", func() bool {
			return e.status("web").Status == "Stopped"
		})
		s := e.status("web")
		if s.Machine != nil {
			t.Fatalf("machine still registered after terminate: %+v", s)
		}
		if state, _, _ := e.container(s, "app"); state == "Running" {
			t.Fatalf("container still shown running: %+v", s)
		}
		// Logs outlive the pod.
		if out := e.must("podunit", "logs", "web"); !strings.Contains(out, "serving on 8080") {
			t.Fatalf("logs after stop: %q", out)
		}
		// Applying the same spec starts it again.
		if out := e.must("podunit", "apply", "-f", "/scratch/web2.yaml"); strings.TrimSpace(out) != "pod/web started" {
			t.Fatalf("apply of a stopped pod: %q", out)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if out := e.must("podunit", "delete", "web"); strings.TrimSpace(out) != "pod/web deleted" {
			t.Fatalf("delete: %q", out)
		}
		e.assertNoTrace("web")
		if errOut := e.fails("podunit", "delete", "web"); !strings.Contains(errOut, `pod "web"`) || !strings.Contains(errOut, "not found") {
			t.Fatalf("delete of an unknown pod: %q", errOut)
		}
		e.assertNoTrace("web")
	})
}

const sharedPod = `apiVersion: v1
kind: Pod
metadata:
  name: shared
  annotations:
    podunit.io/restart-backoff: 200ms
spec:
  terminationGracePeriodSeconds: 5
  volumes:
  - name: data
    emptyDir: {}
  initContainers:
  - name: setup
    image: localhost/busybox:1.35
    command: ["sh", "-c", "sleep 1; echo prepared > /data/log; echo init done"]
    volumeMounts: [{name: data, mountPath: /data}]
  containers:
  - name: writer
    image: localhost/busybox:1.35
    command: ["sh", "-c", "while true; do echo tick >> /data/log; sleep 1; done"]
    volumeMounts: [{name: data, mountPath: /data}]
  - name: reader
    image: localhost/busybox:1.35
    command: ["sh", "-c", "exec tail -F /data/log"]
    volumeMounts: [{name: data, mountPath: /data, readOnly: true}]
`

// TestMultiContainer: two containers share an emptyDir that an init
// container prepared first; each has its own rootfs.
func TestMultiContainer(t *testing.T) {
	e := boot(t)
	e.apply("shared", sharedPod)
	s := e.status("shared")
	if len(s.Init) != 1 || s.Init[0].State != "Terminated" || s.Init[0].ExitCode == nil || *s.Init[0].ExitCode != 0 {
		t.Fatalf("init container did not complete before the pod became ready: %+v", s.Init)
	}
	e.eventually(15*time.Second, "the reader to see the writer's lines", func() bool {
		out, _, _ := e.run("podunit", "logs", "shared", "-c", "reader")
		return strings.HasPrefix(out, "prepared\ntick\n")
	})
	// -f follows: lines the reader prints (a tick a second) after -f
	// started reach it.
	before := strings.Count(e.must("podunit", "logs", "shared", "-c", "reader"), "tick\n")
	p, err := e.h.StartProcess(t.Context(), "podunit", "logs", "shared", "-c", "reader", "-f")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	e.eventually(20*time.Second, "logs -f to show new ticks", func() bool {
		return strings.Count(p.Stdout(), "tick\n") >= before+2
	})
	if errOut := e.fails("podunit", "logs", "shared"); !strings.Contains(errOut, "-c") {
		t.Fatalf("logs of a multi-container pod without -c: %q", errOut)
	}
	if out := e.must("podunit", "logs", "shared", "--all-containers"); !strings.Contains(out, "[setup] init done") || !strings.Contains(out, "[reader] prepared") {
		t.Fatalf("--all-containers: %q", out)
	}
	// readOnly is enforced; the writer can write.
	if _, _, code := e.run("podunit", "exec", "shared", "-c", "reader", "--", "touch", "/data/x"); code == 0 {
		t.Fatal("reader wrote to its readOnly mount")
	}
	e.must("podunit", "exec", "shared", "-c", "writer", "--", "touch", "/data/x")
	// Separate rootfs per container.
	e.must("podunit", "exec", "shared", "-c", "writer", "--", "touch", "/only-in-writer")
	if _, _, code := e.run("podunit", "exec", "shared", "-c", "reader", "--", "ls", "/only-in-writer"); code == 0 {
		t.Fatal("containers share a rootfs")
	}

	e.must("podunit", "delete", "shared")
	e.assertNoTrace("shared")
}

// TestSubPath: a subPath is made when missing, shared with the whole
// volume, and resolved inside its volume even through symlinks a container
// planted there (CVE-2017-1002101).
func TestSubPath(t *testing.T) {
	e := boot(t)
	mount := func(path, sub string) string {
		return `[{name: data, mountPath: ` + path + `, subPath: "` + sub + `"}]`
	}
	e.apply("sub", `apiVersion: v1
kind: Pod
metadata: {name: sub}
spec:
  volumes: [{name: data, emptyDir: {}}]
  initContainers:
  - name: plant
    image: `+testImage+`
    command: [sh, -c, 'echo volume > /data/marker && ln -s / /data/root && ln -s ../../../.. /data/up']
    volumeMounts: [{name: data, mountPath: /data}]
  containers:
  - name: writer
    image: `+testImage+`
    command: [sh, -c, 'echo written > /out/f; exec sleep 1000']
    volumeMounts: `+mount("/out", "logs/app")+`
  - name: root
    image: `+testImage+`
    command: [sleep, '1000']
    volumeMounts: `+mount("/r", "root")+`
  - name: up
    image: `+testImage+`
    command: [sleep, '1000']
    volumeMounts: `+mount("/u", "up")+`
  - name: whole
    image: `+testImage+`
    command: [sleep, '1000']
    volumeMounts: [{name: data, mountPath: /data}]
`)
	e.eventually(15*time.Second, "the writer's file in the whole volume", func() bool {
		out, _, _ := e.run("podunit", "exec", "sub", "-c", "whole", "--", "cat", "/data/logs/app/f")
		return out == "written\n"
	})
	// Both symlinks resolve to the volume itself, not the pod's root.
	for c, dir := range map[string]string{"root": "/r", "up": "/u"} {
		if out := e.must("podunit", "exec", "sub", "-c", c, "--", "cat", dir+"/marker"); out != "volume\n" {
			t.Errorf("subPath through a planted symlink in %s: marker %q", c, out)
		}
		if _, _, code := e.run("podunit", "exec", "sub", "-c", c, "--", "test", "-e", dir+"/podinit"); code == 0 {
			t.Errorf("subPath in %s reaches the pod's root", c)
		}
	}
	e.must("podunit", "delete", "sub")
	e.assertNoTrace("sub")
}

// TestExecRightAfterApply: apply returns once every container runs its
// own command, so exec at once finds it (not podinit's helper still
// building it, which exec must refuse).
func TestExecRightAfterApply(t *testing.T) {
	e := boot(t)
	path := e.write("quick.yaml", bootPod("quick", "up"))
	// One shell in the host: no test-harness latency between the two.
	out := e.must("sh", "-c", "for i in 1 2 3 4 5 6 7 8; do podunit apply -f "+path+" >/dev/null && podunit exec quick -- cat /etc/hostname && podunit delete quick >/dev/null || exit 1; done")
	if want := strings.Repeat("quick\n", 8); out != want {
		t.Fatalf("exec right after apply: %q", out)
	}
}

// TestGracePeriod: SIGTERM first, SIGKILL after the grace period.
func TestGracePeriod(t *testing.T) {
	e := boot(t)
	e.apply("stubborn", `apiVersion: v1
kind: Pod
metadata: {name: stubborn}
spec:
  terminationGracePeriodSeconds: 3
  containers:
  - name: c
    image: localhost/busybox:1.35
    command: ["sh", "-c", "trap 'echo got TERM' TERM; echo trapped; while true; do sleep 0.2; done"]
  - name: polite
    image: localhost/busybox:1.35
    command: ["sleep", "1000"]
`)
	// Stop only once the shell has installed its trap.
	e.eventually(10*time.Second, "the trap", func() bool {
		out, _, _ := e.run("podunit", "logs", "stubborn", "-c", "c")
		return strings.Contains(out, "trapped")
	})
	start := time.Now()
	e.must("systemctl", "stop", "podunit-stubborn.service")
	d := time.Since(start)
	if d < 3*time.Second || d > 12*time.Second {
		t.Fatalf("stop took %s, want about the 3 s grace period\n%s", d, e.must("journalctl", "--no-pager", "-u", "podunit-stubborn.service"))
	}
	if out := e.must("podunit", "logs", "stubborn", "-c", "c"); !strings.Contains(out, "got TERM") {
		t.Fatalf("the container never saw SIGTERM: %q", out)
	}
	s := e.status("stubborn")
	if s.Status != "Stopped" {
		t.Fatalf("status after systemctl stop: %+v", s)
	}
	e.must("podunit", "delete", "stubborn")
	e.assertNoTrace("stubborn")
}

// TestRestartPolicies: a container that exits 1 is restarted under
// OnFailure (with back-off, counted) and not under Never.
func TestRestartPolicies(t *testing.T) {
	e := boot(t)
	crash := func(name, policy string) string {
		return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  annotations: {podunit.io/restart-backoff: 300ms}
spec:
  restartPolicy: %s
  containers:
  - name: crash
    image: localhost/busybox:1.35
    command: ["sh", "-c", "echo crashing; exit 1"]
  - name: steady
    image: localhost/busybox:1.35
    command: ["sleep", "1000"]
`, name, policy)
	}
	e.apply("onfailure", crash("onfailure", "OnFailure"))
	e.apply("never", crash("never", "Never"))
	e.eventually(20*time.Second, "OnFailure restarts", func() bool {
		_, restarts, _ := e.container(e.status("onfailure"), "crash")
		return restarts >= 3
	})
	s := e.status("onfailure")
	if _, _, exit := e.container(s, "crash"); exit == nil || *exit != 1 {
		t.Fatalf("OnFailure exit code: %+v", s.Containers)
	}
	if s.Restarts < 3 {
		t.Fatalf("pod restarts %d", s.Restarts)
	}
	if out := e.must("podunit", "list"); !strings.Contains(firstLineWith(out, "onfailure"), "onfailure") {
		t.Fatalf("list: %s", out)
	}
	time.Sleep(2 * time.Second)
	s = e.status("never")
	state, restarts, exit := e.container(s, "crash")
	if state != "Terminated" || restarts != 0 || exit == nil || *exit != 1 {
		t.Fatalf("Never: state %s restarts %d exit %v", state, restarts, exit)
	}
	if st, _, _ := e.container(s, "steady"); st != "Running" {
		t.Fatalf("Never: the other container stopped too: %+v", s.Containers)
	}
	e.must("podunit", "delete", "onfailure", "never")
	e.assertNoTrace("onfailure")
	e.assertNoTrace("never")

	// podinit itself dying (here: SIGKILL) restarts the whole pod unit.
	e.apply("phoenix", bootPod("phoenix", "risen"))
	leader := strings.TrimSpace(e.must("machinectl", "show", "phoenix", "-p", "Leader", "--value"))
	e.must("kill", "-9", leader)
	e.eventually(30*time.Second, "systemd to restart the pod", func() bool {
		out, _, _ := e.run("systemctl", "show", "-p", "NRestarts", "--value", "podunit-phoenix.service")
		st, _, _ := e.run("podunit", "status", "phoenix", "-o", "json")
		return strings.TrimSpace(out) == "1" && strings.Contains(st, `"status": "Running"`)
	})
	if now := strings.TrimSpace(e.must("machinectl", "show", "phoenix", "-p", "Leader", "--value")); now == leader {
		t.Fatalf("podinit after the restart has the old PID %s", now)
	}
	e.must("podunit", "delete", "phoenix")
	e.assertNoTrace("phoenix")
}

// TestConcurrentApply: two applies of the same pod at once leave exactly
// one pod, and both commands succeed.
func TestConcurrentApply(t *testing.T) {
	e := boot(t)
	path := e.write("web.yaml", webPod)
	var wg sync.WaitGroup
	outs := make([]string, 2)
	codes := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], _, codes[i] = e.run("podunit", "apply", "-f", path)
		}()
	}
	wg.Wait()
	got := []string{strings.TrimSpace(outs[0]), strings.TrimSpace(outs[1])}
	if codes[0] != 0 || codes[1] != 0 {
		t.Fatalf("concurrent applies: codes %v, out %q", codes, got)
	}
	if !(got[0] == "pod/web created" && got[1] == "pod/web unchanged") && !(got[1] == "pod/web created" && got[0] == "pod/web unchanged") {
		t.Fatalf("concurrent applies said %q", got)
	}
	if n := strings.Count(e.machinesOnHost(), "web"); n != 1 {
		t.Fatalf("%d machines named web", n)
	}
	e.must("podunit", "delete", "web")
	e.assertNoTrace("web")

	// A unit of the pod's name left running without state (a crash
	// between starting it and saving the pod) is replaced, not an error.
	e.must("systemd-run", "-q", "--unit=podunit-web.service", "sleep", "1000")
	if out := e.must("podunit", "apply", "-f", path); strings.TrimSpace(out) != "pod/web created" {
		t.Fatalf("apply over a leftover unit: %q", out)
	}
	if st := e.status("web"); st.Status != "Running" {
		t.Fatalf("pod after replacing a leftover unit: %+v", st)
	}
	e.must("podunit", "delete", "web")
	e.assertNoTrace("web")
}

// TestBadInput: every bad input fails clearly, with a non-zero exit, and
// changes nothing on the host.
func TestBadInput(t *testing.T) {
	e := boot(t)
	imagesBefore := e.must("podunit", "image", "list")
	cases := []struct {
		name, manifest string
		want           []string
	}{
		{"malformed", "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n", []string{"malformed.yaml:"}},
		{"unknown-field", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - name: a\n    image: localhost/busybox:1.35\n    colour: blue\n", []string{"unknown-field.yaml:8:5", "colour"}},
		{"unsupported", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  ephemeralContainers: []\n  containers:\n  - {name: a, image: localhost/busybox:1.35}\n", []string{"unsupported.yaml:5:3", "spec.ephemeralContainers", "not supported"}},
		{"duplicate", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - {name: a, image: localhost/busybox:1.35}\n  - {name: a, image: localhost/busybox:1.35}\n", []string{"duplicate.yaml:7", "spec.containers[1].name", "duplicate"}},
		{"bad-name", "apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nspec:\n  containers:\n  - {name: a, image: localhost/busybox:1.35}\n", []string{"bad-name.yaml:3", "metadata.name"}},
		{"missing-image", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - {name: a, image: localhost/nothere:1}\n", []string{"localhost/nothere:1", "missing-image.yaml:1", "podunit image load"}},
		{"no-volume", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - name: a\n    image: localhost/busybox:1.35\n    volumeMounts: [{name: data, mountPath: /data}]\n", []string{"no-volume.yaml:8", `volume "data" not found`}},
		{"unit-fails", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  volumes: [{name: h, hostPath: {path: /nonexistent/dir}}]\n  containers:\n  - {name: a, image: localhost/busybox:1.35}\n", []string{"job failed", "/nonexistent/dir does not exist"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errOut := e.fails("podunit", "apply", "-f", e.write(c.name+".yaml", c.manifest))
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("error lacks %q:\n%s", w, errOut)
				}
			}
			e.assertUnchanged(imagesBefore)
		})
	}

	t.Run("hostile-archive", func(t *testing.T) {
		for _, name := range hostileArchives(t, e.h.Scratch()) {
			errOut := e.fails("podunit", "image", "load", "/scratch/"+name)
			if !strings.Contains(errOut, "sha256:") {
				t.Errorf("%s: error does not name the layer digest: %s", name, errOut)
			}
			if _, err := os.Stat(filepath.Join(e.h.Root(), "escaped")); err == nil {
				t.Fatalf("%s wrote outside the layer", name)
			}
		}
		e.assertUnchanged(imagesBefore)
	})
}

// assertUnchanged: no pod, unit or machine exists and the images are the
// ones loaded at boot.
func (e *env) assertUnchanged(imagesBefore string) {
	e.t.Helper()
	if p := e.podsOnHost(); len(p) != 0 {
		e.t.Errorf("pod state left: %v", p)
	}
	if u := e.unitsOnHost(); u != "" {
		e.t.Errorf("units left: %s", u)
	}
	if m := e.machinesOnHost(); m != "" {
		e.t.Errorf("machines left: %s", m)
	}
	if after := e.must("podunit", "image", "list"); after != imagesBefore {
		e.t.Errorf("images changed:\n%s\n→\n%s", imagesBefore, after)
	}
}

// TestInfoAndCLI covers info, version and completion.
func TestInfoAndCLI(t *testing.T) {
	e := boot(t)
	out := e.must("podunit", "info")
	for _, want := range []string{"systemd", "252", "machined", "reachable", "cgroups", "hybrid", "nspawn", "/usr/bin/systemd-nspawn", "selinux", "disabled", "kvm", "cni"} {
		if !strings.Contains(out, want) {
			t.Errorf("info lacks %q:\n%s", want, out)
		}
	}
	// A problem is named with its fix; only what pods cannot run without
	// fails the command (without CNI, hostNetwork pods still run).
	e.must("mv", "/usr/lib/cni/firewall", "/usr/lib/cni/firewall.away")
	out, _, code := e.run("podunit", "info")
	e.must("mv", "/usr/lib/cni/firewall.away", "/usr/lib/cni/firewall")
	if code != 0 || !strings.Contains(out, "missing firewall") || !strings.Contains(out, "fix: apt-get install containernetworking-plugins") {
		t.Errorf("info with a CNI plugin missing: exit %d\n%s", code, out)
	}
	e.must("sh", "-c", "systemctl mask --runtime systemd-machined && systemctl stop systemd-machined")
	out, errOut, code := e.run("podunit", "info")
	e.must("sh", "-c", "systemctl unmask --runtime systemd-machined && systemctl start systemd-machined")
	if code == 0 || !regexp.MustCompile(`machined\s+MISSING`).MatchString(out) || !strings.Contains(out, "fix: ") || !strings.Contains(errOut, "cannot run pods") {
		t.Errorf("info without machined: exit %d\n%s%s", code, out, errOut)
	}
	var checks []map[string]any
	if err := json.Unmarshal([]byte(e.must("podunit", "info", "-o", "json")), &checks); err != nil || len(checks) < 5 {
		t.Fatalf("info -o json: %v", err)
	}
	if out := e.must("podunit", "version"); !strings.HasPrefix(out, "podunit ") || strings.HasPrefix(out, "podunit devel\n") {
		t.Fatalf("version: want the stamp make build passes, got %q", out)
	}
	var build struct{ Version, Commit, GoVersion string }
	if err := json.Unmarshal([]byte(e.must("podunit", "version", "-o", "json")), &build); err != nil || len(build.Commit) != 40 || build.GoVersion == "" {
		t.Fatalf("version -o json: %+v %v", build, err)
	}
	// Root-only verbs say so before they touch anything.
	for _, args := range [][]string{{"apply", "-f", "/nonexistent.yaml"}, {"image", "pull", "x"}, {"gc"}} {
		_, errOut, code := e.run(append([]string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "podunit"}, args...)...)
		if code == 0 || !strings.Contains(errOut, "needs root") {
			t.Errorf("podunit %s as nobody: exit %d, %q", args[0], code, errOut)
		}
	}
	if out := e.must("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "podunit", "version"); !strings.HasPrefix(out, "podunit ") {
		t.Errorf("version as nobody: %q", out)
	}
	if out := e.must("podunit", "completion", "bash"); !strings.Contains(out, "__start_podunit") {
		t.Fatalf("completion bash: %.200s", out)
	}
}

func firstLineWith(text, word string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), word) {
			return l
		}
	}
	return ""
}

// TestGCIsolation: a pod whose state vanished without a delete (a crash,
// a hand-removed directory) still holds its user namespace range until
// `podunit gc` frees it; a running pod's range is never touched.
func TestGCIsolation(t *testing.T) {
	e := boot(t)
	e.apply("keep", strings.Replace(webPod, "name: web", "name: keep", 1))
	e.apply("lost", strings.Replace(webPod, "name: web", "name: lost", 1))
	ranges := func() string { return e.must("cat", "/var/lib/podunit/userns/ranges.json") }
	if r := ranges(); !strings.Contains(r, `"keep"`) || !strings.Contains(r, `"lost"`) {
		t.Fatalf("ranges before: %s", r)
	}
	e.must("sh", "-c", "systemctl stop podunit-lost.service && rm -rf /var/lib/podunit/pods/lost")
	out := e.must("podunit", "gc")
	if !strings.Contains(out, "released user namespace range of vanished pod lost") {
		t.Fatalf("gc: %s", out)
	}
	if r := ranges(); strings.Contains(r, `"lost"`) || !strings.Contains(r, `"keep"`) {
		t.Fatalf("ranges after gc: %s", r)
	}
	e.must("podunit", "delete", "keep")
	if r := ranges(); strings.Contains(r, `"keep"`) {
		t.Fatalf("delete left the range: %s", r)
	}
}
