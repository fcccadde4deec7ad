// Package guest is the kvm stage's init inside the VM: the podunit binary
// runs as the guest kernel's /init, sets up what systemd-nspawn sets up
// for an nspawn pod (proc, sys, dev, the pod's run directory and image
// store, the journal and notify sockets), runs the same podinit, sends
// its exit code to the host and powers the VM off.
package guest

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/kvm/wire"
)

// IsInit reports whether this process is the guest's init: PID 1 started
// by the kernel as /init. An nspawn pod's podinit is PID 1 too, but runs
// as /podinit.
func IsInit(args []string) bool {
	return os.Getpid() == 1 && len(args) > 0 && args[0] == "/init"
}

// Run sets the guest up, runs podinit and powers the VM off with
// podinit's exit code sent to the host. It never returns: the kernel
// panics when its init exits.
func Run(podinit func() int) {
	log.SetFlags(0)
	log.SetPrefix("podunit-guest: ")
	fmt.Fprintln(os.Stderr, wire.BootMarker)
	start := time.Now()
	ctl, err := setup()
	code := 3 // contract.ExitSetupError: the host may retry
	if err != nil {
		log.Print(err)
	} else {
		log.Printf("guest ready in %v", time.Since(start).Round(time.Millisecond))
		code = podinit()
	}
	if ctl != nil {
		if err := ctl.sendExit(code); err != nil {
			log.Printf("send exit code %d: %v", code, err)
		}
	}
	poweroff()
}

// setup mounts the kernel filesystems, loads the modules, mounts the
// shares and opens the channels.
func setup() (*control, error) {
	mods, err := switchRoot()
	if err != nil {
		return nil, err
	}
	if err := mountKernelFS(); err != nil {
		return nil, err
	}
	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return nil, err
	}
	if !hasArg(string(cmdline), wire.StageArg) {
		return nil, fmt.Errorf("%s not on the kernel command line: not a podunit guest", wire.StageArg)
	}
	if err := loadModules(mods, string(cmdline)); err != nil {
		return nil, err
	}
	ports, err := findPorts()
	if err != nil {
		return nil, err
	}
	ctl, err := openControl(ports)
	if err != nil {
		return nil, err
	}
	if err := mountShares(); err != nil {
		return ctl, err
	}
	if err := startRelays(ports); err != nil {
		return ctl, err
	}
	return ctl, nil
}

func hasArg(cmdline, arg string) bool {
	for _, f := range strings.Fields(cmdline) {
		if f == arg {
			return true
		}
	}
	return false
}

func readGuestConfig(path string) (*wire.GuestConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c wire.GuestConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// poweroff ends the VM: the host's qemu exits (-no-reboot turns a reboot
// into an exit as well).
func poweroff() {
	unix.Sync()
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
		log.Printf("power off: %v", err)
	}
	select {}
}
