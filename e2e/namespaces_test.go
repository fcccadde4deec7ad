package e2e

import (
	"strings"
	"testing"
)

// TestPIDNamespaces: by default every container has a PID namespace of
// its own, its command being PID 1 there and seeing none of its
// siblings' processes (in a user namespace too, where podinit's
// unobstructed proc makes the fresh /proc mount possible); with
// shareProcessNamespace the containers see each other and podinit is
// PID 1. exec, and an exec probe, enter the container's own namespace.
func TestPIDNamespaces(t *testing.T) {
	e := boot(t)
	const pods = `apiVersion: v1
kind: Pod
metadata: {name: ownpid}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: a
    image: localhost/busybox:1.35
    command: [sleep, "1001"]
    # An exec probe runs in the container's PID namespace: it sees PID 1.
    readinessProbe: {exec: {command: [sh, -c, 'grep -q "^sleep" /proc/1/cmdline']}, periodSeconds: 1}
  - {name: b, image: localhost/busybox:1.35, command: [sh, -c, 'ps -o pid,args > /tmp/ps; exec sleep 1002']}
---
apiVersion: v1
kind: Pod
metadata: {name: sharedpid}
spec:
  terminationGracePeriodSeconds: 1
  shareProcessNamespace: true
  containers:
  - {name: a, image: localhost/busybox:1.35, command: [sleep, "1003"]}
  - {name: b, image: localhost/busybox:1.35, command: [sleep, "1004"]}
`
	e.apply("pidns", pods)

	if !e.readyOf("ownpid", "a") {
		t.Error("the exec readiness probe did not see the container's PID 1")
	}
	if got := e.must("podunit", "exec", "ownpid", "-c", "a", "--", "cat", "/proc/1/cmdline"); got != "sleep\x001001\x00" {
		t.Errorf("ownpid/a: PID 1 is %q, want its own command", got)
	}
	ps := e.must("podunit", "exec", "ownpid", "-c", "a", "--", "ps", "-o", "pid,args")
	if strings.Contains(ps, "1002") || strings.Contains(ps, "podinit") || !strings.Contains(ps, "sleep 1001") {
		t.Errorf("ownpid/a sees processes outside its container:\n%s", ps)
	}
	// The container's own view, before exec joined it.
	if ps := e.must("podunit", "exec", "ownpid", "-c", "b", "--", "cat", "/tmp/ps"); strings.Contains(ps, "1001") || !strings.Contains(ps, "1 sh -c") {
		t.Errorf("ownpid/b at its start saw:\n%s", ps)
	}
	// exec joined b's namespace, not a's: b's PID 1 is b's command.
	if got := e.must("podunit", "exec", "ownpid", "-c", "b", "--", "cat", "/proc/1/cmdline"); got != "sleep\x001002\x00" {
		t.Errorf("ownpid/b: PID 1 is %q", got)
	}

	ps = e.must("podunit", "exec", "sharedpid", "-c", "a", "--", "ps", "-o", "pid,args")
	if !strings.Contains(ps, "sleep 1003") || !strings.Contains(ps, "sleep 1004") {
		t.Errorf("sharedpid/a does not see both containers:\n%s", ps)
	}
	if got := e.must("podunit", "exec", "sharedpid", "-c", "b", "--", "cat", "/proc/1/cmdline"); !strings.Contains(got, "podinit") {
		t.Errorf("sharedpid: PID 1 is %q, want podinit", got)
	}

	for _, f := range []string{"hostPID", "hostIPC"} {
		bad := e.write("bad-"+f+".yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: hostns}\nspec:\n  "+f+": true\n  containers:\n  - {name: a, image: localhost/busybox:1.35}\n")
		if msg := e.fails("podunit", "apply", "-f", bad); !strings.Contains(msg, bad+":5:12: spec."+f+": not supported") {
			t.Errorf("%s: %s", f, msg)
		}
	}
	e.must("podunit", "delete", "ownpid", "sharedpid")
	e.assertNoTrace("ownpid")
	e.assertNoTrace("sharedpid")
}
