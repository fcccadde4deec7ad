package units

import (
	"slices"
	"strings"
	"testing"

	"github.com/podunit/podunit/nspawn"
	"github.com/podunit/podunit/pod"
)

func decodeOne(t *testing.T, text string) *pod.Pod {
	t.Helper()
	pods, err := pod.Decode("t.yaml", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return pods[0]
}

// TestNspawnSecurityArgs: capabilities beyond nspawn's default reach
// nspawn's command line, and the SELinux labels reach it through the
// environment file's variable.
func TestNspawnSecurityArgs(t *testing.T) {
	p := decodeOne(t, `apiVersion: v1
kind: Pod
metadata: {name: s}
spec:
  hostNetwork: true
  containers:
  - name: a
    image: img
    securityContext: {capabilities: {add: [NET_ADMIN, SYS_TIME]}}
`)
	u, err := Compile(p, DefaultHost)
	if err != nil {
		t.Fatal(err)
	}
	args := u.ExecStart.Argv
	for _, want := range []string{"--capability=CAP_NET_ADMIN,CAP_SYS_TIME", "$" + nspawn.SELinuxArgsVar} {
		if !slices.Contains(args, want) {
			t.Errorf("nspawn args lack %s:\n%v", want, args)
		}
	}
	if !slices.Contains(u.EnvironmentFiles, DefaultHost.NspawnEnvFile("s")) {
		t.Errorf("environment files %v", u.EnvironmentFiles)
	}
	// The variable is the one word systemd expands: never escaped.
	text, _ := u.File()
	if !strings.Contains(text, " $"+nspawn.SELinuxArgsVar+" /podinit") {
		t.Errorf("unit file escapes the variable:\n%s", text)
	}
	// Without labels (SELinux off) and with default capabilities: none.
	p.Spec.Containers[0].SecurityContext = nil
	u, err = Compile(p, DefaultHost)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range u.ExecStart.Argv {
		if strings.HasPrefix(a, "--selinux") || strings.HasPrefix(a, "--capability") {
			t.Errorf("unexpected %s", a)
		}
	}
	p.Spec.Containers[0].SecurityContext = &pod.SecurityContext{Privileged: new(true)}
	u, _ = Compile(p, DefaultHost)
	if !slices.Contains(u.ExecStart.Argv, "--capability=all") {
		t.Errorf("privileged: %v", u.ExecStart.Argv)
	}
}

// TestStageSelection: spec.runtimeClassName picks the stage; unset is
// nspawn, and every other name is refused, by validation with the field's
// position and by the selection itself for a pod built in code.
func TestStageSelection(t *testing.T) {
	const base = `apiVersion: v1
kind: Pod
metadata: {name: s}
spec:
  containers: [{name: a, image: img}]
`
	st, err := DefaultHost.Stage(decodeOne(t, base))
	if err != nil || st.Name() != "nspawn" {
		t.Fatalf("default stage %v, %v", st, err)
	}
	for class, want := range map[string]string{
		"kvm":    `t.yaml:6:21: spec.runtimeClassName: the kvm stage is not available yet`,
		"gvisor": `t.yaml:6:21: spec.runtimeClassName: unsupported value "gvisor": podunit runs pods with runtimeClassName unset (systemd-nspawn) or "kvm" (a VM)`,
	} {
		_, err := pod.Decode("t.yaml", strings.NewReader(base+"  runtimeClassName: "+class+"\n"))
		if err == nil || err.Error() != want {
			t.Errorf("runtimeClassName %s: %v\nwant %s", class, err, want)
		}
		p := decodeOne(t, base)
		p.Spec.RuntimeClassName = class
		if _, err := Compile(p, DefaultHost); err == nil || !strings.Contains(err.Error(), "spec.runtimeClassName: ") {
			t.Errorf("compile with runtimeClassName %s: %v", class, err)
		}
	}
}
