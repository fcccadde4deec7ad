package kvm

import "runtime"

// debArch is Debian's name for this architecture (Go's, for the two the
// stage supports).
func debArch() string { return runtime.GOARCH }

// QemuBinary is qemu's system emulator for this architecture.
func QemuBinary() string {
	if runtime.GOARCH == "arm64" {
		return "qemu-system-aarch64"
	}
	return "qemu-system-x86_64"
}

// DefaultMachine is the machine type for an accelerator. On x86, microvm
// (no firmware, no PCI enumeration) boots fastest, but it has no HPET or
// ACPI PM timer: under TCG the kernel then often fails to calibrate the
// TSC against the PIT on a busy host and hangs (seen here in two boots of
// three), so TCG uses q35. Under KVM, kvmclock gives the guest the TSC
// frequency; the accelerator probe boots this very machine, so a KVM
// host where microvm does not boot falls back to TCG. arm64: virt.
func DefaultMachine(a Accel) string {
	switch {
	case runtime.GOARCH == "arm64":
		return "virt"
	case a == KVM:
		return "microvm"
	}
	return "q35"
}

// consoleDevice is the serial console's name in the guest.
func consoleDevice() string {
	if runtime.GOARCH == "arm64" {
		return "ttyAMA0"
	}
	return "ttyS0"
}
