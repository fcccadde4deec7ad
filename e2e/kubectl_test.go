package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// kubectlStatus is the part of `podunit status -o json` the kubectl-habit
// tests read: conditions and each container's ready and last state.
type kubectlStatus struct {
	Restarts    int     `json:"restarts"`
	LastRestart *string `json:"lastRestart"`
	Conditions  []struct {
		Type               string  `json:"type"`
		Status             string  `json:"status"`
		Reason             string  `json:"reason"`
		Message            string  `json:"message"`
		LastTransitionTime *string `json:"lastTransitionTime"`
	} `json:"conditions"`
	Containers []struct {
		Name         string `json:"name"`
		State        string `json:"state"`
		Ready        bool   `json:"ready"`
		Started      bool   `json:"started"`
		RestartCount int    `json:"restartCount"`
		LastState    *struct {
			ExitCode   int    `json:"exitCode"`
			Reason     string `json:"reason"`
			StartedAt  string `json:"startedAt"`
			FinishedAt string `json:"finishedAt"`
		} `json:"lastState"`
	} `json:"containers"`
}

func (e *env) kubectlStatus(pod string) kubectlStatus {
	e.t.Helper()
	var s kubectlStatus
	out := e.must("podunit", "status", pod, "-o", "json")
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		e.t.Fatalf("status -o json: %v\n%s", err, out)
	}
	return s
}

func (s kubectlStatus) condition(t string) string {
	for _, c := range s.Conditions {
		if c.Type == t {
			return c.Status
		}
	}
	return ""
}

// listRow is the fields of pod's row in `podunit list`.
func (e *env) listRow(pod string) []string {
	e.t.Helper()
	out := e.must("podunit", "list")
	if head := strings.Fields(strings.SplitN(out, "\n", 2)[0]); strings.Join(head, " ") != "NAME READY STATUS RESTARTS AGE" {
		e.t.Fatalf("list header:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == pod {
			return f
		}
	}
	e.t.Fatalf("list has no row for %s:\n%s", pod, out)
	return nil
}

const restarterPod = `apiVersion: v1
kind: Pod
metadata:
  name: restarter
  annotations: {podunit.io/restart-backoff: 200ms}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: data, emptyDir: {}}]
  containers:
  - name: c
    image: localhost/busybox:1.35
    volumeMounts: [{name: data, mountPath: /data}]
    # Each instance says which one it is; the first two end with code 3
    # (the first soon, the second after time enough to look at it), the
    # third stays.
    command: ["sh", "-c", "n=$(cat /data/n 2>/dev/null || echo 0); echo $((n+1)) > /data/n; echo instance $n; if [ $n -lt 2 ]; then sleep $((3 + n * 12)); exit 3; fi; sleep 1000"]
`

const pairPod = `apiVersion: v1
kind: Pod
metadata: {name: pair}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: stays
    image: localhost/busybox:1.35
    command: ["sleep", "1000"]
  - name: quits
    image: localhost/busybox:1.35
    command: ["sh", "-c", "sleep 8; exit 0"]
`

const initPod = `apiVersion: v1
kind: Pod
metadata: {name: initp}
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: setup
    image: localhost/busybox:1.35
    command: ["sleep", "6"]
  containers:
  - name: c
    image: localhost/busybox:1.35
    command: ["sleep", "1000"]
`

func TestKubectlHabits(t *testing.T) {
	e := boot(t)

	t.Run("previous and last state", func(t *testing.T) {
		e.apply("restarter", restarterPod)
		errOut := e.fails("podunit", "logs", "restarter", "--previous")
		if !strings.Contains(errOut, `previous terminated container "c" in pod "restarter" not found`) {
			t.Fatalf("--previous before a restart: %s", errOut)
		}
		var s kubectlStatus
		e.eventually(30*time.Second, "the container's first restart", func() bool {
			s = e.kubectlStatus("restarter")
			return len(s.Containers) == 1 && s.Containers[0].RestartCount == 1 && s.Containers[0].State == "Running"
		})
		c := s.Containers[0]
		if c.LastState == nil || c.LastState.ExitCode != 3 || c.LastState.Reason != "Error" || c.LastState.StartedAt == "" || c.LastState.FinishedAt == "" {
			t.Fatalf("last state after a restart: %+v", c.LastState)
		}
		if s.Restarts != 1 || s.LastRestart == nil || !c.Ready || !c.Started {
			t.Fatalf("restarts, last restart, ready, started: %+v", s)
		}
		e.eventually(10*time.Second, "the second instance's line", func() bool {
			out, _, _ := e.run("podunit", "logs", "restarter")
			return strings.Contains(out, "instance 1")
		})
		if out := e.must("podunit", "logs", "restarter", "--previous"); out != "instance 0\n" {
			t.Fatalf("logs --previous after one restart: %q", out)
		}
		if out := e.must("podunit", "logs", "restarter"); out != "instance 0\ninstance 1\n" {
			t.Fatalf("logs shows every instance of this pod: %q", out)
		}
		if f := e.listRow("restarter"); f[1] != "1/1" || f[3] != "1" || !strings.HasSuffix(f[5], "ago)") {
			t.Fatalf("list row after a restart: %q", f)
		}
		text := e.must("podunit", "status", "restarter")
		for _, want := range []string{"Last State: Terminated", "Exit Code: 3", "Restart Count: 1", "Ready: True", "Ready True"} {
			if !strings.Contains(strings.Join(strings.Fields(text), " "), strings.Join(strings.Fields(want), " ")) {
				t.Errorf("status text lacks %q:\n%s", want, text)
			}
		}
		// The second restart: the previous instance is now the second.
		e.eventually(30*time.Second, "the second restart", func() bool {
			out, _, _ := e.run("podunit", "logs", "restarter")
			return strings.Contains(out, "instance 2")
		})
		if out := e.must("podunit", "logs", "restarter", "-p"); out != "instance 1\n" {
			t.Fatalf("logs -p after two restarts: %q", out)
		}
	})

	t.Run("a pod applied again shows only its own lines", func(t *testing.T) {
		pod := func(word string) string {
			return `apiVersion: v1
kind: Pod
metadata: {name: again}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: localhost/busybox:1.35
    command: ["sh", "-c", "echo ` + word + `; sleep 1000"]
`
		}
		e.apply("again", pod("first-incarnation"))
		e.eventually(10*time.Second, "the first pod's line", func() bool {
			out, _, _ := e.run("podunit", "logs", "again")
			return strings.Contains(out, "first-incarnation")
		})
		e.must("podunit", "delete", "again")
		e.apply("again", pod("second-incarnation"))
		e.eventually(10*time.Second, "the second pod's line", func() bool {
			out, _, _ := e.run("podunit", "logs", "again")
			return strings.Contains(out, "second-incarnation")
		})
		if out := e.must("podunit", "logs", "again"); out != "second-incarnation\n" {
			t.Fatalf("logs of a pod deleted and applied again: %q", out)
		}
		// The journal itself keeps both, as it should.
		if out := e.must("journalctl", "--no-pager", "-o", "cat", "POD_NAME=again"); !strings.Contains(out, "first-incarnation") {
			t.Fatalf("the first pod's lines are gone from the journal: %q", out)
		}
		e.must("podunit", "delete", "again")
	})

	t.Run("ready column, conditions and wait", func(t *testing.T) {
		e.apply("pair", pairPod)
		if out := e.must("podunit", "wait", "--for=condition=Ready", "pod/pair", "--timeout=30s"); out != "pod/pair condition met\n" {
			t.Fatalf("wait for Ready: %q", out)
		}
		if f := e.listRow("pair"); f[1] != "2/2" || f[2] != "Running" || f[3] != "0" {
			t.Fatalf("list row of the running pair: %q", f)
		}
		s := e.kubectlStatus("pair")
		if s.condition("Initialized") != "True" || s.condition("ContainersReady") != "True" || s.condition("Ready") != "True" {
			t.Fatalf("conditions of the running pair: %+v", s.Conditions)
		}
		// quits ends after 8 s and restartPolicy Never keeps it ended.
		if out := e.must("podunit", "wait", "--for=condition=Ready=false", "pod/pair", "--timeout=30s"); out != "pod/pair condition met\n" {
			t.Fatalf("wait for Ready=false: %q", out)
		}
		if f := e.listRow("pair"); f[1] != "1/2" || f[2] != "NotReady" {
			t.Fatalf("list row with one container completed: %q", f)
		}
		s = e.kubectlStatus("pair")
		for _, c := range s.Conditions {
			if c.Type == "Ready" && (c.Status != "False" || c.Reason != "ContainersNotReady" || c.Message != "containers with unready status: [quits]" || c.LastTransitionTime == nil) {
				t.Fatalf("Ready condition with quits ended: %+v", c)
			}
		}
		start := time.Now()
		_, errOut, code := e.run("podunit", "wait", "--for=condition=Ready", "pod/pair", "--timeout=2s")
		if code != 1 || !strings.Contains(errOut, "timed out waiting for the condition on pods/pair") {
			t.Fatalf("wait that times out: exit %d, %s", code, errOut)
		}
		if d := time.Since(start); d < 2*time.Second || d > 10*time.Second {
			t.Fatalf("a 2 s wait took %s", d)
		}
		if errOut := e.fails("podunit", "wait", "--for=condition=Ready", "pod/nosuch", "--timeout=2s"); !strings.Contains(errOut, "not found") {
			t.Fatalf("wait for a pod that does not exist: %s", errOut)
		}
	})

	t.Run("initializing", func(t *testing.T) {
		// apply returns once the pod runs, after its init container: wait
		// in the meantime.
		apply, err := e.h.StartProcess(t.Context(), "podunit", "apply", "-f", e.write("initp.yaml", initPod))
		if err != nil {
			t.Fatal(err)
		}
		defer apply.Kill()
		e.eventually(20*time.Second, "Init:0/1 in list", func() bool {
			out, _, _ := e.run("podunit", "list")
			return strings.Contains(firstLineWith(out, "initp"), "Init:0/1")
		})
		if s := e.kubectlStatus("initp"); s.condition("Initialized") != "False" || s.condition("Ready") != "False" {
			t.Fatalf("conditions while the init container runs: %+v", s.Conditions)
		}
		if out := e.must("podunit", "wait", "--for=condition=Initialized", "pod/initp", "--timeout=30s"); out != "pod/initp condition met\n" {
			t.Fatalf("wait for Initialized: %q", out)
		}
		if s := e.status("initp"); len(s.Init) != 1 || s.Init[0].State != "Terminated" || s.Init[0].ExitCode == nil || *s.Init[0].ExitCode != 0 {
			t.Fatalf("Initialized before the init container completed: %+v", s.Init)
		}
		if code, err := apply.Wait(); code != 0 || err != nil {
			t.Fatalf("apply: exit %d %v: %s", code, err, apply.Stderr())
		}
		e.must("podunit", "delete", "initp")
	})

	t.Run("wait for delete", func(t *testing.T) {
		p, err := e.h.StartProcess(t.Context(), "podunit", "wait", "--for=delete", "pod/pair", "pod/restarter", "--timeout=60s")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Kill()
		time.Sleep(time.Second)
		select {
		case <-p.Done():
			t.Fatalf("wait --for=delete ended while the pods exist: %s %s", p.Stdout(), p.Stderr())
		default:
		}
		e.must("podunit", "delete", "pair")
		e.must("podunit", "delete", "restarter")
		if code, err := p.Wait(); code != 0 || err != nil || p.Stdout() != "pod/pair deleted\npod/restarter deleted\n" {
			t.Fatalf("wait --for=delete: exit %d %v, %q %q", code, err, p.Stdout(), p.Stderr())
		}
		if out := e.must("podunit", "wait", "--for=delete", "pod/pair", "--timeout=0"); out != "pod/pair deleted\n" {
			t.Fatalf("wait --for=delete of a deleted pod: %q", out)
		}
	})
}
