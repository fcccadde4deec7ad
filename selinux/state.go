// Package selinux owns podunit's SELinux labels for pods. Today it reports
// the host's SELinux state; per-pod MCS label allocation builds on it.
package selinux

import (
	goselinux "github.com/opencontainers/selinux/go-selinux"
)

// State describes SELinux on this host.
type State struct {
	Enabled bool
	Mode    string // enforcing, permissive or disabled
}

// Host reads the host's SELinux state.
func Host() State {
	if !goselinux.GetEnabled() {
		return State{Mode: "disabled"}
	}
	mode := map[int]string{goselinux.Enforcing: "enforcing", goselinux.Permissive: "permissive"}[goselinux.EnforceMode()]
	if mode == "" {
		mode = "disabled"
	}
	return State{Enabled: true, Mode: mode}
}
