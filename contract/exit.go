package contract

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
