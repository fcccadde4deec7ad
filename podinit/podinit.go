// Package podinit is the pod's PID 1: it runs inside the systemd-nspawn
// container that is the pod, starts each container in its own mount
// namespace on its own overlay rootfs, supervises and restarts them,
// forwards their output to the host journal, and records their status
// for the host-side podunit commands.
//
// The same static binary is podunit, podinit and the container-start
// helper; the role is chosen by argv[0] so that nothing inside the pod
// needs a shell, a second binary or a hidden subcommand.
package podinit

import (
	"path/filepath"

	"github.com/podunit/podunit/kvm/guest"
	"github.com/podunit/podunit/userns"
)

// argv[0] names selecting the roles. The host runs the binary as /podinit
// (nspawn's command), podinit re-execs /proc/self/exe as the helper.
const (
	podinitName = "podinit"
	helperName  = "podinit-container"
)

// IsPodinit reports whether this process was started as podinit or as its
// container-start helper.
func IsPodinit(args []string) bool {
	if len(args) == 0 {
		return false
	}
	if isExecHelper(args) || guest.IsInit(args) {
		return true
	}
	switch filepath.Base(args[0]) {
	case podinitName, helperName, userns.HolderName:
		return true
	}
	return false
}

// Main runs the role selected by argv[0] and returns the process exit code.
func Main(args []string) int {
	if len(args) > 0 && filepath.Base(args[0]) == helperName {
		return helperMain()
	}
	if isExecHelper(args) {
		return execHelperMain()
	}
	if len(args) > 0 && filepath.Base(args[0]) == userns.HolderName {
		return userns.HolderMain()
	}
	if guest.IsInit(args) {
		guest.Run(podinitMain) // the kvm stage: podinit inside the VM
	}
	return podinitMain()
}
