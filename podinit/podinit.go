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

	"github.com/podunit/podunit/userns"
)

// argv[0] names selecting the roles. The host runs the binary as /podinit
// (nspawn's command), podinit re-execs /proc/self/exe as the helper.
const (
	podinitName = "podinit"
	helperName  = "podinit-container"
)

// Exit codes of podinit, i.e. of systemd-nspawn and so of the pod's unit
// (units/ uses them in RestartPreventExitStatus=):
//
//	0  the pod ended because every container finished successfully, or
//	   podinit was asked to stop (SIGTERM/SIGINT, machinectl poweroff)
//	100 the pod completed with a failed container: an app container ended
//	    with a non-zero exit that its restart policy does not restart
//	    (Never, or nothing left to run), or an init container failed
//	    under restartPolicy Never. Not 1: nspawn exits 1 when podinit is
//	    killed, and that failure must restart the unit.
//	2  the plan is missing or invalid; restarting cannot help
//	3  podinit could not set up the pod or a container (status dir,
//	   hostname, overlay mount); a restart of the unit may help
const (
	ExitSucceeded  = 0
	ExitPodFailed  = 100
	ExitBadPlan    = 2
	ExitSetupError = 3
)

// IsPodinit reports whether this process was started as podinit or as its
// container-start helper.
func IsPodinit(args []string) bool {
	if len(args) == 0 {
		return false
	}
	if isExecHelper(args) {
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
	return podinitMain()
}
