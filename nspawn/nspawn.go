// Package nspawn is the systemd-nspawn stage: the pod's unit runs
// systemd-nspawn (entered into the pod's network namespace) with podinit
// as the container's PID 1; nspawn registers the pod with machined
// (class container). One file per concern, as systemd's
// src/nspawn/nspawn-<concern>.c: start.go (the unit's start command),
// security.go (capabilities and SELinux), prepare.go (what nspawn needs on
// the host), exec.go (how exec reaches a container).
package nspawn

import "github.com/podunit/podunit/internal/layout"

// Stage runs pods with systemd-nspawn. It implements stage.Stage.
type Stage struct {
	Layout layout.Layout
	Binary string // the podunit binary, bound into the pod as podinit
	Nspawn string // systemd-nspawn
}

// Name is "nspawn".
func (Stage) Name() string { return "nspawn" }
