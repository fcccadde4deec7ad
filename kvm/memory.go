package kvm

import "fmt"

// Guest memory. The guest kernel, its page tables, podinit and the tmpfs
// root (the podunit binary, about 17 MiB) need GuestOverheadMiB beside
// what the containers use; measured under TCG (README, kvm stage):
// a busybox pod boots and runs in GuestMinMiB.
const (
	GuestOverheadMiB = 96
	GuestMinMiB      = 160
)

// MemoryMiB is the VM's memory for a pod whose memory limits add up to
// limitBytes (0: no limits): the limits plus the overhead, at least the
// minimum. A limit that leaves the containers less than nothing cannot
// be met.
func MemoryMiB(limitBytes int64) int {
	if limitBytes <= 0 {
		return GuestMinMiB + GuestOverheadMiB
	}
	mib := int((limitBytes + (1<<20 - 1)) >> 20)
	return max(mib+GuestOverheadMiB, GuestMinMiB)
}

// CheckMemoryLimit refuses a pod memory limit below what the containers
// of a VM pod can live in: the guest's own overhead comes on top, but a
// limit so small that the kernel's OOM killer would end the first
// container at once is a mistake to report, not to run.
func CheckMemoryLimit(limitBytes int64) error {
	const minContainerMiB = 4
	if limitBytes > 0 && limitBytes < minContainerMiB<<20 {
		return fmt.Errorf("memory limits of %d bytes in all are below the %d MiB a VM pod's containers need (the guest's own %d MiB come on top)", limitBytes, minContainerMiB, GuestOverheadMiB)
	}
	return nil
}
