package kvm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/kvm/wire"
)

// ExitNoGuestCode is the runner's exit code when qemu ended without the
// guest's exit code (qemu killed, the guest crashed or never booted):
// like nspawn's 1 when podinit is killed, a failure the unit restarts.
const ExitNoGuestCode = 1

// Runner runs one VM pod in the foreground: it is the host half of the
// stage, the process the unit's ExecStart runs. It starts qemu, relays
// the guest's journal entries and sd_notify messages, asks the guest to
// stop on Stop, and returns the guest podinit's exit code.
type Runner struct {
	VM             VM // Ports are the Runner's: it fills them in
	Pod, Namespace string
	Logs           LogSink
	// Notify sends an sd_notify state to the unit's manager.
	Notify func(state string) error
	// Console receives qemu's stdout and stderr: the serial console.
	Console io.Writer
	// Stop asks the pod to stop (the unit's SIGTERM).
	Stop <-chan os.Signal
}

// Run starts the VM and waits for it to end.
func (r *Runner) Run() (int, error) {
	host, guest, err := socketPairs(len(wire.Ports))
	if err != nil {
		return 0, err
	}
	vm := r.VM
	vm.Ports = nil
	for i, name := range wire.Ports {
		vm.Ports = append(vm.Ports, Port{Name: name, FD: 3 + i})
	}
	cmd := exec.Command(vm.Binary, vm.Argv()...)
	cmd.Stdout, cmd.Stderr = r.Console, r.Console
	cmd.ExtraFiles = guest
	// qemu dies with us: nothing outlives the unit's main process
	// that the unit's cgroup kill would not catch anyway, but a
	// runner killed outside a unit (tests) must not leave a VM.
	cmd.SysProcAttr = &unix.SysProcAttr{Pdeathsig: unix.SIGKILL}
	err = cmd.Start()
	for _, f := range guest {
		f.Close()
	}
	if err != nil {
		closeAll(host)
		return 0, fmt.Errorf("start %s: %w", vm.Binary, err)
	}
	journalC, notifyC, controlC := host[0], host[1], host[2]

	var wg sync.WaitGroup
	relay := func(f *os.File, each func([]byte)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				p, err := wire.ReadFrame(f)
				if err != nil {
					if !errors.Is(err, io.EOF) {
						log.Printf("%s: %v", f.Name(), err)
					}
					return
				}
				each(p)
			}
		}()
	}
	relay(journalC, func(p []byte) {
		if e, err := guestEntry(p, r.Pod, r.Namespace); err == nil {
			r.Logs.Log(e)
		} else {
			log.Printf("guest journal: %v", err)
		}
	})
	relay(notifyC, func(p []byte) {
		if st := allowedNotify(string(p)); st != "" && r.Notify != nil {
			if err := r.Notify(st); err != nil {
				log.Printf("sd_notify: %v", err)
			}
		}
	})
	var exitCode *int
	relay(controlC, func(p []byte) {
		var m wire.Control
		if json.Unmarshal(p, &m) == nil && m.Exit != nil {
			exitCode = m.Exit
		}
	})

	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var werr error
wait:
	for {
		select {
		case sig := <-r.Stop:
			log.Printf("got %v: stopping the pod", sig)
			p, _ := json.Marshal(wire.Control{Stop: true})
			if err := wire.WriteFrame(controlC, p); err != nil {
				log.Printf("ask the guest to stop: %v", err)
				cmd.Process.Kill()
			}
		case werr = <-waited:
			break wait
		}
	}
	wg.Wait() // qemu closed its ends: every frame it took is read
	closeAll(host)
	if exitCode == nil {
		return ExitNoGuestCode, fmt.Errorf("qemu ended (%v) without the guest's exit code", werr)
	}
	return *exitCode, nil
}

// allowedNotify keeps what a pod may tell systemd: readiness, status,
// stopping. The guest is not trusted with the rest (MAINPID= would name a
// host process, FDSTORE= and the watchdog belong to the host side).
func allowedNotify(msg string) string {
	var keep []string
	for _, l := range strings.Split(msg, "\n") {
		if l == "READY=1" || l == "STOPPING=1" || strings.HasPrefix(l, "STATUS=") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// socketPairs makes n connected stream socket pairs: the host ends stay
// here, the guest ends go to qemu, so no channel has a path anyone else
// could open.
func socketPairs(n int) (host, guest []*os.File, err error) {
	for i := 0; i < n; i++ {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			closeAll(host)
			closeAll(guest)
			return nil, nil, fmt.Errorf("socketpair: %w", err)
		}
		host = append(host, os.NewFile(uintptr(fds[0]), wire.Ports[i]))
		guest = append(guest, os.NewFile(uintptr(fds[1]), wire.Ports[i]))
	}
	return host, guest, nil
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}
