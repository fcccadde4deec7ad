// Package kvm is the qemu-kvm stage's host side: the guest kernel and its
// initramfs, the qemu command line, the accelerator choice and the
// runner that is the unit's main process (qemu's parent, the relay of
// the guest's channels).
package kvm

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/internal/atomicfile"
	"github.com/podunit/podunit/kvm/wire"
)

// Accel is a qemu accelerator.
type Accel string

const (
	KVM Accel = "kvm"
	TCG Accel = "tcg" // software emulation: slow, but works everywhere
)

// AccelEnv and AccelAnnotation override the choice: kvm, tcg or auto.
const (
	AccelEnv        = "PODUNIT_KVM_ACCEL"
	AccelAnnotation = "podunit.io/kvm-accel"
)

// DevicePath is the KVM device.
var DevicePath = "/dev/kvm"

// deviceCheck is openDevice; tests replace it.
var deviceCheck = openDevice

// openDevice checks what qemu checks first: the device opens and speaks
// KVM API version 12.
func openDevice() error {
	f, err := os.OpenFile(DevicePath, os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return err // names the device already
	}
	defer f.Close()
	const kvmGetAPIVersion = 0xae00 // _IO(KVMIO, 0x00)
	v, err := unix.IoctlRetInt(int(f.Fd()), kvmGetAPIVersion)
	if err != nil {
		return fmt.Errorf("%s: KVM_GET_API_VERSION: %w", DevicePath, err)
	}
	if v != 12 {
		return fmt.Errorf("%s: KVM API version %d, want 12", DevicePath, v)
	}
	return nil
}

// Verdict is the accelerator pods get, and why not KVM when they get TCG.
type Verdict struct {
	Accel  Accel  `json:"accel"`
	Reason string `json:"reason,omitempty"`
}

// Summary is the verdict as `podunit info` says it.
func (v Verdict) Summary() string {
	if v.Accel == KVM {
		return "usable: a guest boots under KVM"
	}
	return v.Reason + ": pods with runtimeClassName kvm use TCG (slow)"
}

// Prober boots the stage's own guest under KVM to see whether KVM works:
// a device that opens is not enough (on some hosts SeaBIOS runs under
// KVM but a Linux guest hangs).
type Prober struct {
	Qemu           string
	KernelImage    string // what qemu boots: Kernel.BootImage
	Initrd         string
	Timeout        time.Duration
	CacheDir       string // per host boot: under /run
	CacheKeySource func() (string, error)
}

// ProbeTimeout is how long a guest has to reach its init under KVM: it
// takes well under a second where KVM works, and the probe runs once per
// host boot.
const ProbeTimeout = 5 * time.Second

// Choose picks the accelerator: want "kvm" or "tcg" forces one, "" or
// "auto" takes KVM only when the guest boots under it.
func (p *Prober) Choose(want string) (Verdict, error) {
	switch want {
	case "kvm":
		if err := deviceCheck(); err != nil {
			return Verdict{}, fmt.Errorf("accelerator kvm requested: %w", err)
		}
		return Verdict{Accel: KVM}, nil
	case "tcg":
		return Verdict{Accel: TCG, Reason: "tcg requested"}, nil
	case "", "auto":
		return p.Auto(), nil
	}
	return Verdict{}, fmt.Errorf("unknown accelerator %q (want auto, kvm or tcg)", want)
}

// Auto is the cached verdict of booting under KVM, probing once per
// kernel, initramfs, qemu binary and host boot.
func (p *Prober) Auto() Verdict {
	if err := deviceCheck(); err != nil {
		return Verdict{Accel: TCG, Reason: "kvm: " + err.Error()}
	}
	key, err := p.cacheKey()
	if err != nil {
		return Verdict{Accel: TCG, Reason: "kvm not probed: " + err.Error()}
	}
	path := filepath.Join(p.CacheDir, "accel-"+key+".json")
	var v Verdict
	if data, err := os.ReadFile(path); err == nil && json.Unmarshal(data, &v) == nil && v.Accel != "" {
		return v
	}
	v = Verdict{Accel: KVM}
	if err := p.boot(); err != nil {
		v = Verdict{Accel: TCG, Reason: "device present but a guest does not boot (" + err.Error() + ")"}
	}
	if data, err := json.Marshal(v); err == nil {
		if os.MkdirAll(p.CacheDir, 0o700) == nil {
			atomicfile.Write(path, data, atomicfile.Options{Perm: 0o600}) // a failed write only costs a probe
		}
	}
	return v
}

func (p *Prober) cacheKey() (string, error) {
	h := sha256.New()
	qemu, err := exec.LookPath(p.Qemu)
	if err != nil {
		return "", err
	}
	for _, path := range []string{qemu, p.KernelImage, p.Initrd} {
		st, err := os.Stat(path)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00", path, st.Size(), st.ModTime().UnixNano())
	}
	boot, err := p.CacheKeySource()
	if err != nil {
		return "", err
	}
	h.Write([]byte(boot))
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// BootID is the host's boot id: a cached verdict does not survive a
// reboot (a kernel or firmware update may change it).
func BootID() (string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b)), err
}

// boot runs the guest under KVM until its init prints wire.BootMarker.
// Without the stage marker on its command line the guest init only
// prints it and powers off.
func (p *Prober) boot() error {
	ctx, cancel := context.WithTimeout(context.Background(), p.Timeout)
	defer cancel()
	vm := VM{Binary: p.Qemu, Machine: DefaultMachine(KVM), Accel: KVM, MemoryMiB: GuestMinMiB, CPUs: 1,
		Kernel: p.KernelImage, Initrd: p.Initrd, Cmdline: "console=" + consoleDevice() + " quiet panic=-1"}
	cmd := exec.CommandContext(ctx, p.Qemu, vm.Argv()...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout // one pipe for both: the marker or qemu's complaint
	if err := cmd.Start(); err != nil {
		return err
	}
	booted, last := false, ""
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if last = sc.Text(); strings.Contains(last, wire.BootMarker) {
			booted = true
			cancel() // the probe's answer is in: stop the guest
		}
	}
	err = cmd.Wait()
	switch {
	case booted:
		return nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("no init within %v", p.Timeout)
	}
	return fmt.Errorf("qemu: %v: %s", err, last)
}
