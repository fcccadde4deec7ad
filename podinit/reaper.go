package podinit

import (
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// reaped is one child collected by the reaper.
type reaped struct {
	pid int
	ws  unix.WaitStatus
}

// startReaper collects every child of podinit: as PID 1 of the pod it
// inherits orphans of all containers and must wait for them, or they stay
// zombies. Container main processes are among them; the supervisor
// matches their PIDs. Nothing else in podinit may wait for children
// (no os/exec), or the two would steal each other's exits.
func startReaper(out chan<- reaped) {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGCHLD)
	go func() {
		for {
			reapAll(out)
			<-sigs
		}
	}()
}

func reapAll(out chan<- reaped) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		out <- reaped{pid: pid, ws: ws}
	}
}
