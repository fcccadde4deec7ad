package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/podunit/podunit/e2e/testhost"
)

// bootVM boots a VM test host with podunit and the test image in it.
func bootVM(t *testing.T) *env {
	t.Helper()
	vm := testhost.BootVM(t, testhost.WithBinary(testhost.Binary(t)), testhost.WithSELinux(testhost.SELinuxMode(os.Getenv("VMSEL"))))
	return withTestImage(&env{t: t, r: vm})
}

// TestVMHost runs what only the VM test host can show, on one boot (TCG
// makes boots the expensive part): cgroup v2 with every controller, so
// limits are really enforced, and SELinux enforcing.
func TestVMHost(t *testing.T) {
	e := bootVM(t)
	t.Cleanup(func() {
		if t.Failed() {
			out, _, _ := e.run("sh", "-c", "dmesg | grep 'avc: ' | tail -40")
			t.Logf("SELinux denials:\n%s", out)
		}
	})

	t.Run("host", func(t *testing.T) {
		e := e.sub(t)
		if got := strings.TrimSpace(e.must("stat", "-fc", "%T", "/sys/fs/cgroup")); got != "cgroup2fs" {
			t.Errorf("/sys/fs/cgroup is %s, want cgroup2fs", got)
		}
		// Available at the root; systemd enables each below it as
		// units ask for it.
		ctrl := strings.Fields(e.must("cat", "/sys/fs/cgroup/cgroup.controllers"))
		for _, want := range []string{"cpu", "memory", "pids"} {
			if !contains(ctrl, want) {
				t.Errorf("root cgroup has controllers %v, want %s among them", ctrl, want)
			}
		}
		if got := strings.TrimSpace(e.must("getenforce")); got != "Enforcing" {
			t.Errorf("getenforce = %s", got)
		}
		blame, _, _ := e.run("sh", "-c", "systemd-analyze; systemd-analyze blame | head -8")
		t.Logf("boot under TCG:\n%s", blame)
	})

	t.Run("memory limit", func(t *testing.T) {
		e := e.sub(t)
		// The small allocation fits, the large one is OOM-killed: the
		// pair shows the limit, not some other failure, stops it.
		e.apply("mem", `apiVersion: v1
kind: Pod
metadata: {name: mem}
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: `+testImage+`
    command: ["sh", "-c"]
    args:
    - |
      head -c 8m /dev/zero | tail > /dev/null; echo "small rc=$?"
      head -c 64m /dev/zero | tail > /dev/null; echo "large rc=$?"
      sleep 3600
    resources:
      limits: {memory: 32Mi}
`)
		cg := e.cgroup("mem")
		if got := strings.TrimSpace(e.must("cat", cg+"/memory.max")); got != strconv.Itoa(32<<20) {
			t.Errorf("%s/memory.max = %s, want %d", cg, got, 32<<20)
		}
		e.eventually(2*time.Minute, "both allocations to finish", func() bool {
			out, _, _ := e.run("podunit", "logs", "mem")
			return strings.Contains(out, "large rc=")
		})
		logs := e.must("podunit", "logs", "mem")
		if !strings.Contains(logs, "small rc=0") || !strings.Contains(logs, "large rc=137") {
			t.Errorf("want the 8m allocation to pass and the 64m one to be killed (rc 137):\n%s", logs)
		}
		if n := e.memoryEvent(cg, "oom_kill"); n < 1 {
			t.Errorf("%s/memory.events: oom_kill %d, want at least 1", cg, n)
		}
		e.must("podunit", "delete", "mem")
	})

	t.Run("per-container memory limit", func(t *testing.T) {
		e := e.sub(t)
		// hog is limited, its sibling is not: the pod's unit then has no
		// limit, and only hog's own cgroup can stop it.
		alloc := `head -c 64m /dev/zero | tail > /dev/null; echo "large rc=$?"; exec sleep 3600`
		e.apply("mixed", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: mixed}
spec:
  containers:
  - name: hog
    image: %[1]s
    command: ["sh", "-c", %[2]q]
    resources:
      limits: {memory: 32Mi}
  - name: free
    image: %[1]s
    command: ["sh", "-c", %[2]q]
`, testImage, alloc))
		cg := e.cgroup("mixed")
		if got := strings.TrimSpace(e.must("cat", cg+"/memory.max")); got != "max" {
			t.Errorf("pod unit's memory.max = %s, want max (a container has no limit)", got)
		}
		hog := strings.TrimSpace(e.must("sh", "-c", "cat $(find "+cg+" -path '*/hog/memory.max')"))
		if hog != strconv.Itoa(32<<20) {
			t.Errorf("hog's own cgroup has memory.max %q, want %d", hog, 32<<20)
		}
		for _, c := range []string{"hog", "free"} {
			e.eventually(2*time.Minute, c+"'s allocation to finish", func() bool {
				out, _, _ := e.run("podunit", "logs", "mixed", "-c", c)
				return strings.Contains(out, "large rc=")
			})
		}
		if out := e.must("podunit", "logs", "mixed", "-c", "hog"); !strings.Contains(out, "large rc=137") {
			t.Errorf("hog's 64m allocation was not killed by its 32Mi limit:\n%s", out)
		}
		if out := e.must("podunit", "logs", "mixed", "-c", "free"); !strings.Contains(out, "large rc=0") {
			t.Errorf("free's 64m allocation failed without a limit:\n%s", out)
		}
		e.must("podunit", "delete", "mixed")
	})

	t.Run("container OOMKilled and CPU limit", func(t *testing.T) {
		e := e.sub(t)
		// A container whose own process goes over its own limit ends
		// OOMKilled, as under the kubelet, beside a sibling without one;
		// its CPU limit is its own cgroup's cpu.max.
		e.apply("pair", `apiVersion: v1
kind: Pod
metadata: {name: pair}
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: `+testImage+`
    command: ["tail", "/dev/zero"]
    resources:
      limits: {memory: 24Mi, cpu: 300m}
  - name: free
    image: `+testImage+`
    command: ["sleep", "3600"]
`)
		cg := e.cgroup("pair")
		if got := strings.TrimSpace(e.must("cat", cg+"/memory.max")); got != "max" {
			t.Errorf("the pod's memory.max = %s, want max (a container has no limit)", got)
		}
		hog := strings.TrimSpace(e.must("find", cg, "-maxdepth", "3", "-type", "d", "-name", "hog"))
		if hog == "" {
			out, _, _ := e.run("sh", "-c", "ls -R "+cg+" | head -50; cat "+cg+"/cgroup.subtree_control "+cg+"/*/cgroup.controllers; journalctl -u podunit-pair.service --no-pager | tail -20")
			e.must("podunit", "delete", "pair")
			t.Fatalf("no cgroup of container hog under %s:\n%s", cg, out)
		}
		for file, want := range map[string]string{"memory.max": strconv.Itoa(24 << 20), "cpu.max": "30000 100000"} {
			if got := strings.TrimSpace(e.must("cat", hog+"/"+file)); got != want {
				t.Errorf("%s/%s = %s, want %s", hog, file, got, want)
			}
		}
		var last string
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("last status:\n%s", last)
			}
		})
		e.eventually(2*time.Minute, "hog OOM-killed", func() bool {
			out, errOut, _ := e.run("podunit", "status", "pair", "-o", "json")
			last = out + errOut
			return strings.Contains(out, `"OOMKilled"`)
		})
		if n := e.memoryEvent(hog, "oom_kill"); n < 1 {
			t.Errorf("%s/memory.events: oom_kill %d, want at least 1", hog, n)
		}
		// The sibling lives on, in a cgroup of its own.
		free := strings.TrimSpace(e.must("sh", "-c", "cat $(find "+cg+" -path '*/free/cgroup.procs')"))
		if free == "" {
			t.Errorf("container free's cgroup holds no process")
		}
		// status reads each container's use from its cgroup.
		var st struct {
			Containers []struct {
				Name  string
				Usage *struct{ MemoryBytes, CPUUsec int64 }
			}
		}
		if err := json.Unmarshal([]byte(e.must("podunit", "status", "pair", "-o", "json")), &st); err != nil {
			t.Fatal(err)
		}
		for _, c := range st.Containers {
			if c.Name == "free" && (c.Usage == nil || c.Usage.MemoryBytes <= 0) {
				t.Errorf("status: container free's usage %+v, want its cgroup's memory", c.Usage)
			}
		}
		e.must("podunit", "delete", "pair")
	})

	t.Run("cpu limit", func(t *testing.T) {
		e := e.sub(t)
		e.apply("cpu", `apiVersion: v1
kind: Pod
metadata: {name: cpu}
spec:
  containers:
  - name: spin
    image: `+testImage+`
    command: ["sh", "-c", "while :; do :; done"]
    resources:
      limits: {cpu: 400m}
`)
		cg := e.cgroup("cpu")
		if got := strings.TrimSpace(e.must("cat", cg+"/cpu.max")); got != "40000 100000" {
			t.Errorf("%s/cpu.max = %q, want \"40000 100000\"", cg, got)
		}
		// A busy loop held to 40 % of a CPU, measured over a few
		// seconds of guest time. (The limit is the whole pod's, podinit
		// included: a lower one makes the pod slow to start under TCG.)
		out := e.must("sh", "-c", fmt.Sprintf(`u() { awk '$1=="usage_usec"{print $2}' %s/cpu.stat; }
a=$(u); t0=$(date +%%s%%N); sleep 4; b=$(u); t1=$(date +%%s%%N)
echo $(( (b-a) * 1000 / ((t1-t0)/1000) ))`, cg))
		permille, err := strconv.Atoi(strings.TrimSpace(out))
		if err != nil {
			t.Fatalf("cpu share: %q", out)
		}
		t.Logf("busy loop under a 400m limit used %d‰ of a CPU", permille)
		if permille > 460 || permille < 250 {
			t.Errorf("busy loop used %d‰ of a CPU, want about 400", permille)
		}
		e.must("podunit", "delete", "cpu")
	})

	t.Run("selinux", func(t *testing.T) {
		e := e.sub(t)
		// Pod a owns /srv/sel (relabelled to its level, Z); pod b
		// mounts the same directory and must not read a's file. File
		// modes allow it (each pod's root is another user namespace's,
		// hence the sticky world-writable directory), so only
		// SELinux's MCS rule can deny it.
		e.must("mkdir", "-m", "1777", "/srv/sel")
		e.apply("sela", sharedDirPod("sela", `{podunit.io/relabel: "data=Z"}`,
			"echo secret-of-a > /data/secret && chmod 0644 /data/secret && cat /data/secret && exec sleep 3601"))
		levelA := e.processLevel("sleep 3601")
		if !strings.Contains(levelA, ":container_t:s0:c") {
			t.Fatalf("pod a's process runs as %q, want container_t with an MCS pair", levelA)
		}
		e.eventually(time.Minute, "pod a to write its file", func() bool {
			out, _, _ := e.run("podunit", "logs", "sela")
			return strings.Contains(out, "secret-of-a")
		})
		fileLabel := strings.TrimSpace(e.must("stat", "-c", "%C", "/srv/sel/secret"))
		if want := mcs(levelA); !strings.HasSuffix(fileLabel, ":container_file_t:"+want) {
			t.Errorf("/srv/sel/secret is labelled %s, want container_file_t at pod a's level %s", fileLabel, want)
		}
		// Through a file, not stdout: a process at the pod's level
		// may not write to the caller's pipes (labelled s0-s0:c0.c1023)
		// under refpolicy's MCS constraints, so exec's output is lost
		// unless a terminal is used.
		e.must("podunit", "exec", "sela", "-c", "app", "--", "sh", "-c", "cat /proc/self/attr/current > /data/exec-context")
		if got := e.must("cat", "/srv/sel/exec-context"); mcs(got) != mcs(levelA) || !strings.Contains(got, ":container_t:") {
			t.Errorf("podunit exec into pod a runs as %q, want container_t at pod a's level %s", got, mcs(levelA))
		}

		e.apply("selb", sharedDirPod("selb", "{}",
			`cat /data/secret; echo "read rc=$?"; cat /etc/hostname >/dev/null; echo "own rc=$?"; exec sleep 3602`))
		levelB := e.processLevel("sleep 3602")
		if mcs(levelB) == mcs(levelA) || !strings.Contains(levelB, ":container_t:s0:c") {
			t.Errorf("pods a and b run as %s and %s, want distinct MCS pairs", levelA, levelB)
		}
		e.eventually(time.Minute, "pod b to try", func() bool {
			out, _, _ := e.run("podunit", "logs", "selb")
			return strings.Contains(out, "own rc=")
		})
		logs := e.must("podunit", "logs", "selb")
		if strings.Contains(logs, "secret-of-a") || strings.Contains(logs, "read rc=0") || !strings.Contains(logs, "own rc=0") {
			t.Errorf("pod b read pod a's file, or could not read its own:\n%s", logs)
		}
		avc := e.must("sh", "-c", "dmesg | grep 'avc:  denied' || true")
		if !strings.Contains(avc, "scontext=system_u:system_r:container_t:"+mcs(levelB)) || !strings.Contains(avc, "tcontext=system_u:object_r:container_file_t:"+mcs(levelA)) {
			t.Errorf("no SELinux denial of pod b (%s) on pod a's files (%s):\n%s", mcs(levelB), mcs(levelA), avc)
		}
		e.must("podunit", "delete", "selb")
		e.must("podunit", "delete", "sela")
	})

	t.Run("nothing left", func(t *testing.T) {
		e := e.sub(t)
		if u, m := e.unitsOnHost(), e.machinesOnHost(); u != "" || m != "" {
			t.Errorf("after delete: units %q, machines %q", u, m)
		}
		if out := strings.TrimSpace(e.must("sh", "-c", "ls /var/lib/podunit/pods; grep /var/lib/podunit/pods/ /proc/self/mountinfo || true")); out != "" {
			t.Errorf("pod state or mounts left after delete:\n%s", out)
		}
	})
}

// sub is e for a subtest: failures end t, not the parent test.
func (e *env) sub(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// sharedDirPod is a pod with annotations that runs script with the VM's
// /srv/sel at /data.
func sharedDirPod(name, annotations, script string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  annotations: %s
spec:
  volumes:
  - {name: data, hostPath: {path: /srv/sel, type: Directory}}
  containers:
  - name: app
    image: %s
    command: ["sh", "-c", %q]
    volumeMounts: [{name: data, mountPath: /data}]
`, name, annotations, testImage, script)
}

// processLevel is the SELinux context of the one process whose command
// line is args, as ps on the host shows it.
func (e *env) processLevel(args string) string {
	e.t.Helper()
	var label string
	e.eventually(time.Minute, "a process running "+args, func() bool {
		out, _, _ := e.run("ps", "-eo", "label=,args=")
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 1 && strings.Join(f[1:], " ") == args {
				label = f[0]
				return true
			}
		}
		return false
	})
	return label
}

// mcs is the level part (s0:cX,cY) of a context.
func mcs(context string) string {
	f := strings.SplitN(strings.TrimSpace(context), ":", 4)
	if len(f) < 4 {
		return ""
	}
	return strings.TrimRight(f[3], "\x00")
}

// cgroup is the absolute cgroupfs path of pod's unit.
func (e *env) cgroup(pod string) string {
	e.t.Helper()
	cg := strings.TrimSpace(e.must("systemctl", "show", "-P", "ControlGroup", "podunit-"+pod+".service"))
	if cg == "" {
		e.t.Fatalf("podunit-%s.service has no control group", pod)
	}
	return "/sys/fs/cgroup" + cg
}

// memoryEvent reads one counter of a cgroup's memory.events (hierarchical:
// it counts the pod's containers too).
func (e *env) memoryEvent(cg, name string) int {
	e.t.Helper()
	for _, line := range strings.Split(e.must("cat", cg+"/memory.events"), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == name {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
