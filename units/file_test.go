package units_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/units"
)

func decodeOne(t *testing.T, y string) *pod.Pod {
	t.Helper()
	pods, err := pod.Decode("t.yaml", strings.NewReader(y))
	if err != nil {
		t.Fatal(err)
	}
	return pods[0]
}

const fleetPod = `apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    podunit.io/fleet-machine-metadata: "region=eu, disk=ssd"
    podunit.io/fleet-conflicts: "podunit-web@*.service"
    podunit.io/fleet-machine-of: "podunit-db.service"
    podunit.io/fleet-global: "false"
    podunit.io/wanted-by: "multi-user.target graphical.target"
spec:
  containers:
  - {name: a, image: localhost/busybox:1.35, imagePullPolicy: Never}
`

func TestFleetAndInstall(t *testing.T) {
	u, err := units.CompileFile(decodeOne(t, fleetPod), units.DefaultHost, units.FileOptions{Template: true})
	if err != nil {
		t.Fatal(err)
	}
	text, err := u.File()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"[X-Fleet]\nMachineMetadata=region=eu\nMachineMetadata=disk=ssd\nConflicts=podunit-web@*.service\nMachineOf=podunit-db.service\nGlobal=false\n",
		"[Install]\nWantedBy=multi-user.target graphical.target\n",
		"--machine=web-%i ",
		" web-%i\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("unit lacks %q:\n%s", want, text)
		}
	}
	if u.Name != "podunit-web@.service" {
		t.Errorf("template name %s", u.Name)
	}
	// Only Never pulls nothing, so nothing waits for the network.
	if strings.Contains(text, "network-online.target") {
		t.Errorf("a pod that never pulls waits for the network:\n%s", text)
	}
}

func TestFleetErrors(t *testing.T) {
	for ann, val := range map[string]string{
		units.AnnotationFleetGlobal:          "yes",
		units.AnnotationFleetMachineMetadata: "region",
	} {
		p := decodeOne(t, fleetPod)
		p.Metadata.Annotations = map[string]string{ann: val}
		if _, err := units.CompileFile(p, units.DefaultHost, units.FileOptions{}); err == nil || !strings.Contains(err.Error(), ann) {
			t.Errorf("%s=%q: %v", ann, val, err)
		}
	}
}

func TestSpecRoundTrip(t *testing.T) {
	p := decodeOne(t, fleetPod)
	s, err := units.Spec(p)
	if err != nil {
		t.Fatal(err)
	}
	back, err := units.DecodeSpec(s)
	if err != nil {
		t.Fatal(err)
	}
	h1, _ := p.Hash()
	h2, _ := back.Hash()
	if h1 != h2 {
		t.Fatal("spec changed through the unit")
	}
}

func TestStateDirTravels(t *testing.T) {
	h := units.DefaultHost
	h.StateDir = "/srv/podunit"
	u, err := units.Compile(decodeOne(t, fleetPod), h)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range append(u.ExecStartPre, u.ExecStopPost...) {
		if c.Argv[3] != "--state-dir=/srv/podunit" {
			t.Errorf("%v does not carry the state directory", c.Argv)
		}
	}
	if !strings.Contains(strings.Join(u.ExecStart.Argv, " "), "--directory=/srv/podunit/pods/web/root") {
		t.Errorf("nspawn: %v", u.ExecStart.Argv)
	}
}

// TestSpecLimit: a pod too large for the credential that carries it is
// refused when its unit is compiled (apply's first step), naming the limit.
func TestSpecLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Pod\nmetadata: {name: big}\nspec:\n  containers:\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "  - {name: c%d, image: img}\n", i)
	}
	p := decodeOne(t, b.String())
	_, err := units.Compile(p, units.DefaultHost)
	if err == nil || !strings.Contains(err.Error(), `pod "big" is `) || !strings.Contains(err.Error(), "at most 512 KiB") {
		t.Fatalf("compile of a 20000-container pod: %v", err)
	}
	p.Spec.Containers = p.Spec.Containers[:10]
	if _, err := units.Compile(p, units.DefaultHost); err != nil {
		t.Fatal(err)
	}
}
