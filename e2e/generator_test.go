package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/podunit/podunit/generator"
	"github.com/podunit/podunit/images/imagetest"
	"github.com/podunit/podunit/units"
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
  # sleep, PID 1 of its container, ignores SIGTERM as under the kubelet:
  # a reboot would wait out the default 30 s grace period.
  terminationGracePeriodSeconds: 1
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
	// Byte for byte what the generator wrote for the one pod left.
	if written := e.must("cat", "/run/systemd/generator/podunit-alpha.service"); out != "# podunit-alpha.service\n"+written {
		t.Fatalf("generate --dry-run differs from the generator's file:\n--- dry-run\n%s--- /run/systemd/generator/podunit-alpha.service\n%s", out, written)
	}
}

// TestExportedUnits: `podunit unit` files pass systemd-analyze verify and
// run pods; a template runs one pod per instance.
func TestExportedUnits(t *testing.T) {
	e := boot(t)

	// Every golden unit file the compiler and the generator write.
	var files []string
	for _, pattern := range []string{"../units/testdata/*/*.service", "../units/testdata/*/export/*.service", "../generator/testdata/golden/*.service"} {
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

// TestGeneratorBootErrorInJournal: a malformed manifest's error is in the
// journal of the boot whose generator run skipped it ("journalctl -t
// podunit-generator"; before journald runs, through the kernel log), not
// only in the journal of an earlier daemon-reload.
func TestGeneratorBootErrorInJournal(t *testing.T) {
	e := boot(t)
	e.installGenerator()
	e.write("delta.yaml", bootPod("delta", "delta up"))
	e.write("broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: broken}\nspec:\n  containers:\n  - name: c\n    image: localhost/busybox:1.35\n    imagePullPolicy: Never\n    colour: blue\n")
	e.must("sh", "-c", "cp /scratch/delta.yaml /scratch/broken.yaml /etc/podunit/pods/")
	e.waitRunning("delta")
	const where = "/etc/podunit/pods/broken.yaml:9:5"
	// podunit sync's daemon-reload ran the generator with journald up.
	if j := e.must("journalctl", "--no-pager", "-o", "cat", "-b", "-t", "podunit-generator"); !strings.Contains(j, where) || !strings.Contains(j, "colour") {
		t.Fatalf("generator error not in the journal after daemon-reload:\n%s", j)
	}

	e.h.Reboot(t)
	// delta is up again: the generator ran at this boot and wrote its unit.
	// Nothing here reloads systemd, so only that boot-time run can have
	// logged anything of this boot's.
	e.waitRunning("delta")
	if j := e.must("journalctl", "--no-pager", "-o", "cat", "-b", "-1", "-t", "podunit-generator"); !strings.Contains(j, where) {
		t.Fatalf("the previous boot's journal lost the generator error:\n%s", j)
	}
	j := e.must("journalctl", "--no-pager", "-o", "short-monotonic", "-b", "-t", "podunit-generator")
	if !strings.Contains(j, where) || !strings.Contains(j, "colour") {
		all, _, _ := e.run("journalctl", "--no-pager", "-o", "short-monotonic", "-b", "-n", "40")
		t.Errorf("the generator's error at boot is not in this boot's journal (journalctl -b -t podunit-generator):\n%s\n--- journalctl -b (end):\n%s", j, all)
	}
	if _, _, code := e.run("systemctl", "cat", "podunit-broken.service"); code == 0 {
		t.Error("the malformed manifest produced a unit at boot")
	}
}

// TestGenerateDryRunUnprivileged: generate --dry-run DIR needs no root: as
// nobody it prints the unit of the good manifest, exactly what the
// generator compiles, and the file:line:column error of the bad one, and
// exits 1; it writes nothing.
func TestGenerateDryRunUnprivileged(t *testing.T) {
	e := boot(t)
	dir := filepath.Join(e.h.Scratch(), "dry")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e.write("dry/a-good.yaml", bootPod("good", "good up"))
	e.write("dry/b-bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers:\n  - name: c\n    image: localhost/busybox:1.35\n    ports:\n    - containerPort: 80\n      colour: blue\n")
	e.write("dry/notes.txt", "not a manifest\n")
	nobody := []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"}
	if id := e.must(append(nobody, "id", "-u")...); id != "65534\n" {
		t.Fatalf("setpriv: uid %q", id)
	}
	out, errOut, code := e.run(append(nobody, "podunit", "generate", "--dry-run", "/scratch/dry")...)
	if code != 1 {
		t.Errorf("exit %d, want 1 (a manifest was skipped)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// The expected unit is what the generator package compiles from the
	// same file for the binary's path in the host.
	res := generator.Generate([]string{dir}, units.DefaultHost)
	if len(res.Units) != 1 || len(res.Errors) != 1 {
		t.Fatalf("generator.Generate outside: %d units, errors %v", len(res.Units), res.Errors)
	}
	want := "# podunit-good.service\n" + strings.ReplaceAll(res.Units[0].Text, "# Source: "+dir+"/", "# Source: /scratch/dry/")
	if out != want {
		t.Errorf("dry-run unit:\n--- got\n%s--- want\n%s", out, want)
	}
	if !strings.Contains(out, "\n# Source: /scratch/dry/a-good.yaml\n") || !strings.Contains(out, " --origin=generator good\n") {
		t.Errorf("dry-run unit lacks its source or origin:\n%s", out)
	}
	wantErr := "error: /scratch/dry/b-bad.yaml:10:7: spec.containers[0].ports[0].colour: unknown field \"colour\"\n/scratch/dry/b-bad.yaml: skipped\n"
	if errOut != wantErr {
		t.Errorf("dry-run errors:\n--- got\n%s--- want\n%s", errOut, wantErr)
	}
	// It changed nothing.
	if _, err := os.Stat(e.h.Path("/var/lib/podunit/pods/good")); !os.IsNotExist(err) {
		t.Errorf("dry-run made pod state (err %v)", err)
	}
	if _, _, code := e.run("test", "-e", "/run/systemd/generator/podunit-good.service"); code == 0 {
		t.Error("dry-run wrote into the generator directory")
	}
	if _, _, code := e.run("systemctl", "cat", "podunit-good.service"); code == 0 {
		t.Error("dry-run made a unit")
	}
}

// TestExportedUnitFile: a non-template `podunit unit` file installed in
// /etc/systemd/system runs its pod like any other: status, logs, exec,
// machined. systemctl stop stops it and keeps its state, as for any stopped
// pod; podunit delete stops it and removes the pod's state, but not the
// unit file, which the administrator installed: started again, the file
// alone brings the pod back.
func TestExportedUnitFile(t *testing.T) {
	e := boot(t)
	const unitPath = "/etc/systemd/system/podunit-solo.service"
	e.write("solo.yaml", bootPod("solo", "solo up"))
	unit := e.must("podunit", "unit", "-f", "/scratch/solo.yaml")
	if !strings.HasPrefix(unit, "# podunit-solo.service\n") || strings.Contains(unit, "--origin") || !strings.Contains(unit, "\n[Install]\nWantedBy=multi-user.target\n") {
		t.Fatalf("podunit unit:\n%s", unit)
	}
	e.write("podunit-solo.service", unit)
	e.must("sh", "-c", "cp /scratch/podunit-solo.service "+unitPath+" && systemctl daemon-reload")
	if _, err := os.Stat(e.h.Path("/var/lib/podunit/pods/solo")); !os.IsNotExist(err) {
		t.Fatalf("pod state before the unit started (err %v)", err)
	}
	e.must("systemctl", "start", "podunit-solo.service")
	e.waitRunning("solo")

	st := e.status("solo")
	if st.Status != "Running" || st.Unit != "podunit-solo.service" || st.UnitState != "active/running" || st.Machine == nil {
		t.Fatalf("status of the exported unit's pod: %+v", st)
	}
	if m := *st.Machine; m.Name != "solo" || m.Class != "container" || m.Service != "podunit" {
		t.Fatalf("machine of the exported unit's pod: %+v", m)
	}
	// machined puts the machine in the unit's cgroup.
	if unit := e.must("machinectl", "show", "solo", "-p", "Unit", "--value"); unit != "podunit-solo.service\n" {
		t.Fatalf("machine unit: %q", unit)
	}
	if state, _, _ := e.container(st, "main"); state != "Running" {
		t.Fatalf("container main: %s", state)
	}
	if frag := e.must("systemctl", "show", "-p", "FragmentPath", "--value", "podunit-solo.service"); frag != unitPath+"\n" {
		t.Fatalf("the pod does not run from the unit file: FragmentPath=%s", frag)
	}
	if raw := e.must("podunit", "status", "solo", "-o", "json"); strings.Contains(raw, `"origin"`) {
		t.Fatalf("an exported unit's pod has an origin:\n%s", raw)
	}
	if out := e.must("podunit", "list"); !strings.Contains(out, "solo") || !strings.Contains(out, "Running") {
		t.Fatalf("list: %s", out)
	}
	if out := e.must("podunit", "logs", "solo"); !strings.Contains(out, "solo up") {
		t.Fatalf("logs of the exported unit's pod: %q", out)
	}
	if out := e.must("journalctl", "--no-pager", "-o", "cat", "-u", "podunit-solo.service", "CONTAINER_NAME=main"); !strings.Contains(out, "solo up") {
		t.Fatalf("journal of podunit-solo.service: %q", out)
	}
	if out := e.must("podunit", "exec", "solo", "--", "hostname"); out != "solo\n" {
		t.Fatalf("exec: %q", out)
	}
	leader := st.Machine.Leader

	// systemctl stop: nothing of the running pod is left, its state stays
	// for status and logs until delete.
	e.must("systemctl", "stop", "podunit-solo.service")
	st = e.status("solo")
	if st.Status != "Stopped" || st.Machine != nil {
		t.Fatalf("status after systemctl stop: %+v", st)
	}
	if out := e.machinesOnHost(); strings.Contains(out, "solo") {
		t.Fatalf("machine left after systemctl stop: %s", out)
	}
	if mounts := e.must("cat", "/proc/self/mountinfo"); strings.Contains(mounts, "/var/lib/podunit/pods/solo") {
		t.Fatalf("mounts left after systemctl stop:\n%s", mounts)
	}
	if _, _, code := e.run("test", "-e", "/run/podunit/netns/solo"); code == 0 {
		t.Fatal("network namespace left after systemctl stop")
	}
	if out := e.must("podunit", "logs", "solo"); !strings.Contains(out, "solo up") {
		t.Fatalf("logs of the stopped pod: %q", out)
	}

	// Started again from the file: a new run of the same pod.
	e.must("systemctl", "start", "podunit-solo.service")
	e.waitRunning("solo")
	if l := e.status("solo").Machine.Leader; l == leader {
		t.Fatal("the restarted pod is the same process")
	}

	// delete stops the running unit and removes the pod; the unit file
	// stays.
	e.must("podunit", "delete", "solo")
	if out, _, _ := e.run("systemctl", "is-active", "podunit-solo.service"); out != "inactive\n" {
		t.Fatalf("unit after delete: %q", out)
	}
	if _, errOut, code := e.run("podunit", "status", "solo"); code == 0 {
		t.Fatalf("status after delete succeeded: %s", errOut)
	}
	if out := e.must("podunit", "list"); strings.Contains(out, "solo") {
		t.Fatalf("list after delete: %s", out)
	}
	if _, _, code := e.run("test", "-f", unitPath); code != 0 {
		t.Fatal("delete removed the administrator's unit file")
	}
	e.assertNoTrace("solo")

	// The file alone is enough: it runs the pod again after delete.
	e.must("systemctl", "start", "podunit-solo.service")
	e.waitRunning("solo")
	e.must("podunit", "delete", "solo")
	e.must("sh", "-c", "rm "+unitPath+" && systemctl daemon-reload")
	e.assertNoTrace("solo")
	if out := e.unitsOnHost(); out != "" {
		t.Fatalf("units left: %s", out)
	}
}

// TestGeneratorBootPull: a generated pod whose image policy is Always pulls
// in its prepare step at boot, after network-online.target: the tag moved
// while the host was down, and the pod comes back on the new image.
func TestGeneratorBootPull(t *testing.T) {
	e := boot(t)
	// A registry that is up by network-online.target at boot, as a
	// registry on the network would be reachable by then.
	e.write("reg.yml", registryConf("5000", "/var/lib/reg", ""))
	e.write("reg.service", `[Unit]
Before=network-online.target
[Service]
ExecStart=/usr/bin/docker-registry serve /etc/reg.yml
ExecStartPost=/bin/bash -c 'until exec 3<>/dev/tcp/127.0.0.1/5000; do sleep 0.1; done 2>/dev/null'
[Install]
WantedBy=network-online.target
`)
	e.must("sh", "-c", `set -e
cp /scratch/reg.yml /etc/reg.yml
cp /scratch/reg.service /etc/systemd/system/
systemctl daemon-reload
systemctl enable --now reg.service`)
	e.eventually(20*time.Second, "the registry listening", func() bool {
		_, _, code := e.run("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/5000")
		return code == 0
	})
	base := ociImage(t)
	first, _ := mutate.AppendLayers(base, mustStatic(t, imagetest.File("version", "first")))
	second, _ := mutate.AppendLayers(base, mustStatic(t, imagetest.File("version", "second")))
	e.skopeoPush(e.layoutDir("first", first), reg+"/team/boot:1")

	e.installGenerator()
	e.write("booted.yaml", `apiVersion: v1
kind: Pod
metadata: {name: booted}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: `+reg+`/team/boot:1, imagePullPolicy: Always, command: [sleep, "100000"]}
`)
	e.must("cp", "/scratch/booted.yaml", "/etc/podunit/pods/")
	e.waitRunning("booted")
	if out := e.must("podunit", "exec", "booted", "--", "cat", "/version"); out != "first" {
		t.Fatalf("first image: %q", out)
	}
	for _, dep := range []string{"After", "Wants"} {
		if out := e.must("systemctl", "show", "-p", dep, "--value", "podunit-booted.service"); !strings.Contains(out, "network-online.target") {
			t.Errorf("%s= of a unit that may pull: %s", dep, out)
		}
	}

	e.skopeoPush(e.layoutDir("second", second), reg+"/team/boot:1")
	e.h.Reboot(t)
	e.waitRunning("booted")
	if out, ok := e.poll(30*time.Second, "podunit", "exec", "booted", "--", "cat", "/version"); !ok || out != "second" {
		j, _, _ := e.run("journalctl", "-b", "-q", "--no-pager", "-u", "podunit-booted.service", "-u", "reg.service")
		t.Fatalf("after a reboot the pod runs %q, want the image the tag names now\n%s", out, j)
	}
	if out := e.must("journalctl", "-b", "-q", "-u", "podunit-booted.service"); !strings.Contains(out, "Pulling "+reg+"/team/boot:1") {
		t.Errorf("no pull in this boot's journal of the unit:\n%s", out)
	}
}
