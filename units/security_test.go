package units

import (
	"slices"
	"strings"
	"testing"

	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/selinux"
)

func decodeOne(t *testing.T, text string) *pod.Pod {
	t.Helper()
	pods, err := pod.Decode("t.yaml", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return pods[0]
}

// TestSecurityArgs: capabilities beyond nspawn's default reach nspawn's
// command line, and the SELinux labels reach it through the environment
// file's variable, which SELinuxArgs fills for an enabled host.
func TestSecurityArgs(t *testing.T) {
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
	for _, want := range []string{"--capability=CAP_NET_ADMIN,CAP_SYS_TIME", "$" + SELinuxArgsVar} {
		if !slices.Contains(args, want) {
			t.Errorf("nspawn args lack %s:\n%v", want, args)
		}
	}
	if !slices.Contains(u.EnvironmentFiles, DefaultHost.NspawnEnvFile("s")) {
		t.Errorf("environment files %v", u.EnvironmentFiles)
	}
	l := selinux.Make("s0:c3,c4", selinux.Options{})
	if got := SELinuxArgs(&l); got != "--selinux-context=system_u:system_r:container_t:s0:c3,c4 --selinux-apifs-context=system_u:object_r:container_file_t:s0:c3,c4" {
		t.Errorf("SELinuxArgs: %s", got)
	}
	if SELinuxArgs(nil) != "" {
		t.Error("SELinuxArgs without labels")
	}
	// The variable is the one word systemd expands: never escaped.
	text, _ := u.File()
	if !strings.Contains(text, " $"+SELinuxArgsVar+" /podinit") {
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
