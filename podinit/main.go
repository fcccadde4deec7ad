package podinit

import (
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/podunit/podunit/contract"
	"golang.org/x/sys/unix"
)

// stopSignals ask podinit to stop the pod: SIGTERM is nspawn's
// --kill-signal, SIGINT a terminal's ^C, SIGRTMIN+3/+4 what systemd-style
// inits get for halt/poweroff (machinectl poweroff without --kill-signal).
var stopSignals = []os.Signal{unix.SIGTERM, unix.SIGINT, syscall.Signal(34 + 3), syscall.Signal(34 + 4)}

// harmlessSignals are caught and dropped: Go's default action for them is
// to exit, which for PID 1 would end the pod. They are caught rather than
// ignored because SIG_IGN would be inherited by the containers.
var harmlessSignals = []os.Signal{unix.SIGHUP, unix.SIGUSR1, unix.SIGUSR2, unix.SIGQUIT, unix.SIGPIPE}

func podinitMain() int {
	log.SetFlags(0)
	log.SetPrefix("podinit: ")
	stop := make(chan os.Signal, 4)
	signal.Notify(stop, stopSignals...)
	drop := make(chan os.Signal, 4)
	signal.Notify(drop, harmlessSignals...)
	go func() {
		for range drop {
		}
	}()
	if os.Getpid() != 1 {
		// Not the namespace's init (a test, or a future stage): still
		// inherit orphans so that every container process gets reaped.
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			log.Printf("become subreaper: %v", err)
		}
	}

	plan, err := contract.LoadPlan(contract.PlanPath)
	if err != nil {
		log.Print(err)
		return contract.ExitBadPlan
	}
	if err := os.MkdirAll(contract.StatusDir, 0o755); err != nil {
		log.Printf("status directory: %v", err)
		return contract.ExitSetupError
	}
	if plan.Hostname != "" {
		if err := unix.Sethostname([]byte(plan.Hostname)); err != nil {
			log.Printf("set hostname %q: %v", plan.Hostname, err)
			return contract.ExitSetupError
		}
	}
	if !plan.SharePIDNamespace {
		if err := mountHiddenProc(); err != nil {
			log.Print(err)
			return contract.ExitSetupError
		}
	}
	if err := mountMemoryVolumes(plan.MemoryVolumes, podUIDBase(plan)); err != nil {
		log.Print(err)
		return contract.ExitSetupError
	}
	if err := setupUserNS(plan); err != nil {
		log.Print(err)
		return contract.ExitSetupError
	}
	setupCgroups(plan)
	return newSupervisor(plan, stop).run()
}
