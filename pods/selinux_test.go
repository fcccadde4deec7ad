package pods

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	goselinux "github.com/opencontainers/selinux/go-selinux"

	"github.com/podunit/podunit/internal/layout"
	"github.com/podunit/podunit/nspawn"
	"github.com/podunit/podunit/plan"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/selinux"
	"github.com/podunit/podunit/units"
)

// fakeSELinux makes the pods package see SELinux as on or off, and keeps
// isolate from probing user namespaces (which forks a holder and mounts):
// these tests are about labels.
func fakeSELinux(t *testing.T, enabled bool) {
	t.Helper()
	oldHost, oldUserns := hostSELinux, usernsSupported
	t.Cleanup(func() { hostSELinux, usernsSupported = oldHost, oldUserns })
	state := selinux.State{Mode: "disabled"}
	if enabled {
		state = selinux.State{Enabled: true, Mode: "enforcing"}
	}
	hostSELinux = func() selinux.State { return state }
	usernsSupported = func(string) bool { return false }
}

// newLabelManager is a manager whose state lives in a temporary directory,
// wired as New wires it (Host.Isolate is the manager's isolate).
func newLabelManager(t *testing.T) *Manager {
	t.Helper()
	dir := t.TempDir()
	m := New(units.Host{Layout: layout.Layout{StateDir: filepath.Join(dir, "state")}}, &fakeImages{})
	m.State.LockDir = filepath.Join(dir, "locks")
	return m
}

func labelPod(name string) *pod.Pod {
	return &pod.Pod{
		APIVersion: "v1",
		Kind:       "Pod",
		Metadata:   pod.ObjectMeta{Name: name},
		Spec:       pod.PodSpec{Containers: []pod.Container{{Name: "app", Image: testRef}}},
	}
}

var levelRE = regexp.MustCompile(`^s0:c([0-9]+),c([0-9]+)$`)

func holders(t *testing.T, m *Manager) []string {
	t.Helper()
	h, err := m.selinuxAllocator().Holders()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(h)
	return h
}

func TestIsolateSELinuxLevels(t *testing.T) {
	fakeSELinux(t, true)
	m := newLabelManager(t)

	isoA, err := m.isolate(labelPod("a"))
	if err != nil {
		t.Fatal(err)
	}
	isoB, err := m.isolate(labelPod("b"))
	if err != nil {
		t.Fatal(err)
	}
	for name, iso := range map[string]units.Isolation{"a": isoA, "b": isoB} {
		l := iso.Labels
		if l == nil {
			t.Fatalf("pod %s: no labels with SELinux on", name)
		}
		if !levelRE.MatchString(l.Level) {
			t.Errorf("pod %s: level %q is not s0:ci,cj", name, l.Level)
		}
		if want := "system_u:system_r:container_t:" + l.Level; l.Process != want {
			t.Errorf("pod %s: process label %q, want %q", name, l.Process, want)
		}
		if want := "system_u:object_r:container_file_t:" + l.Level; l.File != want {
			t.Errorf("pod %s: file label %q, want %q", name, l.File, want)
		}
		if iso.UIDBase != 0 {
			t.Errorf("pod %s: uid base %d without user namespace support", name, iso.UIDBase)
		}
	}
	if isoA.Labels.Level == isoB.Labels.Level {
		t.Fatalf("pods a and b share level %s", isoA.Labels.Level)
	}
	if _, err := os.Stat(filepath.Join(m.Host.StateDir, "selinux", "mcs.json")); err != nil {
		t.Errorf("allocation table not below StateDir: %v", err)
	}

	// A pod keeps its level: isolate runs several times per apply and at
	// every start.
	again, err := m.isolate(labelPod("a"))
	if err != nil || again.Labels == nil || *again.Labels != *isoA.Labels {
		t.Fatalf("pod a again: %+v, %v; want %+v", again.Labels, err, isoA.Labels)
	}
	if got := holders(t, m); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("holders %q, want [a b]", got)
	}

	if err := m.releaseIsolation("a"); err != nil {
		t.Fatal(err)
	}
	if got := holders(t, m); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("holders after releasing a: %q, want [b]", got)
	}
	// Releasing twice, or a pod that never had a level, is fine.
	if err := m.releaseIsolation("a"); err != nil {
		t.Errorf("second release: %v", err)
	}
	if err := m.releaseIsolation("never-applied"); err != nil {
		t.Errorf("release of an unknown pod: %v", err)
	}
	if err := m.releaseIsolation("b"); err != nil {
		t.Fatal(err)
	}
	if got := holders(t, m); len(got) != 0 {
		t.Fatalf("holders after releasing both: %q", got)
	}
}

func TestIsolateSELinuxOff(t *testing.T) {
	fakeSELinux(t, false)
	m := newLabelManager(t)
	iso, err := m.isolate(labelPod("a"))
	if err != nil {
		t.Fatal(err)
	}
	if iso.Labels != nil {
		t.Fatalf("labels %+v with SELinux off", iso.Labels)
	}
	if _, err := os.Stat(filepath.Join(m.Host.StateDir, "selinux", "mcs.json")); !os.IsNotExist(err) {
		t.Errorf("a level was allocated with SELinux off (stat: %v)", err)
	}
}

func readNspawnEnv(t *testing.T, m *Manager, p *pod.Pod) string {
	t.Helper()
	st, err := m.Host.Stage(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Prepare(p, isolated(t, m, p).Labels); err != nil {
		t.Fatal(err)
	}
	path := m.Host.NspawnEnvFile(p.Metadata.Name)
	if !strings.HasPrefix(path, m.Host.StateDir+"/") {
		t.Fatalf("environment file %s outside the state directory", path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("environment file mode %v, want 0644", fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mkRunDir(t *testing.T, m *Manager, name string) {
	t.Helper()
	if err := os.MkdirAll(m.Host.RunDir(name), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestWriteNspawnEnvSELinux(t *testing.T) {
	fakeSELinux(t, true)
	m := newLabelManager(t)
	p := labelPod("web")
	mkRunDir(t, m, "web")

	got := readNspawnEnv(t, m, p)
	level, err := m.selinuxAllocator().Level("web")
	if err != nil {
		t.Fatal(err)
	}
	want := nspawn.SELinuxArgsVar + `="--selinux-context=system_u:system_r:container_t:` + level +
		` --selinux-apifs-context=system_u:object_r:container_file_t:` + level + "\"\n"
	if got != want {
		t.Fatalf("environment file:\n%q\nwant\n%q", got, want)
	}
	if nspawn.SELinuxArgsVar != "PODUNIT_NSPAWN_SELINUX" {
		t.Errorf("variable renamed to %s: units reference $PODUNIT_NSPAWN_SELINUX", nspawn.SELinuxArgsVar)
	}

	// SELinux turned off (a reboot with selinux=0): the next start writes
	// an empty value over the old arguments.
	fakeSELinux(t, false)
	if got := readNspawnEnv(t, m, p); got != "PODUNIT_NSPAWN_SELINUX=\"\"\n" {
		t.Fatalf("environment file with SELinux off: %q", got)
	}
}

func TestWriteNspawnEnvSELinuxOff(t *testing.T) {
	fakeSELinux(t, false)
	m := newLabelManager(t)
	p := labelPod("web")
	mkRunDir(t, m, "web")
	got := readNspawnEnv(t, m, p)
	if got != "PODUNIT_NSPAWN_SELINUX=\"\"\n" {
		t.Fatalf("environment file with SELinux off: %q", got)
	}
	if strings.Contains(got, "--selinux") {
		t.Fatalf("SELinux arguments with SELinux off: %q", got)
	}
}

func TestIsolateSELinuxOptions(t *testing.T) {
	fakeSELinux(t, true)
	m := newLabelManager(t)

	full := labelPod("full")
	full.Spec.SecurityContext = &pod.PodSecurityContext{SELinuxOptions: &pod.SELinuxOptions{
		User: "user_u", Role: "user_r", Type: "spc_t", Level: "s0:c7,c8",
	}}
	iso, err := m.isolate(full)
	if err != nil {
		t.Fatal(err)
	}
	want := selinux.Labels{
		Process: "user_u:user_r:spc_t:s0:c7,c8",
		// Kubernetes' type and role label the process; files keep
		// object_r:container_file_t.
		File:  "user_u:object_r:container_file_t:s0:c7,c8",
		Level: "s0:c7,c8",
	}
	if iso.Labels == nil || *iso.Labels != want {
		t.Fatalf("labels %+v, want %+v", iso.Labels, want)
	}
	// Its own level takes no pair from the allocator.
	if holders, err := m.selinuxAllocator().Holders(); err != nil || len(holders) != 0 {
		t.Fatalf("a pod naming its level holds a pair: %v %v", holders, err)
	}
	mkRunDir(t, m, "full")
	env := readNspawnEnv(t, m, full)
	wantEnv := `PODUNIT_NSPAWN_SELINUX="--selinux-context=user_u:user_r:spc_t:s0:c7,c8 --selinux-apifs-context=user_u:object_r:container_file_t:s0:c7,c8"` + "\n"
	if env != wantEnv {
		t.Fatalf("environment file:\n%q\nwant\n%q", env, wantEnv)
	}

	// Only the type: the allocated level and the defaults stay.
	typed := labelPod("typed")
	typed.Spec.SecurityContext = &pod.PodSecurityContext{SELinuxOptions: &pod.SELinuxOptions{Type: "spc_t"}}
	iso, err = m.isolate(typed)
	if err != nil {
		t.Fatal(err)
	}
	level, err := m.selinuxAllocator().Level("typed")
	if err != nil {
		t.Fatal(err)
	}
	want = selinux.Labels{
		Process: "system_u:system_r:spc_t:" + level,
		File:    "system_u:object_r:container_file_t:" + level,
		Level:   level,
	}
	if iso.Labels == nil || *iso.Labels != want {
		t.Fatalf("labels %+v, want %+v", iso.Labels, want)
	}

	// A pod securityContext without seLinuxOptions gets the defaults.
	plain := labelPod("plain")
	plain.Spec.SecurityContext = &pod.PodSecurityContext{}
	iso, err = m.isolate(plain)
	if err != nil {
		t.Fatal(err)
	}
	if iso.Labels == nil || !strings.HasPrefix(iso.Labels.Process, "system_u:system_r:container_t:s0:c") {
		t.Fatalf("labels %+v", iso.Labels)
	}
}

func TestGCIsolationFreesOrphanLevels(t *testing.T) {
	fakeSELinux(t, true)
	m := newLabelManager(t)
	for _, n := range []string{"live", "orphan"} {
		if _, err := m.isolate(labelPod(n)); err != nil {
			t.Fatal(err)
		}
	}
	// Only "live" has state.
	if err := os.MkdirAll(m.Host.PodDir("live"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(m.Host.PodDir("live"), "spec.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	var reported []string
	err := m.GCIsolation(func(p, what string) { reported = append(reported, p+": "+what) })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(reported, []string{"orphan: SELinux level"}) {
		t.Errorf("reported %q", reported)
	}
	if got := holders(t, m); !slices.Equal(got, []string{"live"}) {
		t.Errorf("holders after GC: %q, want [live]", got)
	}
}

func hostPathPod(name, hostPath, annotation string) *pod.Pod {
	p := labelPod(name)
	p.Metadata.Annotations = map[string]string{plan.AnnotationRelabel: annotation}
	p.Spec.Volumes = []pod.Volume{{Name: "data", HostPath: &pod.HostPathVolumeSource{Path: hostPath}}}
	return p
}

// relabel's decisions; the chcon itself (label.Relabel) needs a host with
// SELinux and is the e2e tests' business.
func TestRelabelDecisions(t *testing.T) {
	dir := t.TempDir()

	t.Run("off", func(t *testing.T) {
		fakeSELinux(t, false)
		m := newLabelManager(t)
		// Nothing to do without labels, whatever the annotation says (plan
		// validation reports a bad one).
		for _, p := range []*pod.Pod{hostPathPod("a", dir, "data=Z"), hostPathPod("b", "/etc", "data=Z"), hostPathPod("c", dir, "bogus")} {
			if err := m.relabel(p, isolated(t, m, p)); err != nil {
				t.Errorf("pod %s: %v", p.Metadata.Name, err)
			}
		}
	})

	t.Run("refusals", func(t *testing.T) {
		fakeSELinux(t, true)
		m := newLabelManager(t)
		for _, c := range []struct {
			p    *pod.Pod
			want string
		}{
			{hostPathPod("sys", "/etc", "data=Z"), "system path"},
			{hostPathPod("sys2", "/var/lib/", "data=z"), "system path"},
			{hostPathPod("state", filepath.Join(m.Host.StateDir, "pods", "x"), "data=Z"), "system path"},
			{hostPathPod("mode", dir, "data=q"), "want volume=z or volume=Z"},
			{hostPathPod("novol", dir, "other=Z"), "not a hostPath volume"},
		} {
			err := m.relabel(c.p, isolated(t, m, c.p))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("pod %s: %v, want an error saying %q", c.p.Metadata.Name, err, c.want)
			}
		}
	})

	t.Run("allowed", func(t *testing.T) {
		if goselinux.GetEnabled() {
			t.Skip("this host has SELinux: relabel would chcon for real")
		}
		fakeSELinux(t, true)
		m := newLabelManager(t)
		// label.Relabel does nothing on a host without SELinux; this checks
		// that relabel gets that far for a valid annotation.
		for _, a := range []string{"data=Z", "data=z", " data=Z "} {
			p := hostPathPod("ok", dir, a)
			if err := m.relabel(p, isolated(t, m, p)); err != nil {
				t.Errorf("%q: %v", a, err)
			}
		}
		none := labelPod("none")
		if err := m.relabel(none, isolated(t, m, none)); err != nil {
			t.Errorf("no annotation: %v", err)
		}
	})
}

// isolated is the pod's isolation, as prepare computes it once.
func isolated(t *testing.T, m *Manager, p *pod.Pod) units.Isolation {
	t.Helper()
	iso, err := m.isolate(p)
	if err != nil {
		t.Fatal(err)
	}
	return iso
}
