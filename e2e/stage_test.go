package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// oddPod's spec has what systemd would interpret on a command line or in
// a unit file: %, $, backslashes and quotes. Its container prints one
// environment value, so the spec's way through the unit shows in its log.
const oddPod = `apiVersion: v1
kind: Pod
metadata: {name: NAME}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: localhost/busybox:1.35
    env:
    - {name: ODD, value: '100% of $HOME and ${USER} \n "quoted" \\ back\slash'}
    command: ["sh", "-c", "echo \"odd=$ODD\"; exec sleep 100000"]
`

const oddValue = `odd=100% of $HOME and ${USER} \n "quoted" \\ back\slash`

// blob is a long run of base64 or hex, as a spec on a command line was.
var blob = regexp.MustCompile(`[A-Za-z0-9+/_=-]{100,}`)

// TestSpecOffCommandLines: the pod's spec reaches its unit as a credential,
// not on a command line: systemctl status stays short and free of data,
// and the spec arrives unchanged, both through a transient unit (D-Bus)
// and through an exported unit file. An absurdly large manifest and an
// unsupported runtimeClassName are refused at apply, changing nothing.
func TestSpecOffCommandLines(t *testing.T) {
	e := boot(t)

	e.apply("odd", strings.ReplaceAll(oddPod, "NAME", "odd"))
	e.waitRunning("odd")
	e.eventually(30e9, "the container's line", func() bool {
		out, _, _ := e.run("podunit", "logs", "odd")
		return strings.Contains(out, oddValue+"\n")
	})
	status, _, _ := e.run("systemctl", "status", "--no-pager", "--full", "--lines=0", "podunit-odd.service")
	checkReadable(t, "systemctl status", status)
	if !strings.Contains(status, "ExecStartPre=/usr/local/bin/podunit internal prepare odd (code=exited, status=0/SUCCESS)") {
		t.Errorf("systemctl status of the pod lacks its prepare step:\n%s", status)
	}
	pre := e.must("systemctl", "show", "-p", "ExecStartPre", "--value", "podunit-odd.service")
	checkReadable(t, "ExecStartPre", pre)
	if !strings.Contains(pre, "argv[]=/usr/local/bin/podunit internal prepare odd ;") {
		t.Errorf("ExecStartPre: %s", pre)
	}
	// No process of the pod carries the spec either.
	if out := e.must("sh", "-c", "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '"); blob.MatchString(out) || strings.Contains(out, "--spec") {
		t.Errorf("a command line carries data: %s", blob.FindString(out))
	}
	e.must("podunit", "delete", "odd")

	// The exported unit file carries the same spec as text.
	e.write("fileodd.yaml", strings.ReplaceAll(oddPod, "NAME", "fileodd"))
	unit := e.must("podunit", "unit", "-f", "/scratch/fileodd.yaml")
	e.write("podunit-fileodd.service", unit)
	e.must("sh", "-c", "cp /scratch/podunit-fileodd.service /etc/systemd/system/ && systemctl daemon-reload && systemctl start podunit-fileodd.service")
	e.waitRunning("fileodd")
	e.eventually(30e9, "the container's line", func() bool {
		out, _, _ := e.run("podunit", "logs", "fileodd")
		return strings.Contains(out, oddValue+"\n")
	})
	status, _, _ = e.run("systemctl", "status", "--no-pager", "--full", "--lines=0", "podunit-fileodd.service")
	checkReadable(t, "systemctl status of the exported unit", status)
	e.must("sh", "-c", "podunit delete fileodd && rm /etc/systemd/system/podunit-fileodd.service && systemctl daemon-reload")
	e.assertNoTrace("fileodd")

	// 20000 containers: refused by apply with the limit, nothing changed.
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Pod\nmetadata: {name: huge}\nspec:\n  containers:\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "  - {name: c%d, image: localhost/busybox:1.35}\n", i)
	}
	errOut := e.fails("podunit", "apply", "-f", e.write("huge.yaml", b.String()))
	if !strings.Contains(errOut, "pod/huge (/scratch/huge.yaml:1)") || !strings.Contains(errOut, "podunit runs pods of at most 512 KiB") {
		t.Errorf("apply of 20000 containers: %s", errOut)
	}
	e.assertNoTrace("huge")

	// runtimeClassName: the kvm stage is not there yet; other names are
	// not podunit's.
	for class, want := range map[string]string{
		"kvm":    "/scratch/rc.yaml:12:21: spec.runtimeClassName: the kvm stage is not available yet",
		"gvisor": `/scratch/rc.yaml:12:21: spec.runtimeClassName: unsupported value "gvisor": podunit runs pods with runtimeClassName unset (systemd-nspawn) or "kvm" (a VM)`,
	} {
		manifest := bootPod("rc", "never") + "  runtimeClassName: " + class + "\n"
		errOut := e.fails("podunit", "apply", "-f", e.write("rc.yaml", manifest))
		if !strings.Contains(errOut, want) {
			t.Errorf("runtimeClassName %s: %s\nwant %s", class, errOut, want)
		}
		e.assertNoTrace("rc")
	}
	if pods := e.podsOnHost(); len(pods) != 0 {
		t.Errorf("pods left: %v", pods)
	}
}

// checkReadable: no line longer than 300 characters and no data blob
// anywhere. The processes of the cgroup tree are shown with their whole
// command lines, and nspawn's own (its binds and options, no data) is
// longer: those lines are only checked for blobs.
func checkReadable(t *testing.T, what, out string) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		tree := strings.TrimLeft(l, " │")
		process := strings.HasPrefix(tree, "├─") || strings.HasPrefix(tree, "└─")
		if len(l) > 300 && !process {
			t.Errorf("%s has a line of %d characters: %.200s…", what, len(l), l)
		}
	}
	if m := blob.FindString(out); m != "" {
		t.Errorf("%s shows a data blob: %.120s…", what, m)
	}
}
