package units

import (
	"github.com/podunit/podunit/selinux"
)

// Isolation is what a pod gets from the host's allocators when it is
// applied or started: its user namespace range and its SELinux labels.
// The caller allocates it once and passes the value to every step that
// needs it (the plan, volume ownership, relabelling, the stage's
// environment file). The unit itself never depends on it, so a generated
// or exported unit is the same text as the transient one.
type Isolation struct {
	// UIDBase is the first host uid of the pod's 65536 ids; 0 means the
	// pod uses the host's users (hostUsers: true, or no support).
	UIDBase uint32
	// Labels is nil when SELinux is off.
	Labels *selinux.Labels
}
