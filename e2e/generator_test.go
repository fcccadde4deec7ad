package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// installGenerator does in the test host what `make install` does: the
// generator link and the podunit-sync units.
func (e *env) installGenerator() {
	e.t.Helper()
	for _, f := range []string{"podunit-sync.path", "podunit-sync.service"} {
		b, err := os.ReadFile(filepath.Join("..", "dist", f))
		if err != nil {
			e.t.Fatal(err)
		}
		e.write(f, string(b))
	}
	e.must("sh", "-c", `set -e
mkdir -p /usr/local/lib/systemd/system-generators /usr/local/lib/systemd/system /etc/podunit/pods
ln -sf /usr/local/bin/podunit /usr/local/lib/systemd/system-generators/podunit-generator
cp /scratch/podunit-sync.path /scratch/podunit-sync.service /usr/local/lib/systemd/system/
systemctl daemon-reload
systemctl enable --now podunit-sync.path`)
}

func bootPod(name, line string) string {
	return `apiVersion: v1
kind: Pod
metadata: {name: ` + name + `}
spec:
  containers:
  - name: main
    image: localhost/busybox:1.35
    command: ["sh", "-c", "echo ` + line + `; exec sleep 100000"]
`
}

func (e *env) waitRunning(pods ...string) {
	e.t.Helper()
	for _, p := range pods {
		e.eventually(60*time.Second, p+" running", func() bool {
			out, _, code := e.run("podunit", "status", p, "-o", "json")
			return code == 0 && strings.Contains(out, `"status": "Running"`)
		})
	}
}

// TestGenerator: pods declared in /etc/podunit/pods come up without apply,
// again after a reboot, a malformed manifest does not stop the others and
// its error is in the journal, and removing a manifest removes its pod.
func TestGenerator(t *testing.T) {
	e := boot(t)
	e.installGenerator()

	e.write("alpha.yaml", bootPod("alpha", "alpha up"))
	e.write("beta.yaml", bootPod("beta", "beta up"))
	e.write("gamma.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: gamma}\nspec:\n  containers:\n  - name: c\n    image: localhost/busybox:1.35\n    colour: blue\n")
	e.must("sh", "-c", "cp /scratch/alpha.yaml /scratch/beta.yaml /scratch/gamma.yaml /etc/podunit/pods/")

	// The path unit runs podunit sync: daemon-reload, then start.
	e.waitRunning("alpha", "beta")
	st := e.status("alpha")
	if st.Unit != "podunit-alpha.service" || st.Machine == nil {
		t.Fatalf("generated pod status: %+v", st)
	}
	if frag := e.must("systemctl", "show", "-p", "FragmentPath", "--value", "podunit-alpha.service"); !strings.HasPrefix(frag, "/run/systemd/generator/") {
		t.Fatalf("unit does not come from the generator: %s", frag)
	}
	if out := e.must("podunit", "logs", "beta"); !strings.Contains(out, "beta up") {
		t.Fatalf("logs of a generated pod: %q", out)
	}
	if out := e.must("podunit", "exec", "alpha", "--", "hostname"); out != "alpha\n" {
		t.Fatalf("exec in a generated pod: %q", out)
	}
	if _, _, code := e.run("systemctl", "cat", "podunit-gamma.service"); code == 0 {
		t.Fatal("the malformed manifest produced a unit")
	}
	journal := e.must("journalctl", "--no-pager", "-t", "podunit-generator")
	if !strings.Contains(journal, "/etc/podunit/pods/gamma.yaml:8:5") || !strings.Contains(journal, "colour") {
		t.Fatalf("generator error not in the journal:\n%s", journal)
	}
	if out := e.must("podunit", "list"); strings.Contains(out, "gamma") {
		t.Fatalf("list: %s", out)
	}
	// A generated pod belongs to its manifest.
	if errOut := e.fails("podunit", "delete", "alpha"); !strings.Contains(errOut, "/etc/podunit/pods") {
		t.Fatalf("delete of a generated pod: %s", errOut)
	}

	// Both come back by themselves after a reboot.
	leader := e.status("alpha").Machine.Leader
	e.h.Reboot(t)
	e.waitRunning("alpha", "beta")
	if l := e.status("alpha").Machine.Leader; l == leader {
		t.Fatal("alpha is the same process after a reboot")
	}

	// Removing a manifest stops its pod and removes its state.
	e.must("rm", "/etc/podunit/pods/beta.yaml")
	e.eventually(60*time.Second, "beta removed", func() bool {
		_, _, code := e.run("podunit", "status", "beta")
		return code != 0
	})
	e.assertNoTrace("beta")
	e.waitRunning("alpha")

	// dry-run shows what the generator writes, and the errors.
	out, errOut, code := e.run("podunit", "generate", "--dry-run")
	if code == 0 || !strings.Contains(out, "# podunit-alpha.service") || !strings.Contains(errOut, "gamma.yaml:8:5") {
		t.Fatalf("generate --dry-run: %d\n%s\n%s", code, out, errOut)
	}
}

// TestExportedUnits: `podunit unit` files pass systemd-analyze verify and
// run pods; a template runs one pod per instance.
func TestExportedUnits(t *testing.T) {
	e := boot(t)

	// Every golden unit file the compiler and the generator write.
	var files []string
	for _, pattern := range []string{"../units/testdata/*.service", "../units/testdata/export/*.service", "../generator/testdata/golden/*.service"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 6 {
		t.Fatalf("only %d golden units", len(files))
	}
	e.must("mkdir", "-p", "/scratch/verify")
	var inner []string
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// Copies are named apart; a template is verified as an instance.
		name := strings.Replace(filepath.Base(f), "@.service", "@check.service", 1)
		name = strings.Replace(name, "podunit-", "podunit-"+string(rune('a'+i))+"-", 1)
		e.write("verify/"+name, string(b))
		inner = append(inner, "/scratch/verify/"+name)
	}
	out, errOut, code := e.run(append([]string{"systemd-analyze", "verify"}, inner...)...)
	if code != 0 || strings.TrimSpace(errOut) != "" {
		t.Fatalf("systemd-analyze verify: exit %d\n%s%s", code, out, errOut)
	}

	// A template: two instances, two pods.
	e.write("tmpl.yaml", bootPod("job", "instance up"))
	unit := e.must("podunit", "unit", "--template", "-f", "/scratch/tmpl.yaml")
	e.write("podunit-job@.service", unit)
	e.must("sh", "-c", "cp /scratch/podunit-job@.service /etc/systemd/system/ && systemctl daemon-reload && systemctl start podunit-job@one.service podunit-job@two.service")
	e.waitRunning("job-one", "job-two")
	if st := e.status("job-two"); st.Unit != "podunit-job@two.service" {
		t.Fatalf("instance status: %+v", st)
	}
	if out := e.must("podunit", "logs", "job-one"); !strings.Contains(out, "instance up") {
		t.Fatalf("instance logs: %q", out)
	}
	e.must("podunit", "delete", "job-one", "job-two")
	for _, p := range []string{"job-one", "job-two"} {
		if _, err := os.Stat(e.h.Path("/var/lib/podunit/pods/" + p)); !os.IsNotExist(err) {
			t.Errorf("state of %s left", p)
		}
	}
	if out := e.machinesOnHost(); out != "" {
		t.Fatalf("machines left: %s", out)
	}
}
