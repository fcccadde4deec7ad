package pod

import (
	"strings"
	"testing"

	"github.com/podunit/podunit/caps"
)

func TestSecurityPrecedence(t *testing.T) {
	pods, err := Decode("s.yaml", strings.NewReader(`apiVersion: v1
kind: Pod
metadata: {name: s}
spec:
  securityContext: {runAsUser: 1, runAsGroup: 2, runAsNonRoot: true, seccompProfile: {type: Unconfined}}
  containers:
  - name: a
    image: img
    securityContext: {runAsUser: 5, runAsNonRoot: false}
  - name: b
    image: img
`))
	if err != nil {
		t.Fatal(err)
	}
	s := &pods[0].Spec
	a, _ := s.Security(&s.Containers[0])
	if *a.RunAsUser != 5 || *a.RunAsGroup != 2 || a.RunAsNonRoot || a.Seccomp.Type != "Unconfined" || a.Caps != caps.Default {
		t.Errorf("a: %+v", a)
	}
	b, _ := s.Security(&s.Containers[1])
	if *b.RunAsUser != 1 || !b.RunAsNonRoot {
		t.Errorf("b: %+v", b)
	}
	pods[0].Spec.SecurityContext = nil
	if b, _ := s.Security(&s.Containers[1]); b.Seccomp.Type != DefaultSeccomp {
		t.Errorf("default seccomp: %+v", b.Seccomp)
	}
}

func TestSecurityValidation(t *testing.T) {
	_, err := Decode("s.yaml", strings.NewReader(`apiVersion: v1
kind: Pod
metadata: {name: s}
spec:
  securityContext:
    fsGroup: 70000
    seccompProfile: {type: Localhost, localhostProfile: ../x.json}
  containers:
  - name: a
    image: img
    securityContext:
      runAsUser: 0
      runAsNonRoot: true
      capabilities: {drop: [BOGUS]}
      seLinuxOptions: {type: "a:b", user: "u\"x", level: "s0 $HOME"}
      procMount: Unmasked
`))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"s.yaml:6:14: spec.securityContext.fsGroup: invalid value 70000",
		"s.yaml:7:57: spec.securityContext.seccompProfile.localhostProfile: must be a path relative",
		"spec.containers[0].securityContext.runAsNonRoot: runAsUser is 0",
		`s.yaml:14:29: spec.containers[0].securityContext.capabilities.drop[0]: unknown capability "BOGUS"`,
		"spec.containers[0].securityContext.seLinuxOptions.type: invalid value",
		"spec.containers[0].securityContext.seLinuxOptions.user: invalid value",
		"spec.containers[0].securityContext.seLinuxOptions.level: invalid value",
		"spec.containers[0].securityContext.procMount: field is not supported by podunit",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
}
