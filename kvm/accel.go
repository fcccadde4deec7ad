// Package kvm owns the qemu-kvm stage's choice of accelerator. The stage
// itself (pods as VMs) comes later; the accelerator probe already tells
// `podunit info` whether hardware isolation is possible here.
package kvm

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Accel is a qemu accelerator.
type Accel string

const (
	KVM Accel = "kvm"
	TCG Accel = "tcg" // software emulation: slow, but works everywhere
)

// DevicePath is the KVM device.
var DevicePath = "/dev/kvm"

// Probe reports whether KVM can be used, and why not when it cannot.
// Opening the device and asking its API version is what qemu does first;
// a device that exists but refuses either is no use.
func Probe() error {
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

// Choose picks the accelerator: want "kvm" or "tcg" forces one, "" or
// "auto" takes KVM when Probe succeeds and TCG otherwise.
func Choose(want string) (Accel, error) {
	switch want {
	case "kvm":
		if err := Probe(); err != nil {
			return "", fmt.Errorf("accelerator kvm requested: %w", err)
		}
		return KVM, nil
	case "tcg":
		return TCG, nil
	case "", "auto":
		if Probe() == nil {
			return KVM, nil
		}
		return TCG, nil
	}
	return "", fmt.Errorf("unknown accelerator %q (want auto, kvm or tcg)", want)
}
