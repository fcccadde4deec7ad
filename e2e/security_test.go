package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// containerd's default capability set: CHOWN DAC_OVERRIDE FOWNER FSETID
// KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD
// AUDIT_WRITE SETFCAP.
const (
	defaultCaps = "00000000a80425fb"
	noCaps      = "0000000000000000"
)

// containerStatus waits for a container that prints its
// /proc/self/status when it starts, and returns what it printed.
func (e *env) containerStatus(pod, container string) string {
	e.t.Helper()
	var out string
	e.eventually(20*time.Second, container+"'s status in its log", func() bool {
		out, _, _ = e.run("podunit", "logs", pod, "-c", container)
		return strings.Contains(out, "Seccomp:")
	})
	return out
}

// hostFilters counts the seccomp filters a service of the test host
// inherits (the nspawn that runs the test host installs some; a real host
// has none).
func (e *env) hostFilters() int {
	e.t.Helper()
	n, err := strconv.Atoi(statusField(e.must("systemd-run", "-q", "--wait", "--pipe", "cat", "/proc/self/status"), "Seccomp_filters"))
	if err != nil {
		e.t.Fatalf("host's seccomp filters: %v", err)
	}
	return n
}

// execFromService runs podunit exec from a transient service, so that the
// exec'd command starts from what a service of the host has, as the
// pod's container does (test commands enter the host from outside).
func (e *env) execFromService(pod string, args ...string) string {
	e.t.Helper()
	if len(args) > 0 && args[0] != "-c" {
		args = append([]string{"--"}, args...)
	}
	return e.must(append([]string{"systemd-run", "-q", "--wait", "--pipe", "podunit", "exec", pod}, args...)...)
}

func checkStatus(t *testing.T, who, status string, want map[string]string) {
	t.Helper()
	for f, w := range want {
		if got := statusField(status, f); got != w {
			t.Errorf("%s %s: %q, want %q", who, f, got, w)
		}
	}
}

// statusField reads one field of a /proc/<pid>/status text.
func statusField(status, field string) string {
	for _, line := range strings.Split(status, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == field {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// TestSecurityDefaults: a pod that asks for nothing runs in a user
// namespace, with containerd's capabilities, RuntimeDefault seccomp and
// runc's masked and read-only paths; `podunit exec` gets exactly the same
// (the rkt enter CVEs, each shown closed).
func TestSecurityDefaults(t *testing.T) {
	e := boot(t)
	e.dumpOnFailure("plain")
	e.apply("plain", `apiVersion: v1
kind: Pod
metadata: {name: plain}
spec:
  volumes: [{name: data, emptyDir: {}}]
  containers:
  - name: app
    image: `+testImage+`
    command: [sh, -c, 'cat /proc/self/status; touch /data/by-root; exec sleep 1000']
    volumeMounts: [{name: data, mountPath: /data}]
`)
	status := e.containerStatus("plain", "app")
	want := map[string]string{"CapBnd": defaultCaps, "CapEff": defaultCaps, "CapPrm": defaultCaps,
		"CapInh": noCaps, "CapAmb": noCaps, "Seccomp": "2", "NoNewPrivs": "0"}
	checkStatus(t, "container", status, want)

	t.Run("seccomp RuntimeDefault", func(t *testing.T) {
		// unshare(CLONE_NEWUSER) needs no capability: only the filter
		// refuses it (TestSecurityContext shows it working unconfined).
		_, errOut, code := e.run("podunit", "exec", "plain", "--", "busybox", "unshare", "-U", "true")
		if code == 0 || !strings.Contains(errOut, "Operation not permitted") {
			t.Fatalf("unshare -U under RuntimeDefault: exit %d, %q; want EPERM", code, errOut)
		}
	})
	t.Run("masked and read-only paths", func(t *testing.T) {
		// Those of runc's masked paths this kernel has.
		for _, p := range []string{"/proc/keys", "/proc/timer_list", "/proc/interrupts", "/proc/kcore"} {
			if _, _, code := e.run("test", "-e", p); code != 0 {
				t.Logf("%s: not on this kernel", p)
				continue
			}
			if out := e.must("podunit", "exec", "plain", "--", "sh", "-c", "test -c "+p+" && wc -c < "+p); strings.TrimSpace(out) != "0" {
				t.Errorf("%s is not masked with /dev/null: %q", p, out)
			}
		}
		for _, d := range []string{"/sys/firmware", "/proc/acpi"} {
			if out := e.must("podunit", "exec", "plain", "--", "sh", "-c", "ls -A "+d+" | wc -l"); strings.TrimSpace(out) != "0" {
				t.Errorf("%s is not masked: %q", d, out)
			}
		}
		mounts := e.must("podunit", "exec", "plain", "--", "cat", "/proc/self/mounts")
		for _, p := range []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys"} {
			if !regexp.MustCompile(`(?m)^\S+ ` + p + ` \S+ ro,`).MatchString(mounts) {
				t.Errorf("%s is not mounted read-only:\n%s", p, mounts)
			}
		}
		_, errOut, code := e.run("podunit", "exec", "plain", "--", "sh", "-c", "echo x > /proc/sys/kernel/domainname")
		if code == 0 || !strings.Contains(errOut, "Read-only file system") {
			t.Errorf("write to /proc/sys: exit %d %q, want read-only", code, errOut)
		}
		// A write here would reach the host's kernel (s = sync, harmless
		// were it to get through).
		if _, errOut, code := e.run("podunit", "exec", "plain", "--", "sh", "-c", "echo s > /proc/sysrq-trigger"); code == 0 {
			t.Errorf("write to /proc/sysrq-trigger succeeded: %q", errOut)
		}
	})
	t.Run("user namespace", func(t *testing.T) {
		// Root in the container is an unprivileged, high uid on the host.
		hostStatus := e.must("cat", "/proc/"+e.hostPIDOf("sleep 1000")+"/status")
		uid, _ := strconv.ParseUint(strings.Fields(statusField(hostStatus, "Uid"))[0], 10, 32)
		if uid < 0x20000000 {
			t.Fatalf("container root is uid %d on the host, want a private range", uid)
		}
		owner := strings.TrimSpace(e.must("stat", "-c", "%u", "/var/lib/podunit/pods/plain/run/volumes/data/by-root"))
		if owner != strconv.FormatUint(uid, 10) {
			t.Fatalf("file created by container root is owned by %s on the host, want %d", owner, uid)
		}
		if out := e.must("podunit", "exec", "plain", "--", "id"); !strings.HasPrefix(out, "uid=0(root) gid=0(root)") {
			t.Fatalf("exec id: %q", out)
		}
		// exec's root is the same unprivileged host uid.
		p, err := e.h.StartProcess(t.Context(), "podunit", "exec", "plain", "--", "sleep", "999")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Kill()
		execStatus := e.must("cat", "/proc/"+e.hostPIDOf("sleep 999")+"/status")
		if got := strings.Fields(statusField(execStatus, "Uid"))[0]; got != strconv.FormatUint(uid, 10) {
			t.Fatalf("exec'd root is uid %s on the host, want %d", got, uid)
		}
		// The image's files keep their owners inside (idmapped layers),
		// while the layer on disk is still owned by the host's root.
		if out := e.must("podunit", "exec", "plain", "--", "stat", "-c", "%u:%g", "/bin/busybox"); out != "0:0\n" {
			t.Fatalf("image file owner inside the container: %q", out)
		}
		// No chown'd copy: the store's one layer is the host root's.
		layers := e.must("sh", "-c", "stat -c %u:%g /var/lib/podunit/images/layers/*/diff/bin/busybox")
		if layers != "0:0\n" {
			t.Fatalf("busybox in the image store: %q, want one layer owned by 0:0", layers)
		}
	})
	t.Run("CVE-2019-10144 exec capabilities", func(t *testing.T) {
		checkStatus(t, "exec", e.must("podunit", "exec", "plain", "--", "cat", "/proc/self/status"), want)
	})
	t.Run("CVE-2019-10145 exec seccomp", func(t *testing.T) {
		st := e.must("podunit", "exec", "plain", "--", "cat", "/proc/self/status")
		if statusField(st, "Seccomp") != "2" {
			t.Fatalf("exec'd process is not filtered:\n%s", st)
		}
		// The same filters, not merely some: the container is not
		// filtered by more (nspawn's own filter) than what exec carries.
		base := e.hostFilters()
		x := statusField(e.execFromService("plain", "cat", "/proc/self/status"), "Seccomp_filters")
		if c := statusField(status, "Seccomp_filters"); c != fmt.Sprint(base+1) || x != c {
			t.Fatalf("seccomp filters: container %q, exec %q; want the host's %d + 1 each", c, x, base)
		}
		_, errOut, code := e.run("podunit", "exec", "plain", "--", "busybox", "unshare", "-U", "true")
		if code == 0 || !strings.Contains(errOut, "Operation not permitted") {
			t.Fatalf("denied syscall in exec: exit %d %q", code, errOut)
		}
	})
	t.Run("CVE-2019-10147 exec cgroup and namespaces", func(t *testing.T) {
		p, err := e.h.StartProcess(t.Context(), "podunit", "exec", "plain", "--", "sleep", "998")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Kill()
		execPID, ctrPID := e.hostPIDOf("sleep 998"), e.hostPIDOf("sleep 1000")
		if cg := e.must("cat", "/proc/"+execPID+"/cgroup"); !strings.Contains(cg, "/machine.slice/podunit-plain.service/payload") {
			t.Errorf("exec'd process is outside the pod's cgroup:\n%s", cg)
		}
		for _, ns := range []string{"user", "mnt", "pid", "net", "ipc", "uts", "cgroup"} {
			a := e.must("readlink", "/proc/"+execPID+"/ns/"+ns)
			b := e.must("readlink", "/proc/"+ctrPID+"/ns/"+ns)
			if a != b {
				t.Errorf("%s namespace: exec'd %s, container %s", ns, a, b)
			}
		}
	})
	t.Run("info", func(t *testing.T) {
		out := e.must("podunit", "info")
		for _, want := range []string{"pods run without SELinux labels", "pods get a private range of 65536 uids"} {
			if !strings.Contains(out, want) {
				t.Errorf("info lacks %q:\n%s", want, out)
			}
		}
	})
	e.must("podunit", "delete", "plain")
	e.assertNoTrace("plain")
	// Delete released the pod's allocations.
	if out, _, _ := e.run("cat", "/var/lib/podunit/userns/ranges.json"); strings.Contains(out, `"plain"`) {
		t.Errorf("deleted pod keeps its uid range: %s", out)
	}
}

// hostPIDOf finds the host pid of a process in the test host by its
// command line.
func (e *env) hostPIDOf(cmdline string) string {
	e.t.Helper()
	var pid string
	e.eventually(10*time.Second, "process "+cmdline, func() bool {
		out, _, _ := e.run("pgrep", "-f", "-x", cmdline)
		pid = strings.TrimSpace(out)
		return pid != "" && !strings.Contains(pid, "\n")
	})
	return pid
}

// dumpOnFailure logs the pod's journal if the test fails.
func (e *env) dumpOnFailure(pod string) {
	e.t.Cleanup(func() {
		if e.t.Failed() {
			out, _, _ := e.run("journalctl", "--no-pager", "-n", "40", "-u", "podunit-"+pod+".service")
			e.t.Logf("journal of %s:\n%s", pod, out)
		}
	})
}

// TestSecurityContext: each securityContext field, checked from inside
// the container and in commands exec'd into it.
func TestSecurityContext(t *testing.T) {
	e := boot(t)
	e.dumpOnFailure("sc")
	e.must("mkdir", "-p", "/var/lib/podunit/seccomp/profiles")
	e.must("cp", e.write("deny-mkdir.json", `{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]
}`), "/var/lib/podunit/seccomp/profiles/deny-mkdir.json")
	const show = `[sh, -c, 'cat /proc/self/status; id; exec sleep 1000']`
	e.apply("sc", `apiVersion: v1
kind: Pod
metadata: {name: sc}
spec:
  securityContext:
    supplementalGroups: [4000]
    fsGroup: 2000
  volumes: [{name: data, emptyDir: {}}]
  containers:
  - name: nonroot
    image: `+testImage+`
    command: `+show+`
    volumeMounts: [{name: data, mountPath: /data}]
    securityContext:
      runAsUser: 1000
      runAsGroup: 3000
      runAsNonRoot: true
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
  - name: caps
    image: `+testImage+`
    command: `+show+`
    securityContext:
      capabilities: {add: [NET_ADMIN, SYS_TIME], drop: [CHOWN]}
  - name: unconfined
    image: `+testImage+`
    command: `+show+`
    securityContext:
      seccompProfile: {type: Unconfined}
  - name: localhost
    image: `+testImage+`
    command: `+show+`
    securityContext:
      seccompProfile: {type: Localhost, localhostProfile: profiles/deny-mkdir.json}
`)
	t.Run("runAsUser runAsGroup supplementalGroups fsGroup", func(t *testing.T) {
		var st string
		e.eventually(10*time.Second, "id in nonroot's log", func() bool {
			st, _, _ = e.run("podunit", "logs", "sc", "-c", "nonroot")
			return strings.Contains(st, "uid=")
		})
		// The image names uid 1000 "app".
		id := regexp.MustCompile(`uid=1000(\(app\))? gid=3000 groups=2000,4000\n`)
		if !id.MatchString(st) {
			t.Fatalf("container id:\n%s", st)
		}
		if out := e.must("podunit", "exec", "sc", "-c", "nonroot", "--", "id"); !id.MatchString(out) {
			t.Fatalf("exec id: %q", out)
		}
		// fsGroup owns the emptyDir, setgid: new files get its group.
		out := e.must("podunit", "exec", "sc", "-c", "nonroot", "--", "sh", "-c", "touch /data/f && stat -c '%g %A' /data/f /data")
		if !strings.HasPrefix(out, "2000 -") || !strings.Contains(out, "2000 drwxrwsrwx") {
			t.Fatalf("fsGroup on the emptyDir: %q", out)
		}
	})
	t.Run("capabilities of a non-root user", func(t *testing.T) {
		// Bounding set: only NET_BIND_SERVICE; a non-root user has no
		// effective capabilities (containerd: no ambient set).
		want := map[string]string{"CapBnd": "0000000000000400", "CapEff": noCaps, "CapPrm": noCaps, "CapAmb": noCaps, "NoNewPrivs": "1"}
		checkStatus(t, "container", e.containerStatus("sc", "nonroot"), want)
		checkStatus(t, "exec", e.must("podunit", "exec", "sc", "-c", "nonroot", "--", "cat", "/proc/self/status"), want)
	})
	t.Run("readOnlyRootFilesystem", func(t *testing.T) {
		_, errOut, code := e.run("podunit", "exec", "sc", "-c", "nonroot", "--", "touch", "/tmp/x")
		if code == 0 || !strings.Contains(errOut, "Read-only file system") {
			t.Fatalf("write to the root: exit %d %q", code, errOut)
		}
		e.must("podunit", "exec", "sc", "-c", "nonroot", "--", "touch", "/data/writable")
	})
	t.Run("capabilities add and drop", func(t *testing.T) {
		// default - CHOWN + NET_ADMIN (12) + SYS_TIME (25)
		want := map[string]string{"CapBnd": "00000000aa0435fa", "CapEff": "00000000aa0435fa"}
		checkStatus(t, "container", e.containerStatus("sc", "caps"), want)
		checkStatus(t, "exec", e.must("podunit", "exec", "sc", "-c", "caps", "--", "cat", "/proc/self/status"), want)
		_, errOut, code := e.run("podunit", "exec", "sc", "-c", "caps", "--", "sh", "-c", "touch /tmp/f && chown 5 /tmp/f")
		if code == 0 || !strings.Contains(errOut, "Operation not permitted") {
			t.Fatalf("chown without CAP_CHOWN: exit %d %q", code, errOut)
		}
		// NET_ADMIN works: the pod's loopback can be configured.
		e.must("podunit", "exec", "sc", "-c", "caps", "--", "ip", "link", "set", "lo", "up")
	})
	t.Run("seccomp Unconfined", func(t *testing.T) {
		// Unconfined adds no filter to what the host's services have, in
		// the container and in exec.
		base := fmt.Sprint(e.hostFilters())
		checkStatus(t, "unconfined container", e.containerStatus("sc", "unconfined"), map[string]string{"Seccomp_filters": base})
		checkStatus(t, "exec into unconfined", e.execFromService("sc", "-c", "unconfined", "--", "cat", "/proc/self/status"), map[string]string{"Seccomp_filters": base})
		e.must("podunit", "exec", "sc", "-c", "unconfined", "--", "busybox", "unshare", "-U", "true")
	})
	t.Run("seccomp Localhost", func(t *testing.T) {
		e.containerStatus("sc", "localhost")
		_, errOut, code := e.run("podunit", "exec", "sc", "-c", "localhost", "--", "mkdir", "/tmp/d")
		if code == 0 || !strings.Contains(errOut, "Permission denied") {
			t.Fatalf("mkdir under a profile denying it with EACCES: exit %d %q", code, errOut)
		}
		// Not RuntimeDefault: unshare is allowed by this profile.
		e.must("podunit", "exec", "sc", "-c", "localhost", "--", "busybox", "unshare", "-U", "true")
	})
	e.must("podunit", "delete", "sc")
	e.assertNoTrace("sc")

	t.Run("privileged", func(t *testing.T) {
		e.dumpOnFailure("priv")
		e.apply("priv", `apiVersion: v1
kind: Pod
metadata: {name: priv}
spec:
  containers:
  - name: c
    image: `+testImage+`
    command: `+show+`
    securityContext: {privileged: true}
`)
		st := e.containerStatus("priv", "c")
		if bnd := statusField(st, "CapBnd"); bnd == defaultCaps || !strings.HasSuffix(bnd, "ffffffff") {
			t.Errorf("privileged CapBnd %s, want every capability", bnd)
		}
		if _, _, code := e.run("podunit", "exec", "priv", "--", "test", "-c", "/proc/timer_list"); code == 0 {
			t.Error("privileged container has masked paths")
		}

		e.must("podunit", "exec", "priv", "--", "busybox", "unshare", "-U", "true")
		e.must("podunit", "delete", "priv")
	})
	t.Run("hostUsers", func(t *testing.T) {
		e.dumpOnFailure("hu")
		e.apply("hu", `apiVersion: v1
kind: Pod
metadata: {name: hu}
spec:
  hostUsers: true
  containers:
  - {name: c, image: `+testImage+`, command: [sleep, "997"]}
`)
		st := e.must("cat", "/proc/"+e.hostPIDOf("sleep 997")+"/status")
		if uid := strings.Fields(statusField(st, "Uid"))[0]; uid != "0" {
			t.Errorf("hostUsers: true runs as host uid %s, want 0", uid)
		}
		e.must("podunit", "delete", "hu")
	})
}

// TestSecurityBadInput: bad securityContext values fail the apply with the
// file, line and field, and leave nothing behind.
func TestSecurityBadInput(t *testing.T) {
	e := boot(t)
	e.must("mkdir", "-p", "/var/lib/podunit/seccomp")
	e.must("cp", e.write("broken.json", "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [\n}\n"), "/var/lib/podunit/seccomp/broken.json")
	pod := func(sc string) string {
		return `apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  containers:
  - name: c
    image: ` + testImage + `
    command: [sleep, "1000"]
    securityContext:
` + sc
	}
	cases := []struct{ name, sc, want string }{
		{"unknown capability", "      capabilities: {add: [NET_ADMINN]}\n", `bad1.yaml:10:28: spec.containers[0].securityContext.capabilities.add[0]: unknown capability "NET_ADMINN"`},
		{"malformed seccomp JSON", "      seccompProfile: {type: Localhost, localhostProfile: broken.json}\n", `spec.containers[0]: securityContext.seccompProfile.localhostProfile: /var/lib/podunit/seccomp/broken.json: line 4, column 1: invalid character '}'`},
		{"missing seccomp profile", "      seccompProfile: {type: Localhost, localhostProfile: nope.json}\n", "nope.json: no such file or directory"},
		{"seccomp type", "      seccompProfile: {type: Strict}\n", `spec.containers[0].securityContext.seccompProfile.type: unsupported value "Strict"`},
		{"runAsUser", "      runAsUser: -1\n", "spec.containers[0].securityContext.runAsUser: invalid value -1"},
		{"runAsNonRoot with a root image", "      runAsNonRoot: true\n", `securityContext.runAsNonRoot: the image runs as root (user "")`},
		{"no_new_privs and privileged", "      privileged: true\n      allowPrivilegeEscalation: false\n", "allowPrivilegeEscalation: cannot be false when privileged is true"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := e.write(fmt.Sprintf("bad%d.yaml", i+1), pod(c.sc))
			errOut := e.fails("podunit", "apply", "-f", file)
			if !strings.Contains(errOut, c.want) {
				t.Fatalf("error:\n%s\nwant it to contain %q", errOut, c.want)
			}
			e.assertNoTrace("bad")
			if out, _, _ := e.run("cat", "/var/lib/podunit/userns/ranges.json"); strings.Contains(out, `"bad"`) {
				t.Fatalf("failed apply kept a user namespace range: %s", out)
			}
		})
	}
}
