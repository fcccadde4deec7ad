package pod

import "fmt"

// spec.runtimeClassName names the stage that runs the pod, as a
// Kubernetes RuntimeClass names the runtime handler: unset is
// systemd-nspawn, RuntimeClassKVM a VM.
const RuntimeClassKVM = "kvm"

// RuntimeClassProblem says why podunit cannot run pods of class c; ""
// when it can.
func RuntimeClassProblem(c string) string {
	switch c {
	case "":
		return ""
	case RuntimeClassKVM:
		return "the kvm stage is not available yet"
	}
	return fmt.Sprintf("unsupported value %q: podunit runs pods with runtimeClassName unset (systemd-nspawn) or %q (a VM)", truncate(c), RuntimeClassKVM)
}
