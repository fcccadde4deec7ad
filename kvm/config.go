package kvm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Where the stage keeps its files: initramfs images (rebuilt only when
// the kernel or the podunit binary changes) under the state directory,
// the accelerator verdict (valid for one host boot) under /run.
const (
	StateDir   = "/var/lib/podunit/kvm"
	RuntimeDir = "/run/podunit/kvm"
)

// KernelEnv names the guest kernel (default: the newest /boot/vmlinuz-*).
const KernelEnv = "PODUNIT_KVM_KERNEL"

// Config is the stage's host configuration; empty fields take defaults.
type Config struct {
	Kernel string // a vmlinuz-<version> path
	Qemu   string
	Accel  string // auto, kvm or tcg
}

// ConfigFromEnv reads the overrides from the environment.
func ConfigFromEnv() Config {
	return Config{Kernel: os.Getenv(KernelEnv), Accel: os.Getenv(AccelEnv)}
}

// Prober finds the kernel and qemu and builds (or finds) the initramfs
// with binary as /init, for the accelerator probe.
func (c Config) Prober(binary string) (*Prober, error) {
	qemu := c.Qemu
	if qemu == "" {
		qemu = QemuBinary()
	}
	if _, err := exec.LookPath(qemu); err != nil {
		return nil, fmt.Errorf("%w (hack/deps.sh installs qemu)", err)
	}
	k, err := FindKernel("/boot", "/lib/modules", c.Kernel)
	if err != nil {
		return nil, err
	}
	image, err := k.BootImage(filepath.Join(StateDir, "kernel"))
	if err != nil {
		return nil, err
	}
	initrd, err := Initramfs(filepath.Join(StateDir, "initramfs"), k, binary)
	if err != nil {
		return nil, err
	}
	return &Prober{Qemu: qemu, KernelImage: image, Initrd: initrd, Timeout: ProbeTimeout,
		CacheDir: RuntimeDir, CacheKeySource: BootID}, nil
}
