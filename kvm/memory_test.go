package kvm

import "testing"

func TestMemoryMiB(t *testing.T) {
	for limit, want := range map[int64]int{
		0:         GuestMinMiB + GuestOverheadMiB,
		32 << 20:  GuestMinMiB,
		512 << 20: 512 + GuestOverheadMiB,
		1:         GuestMinMiB,
	} {
		if got := MemoryMiB(limit); got != want {
			t.Errorf("limits %d: %d MiB, want %d", limit, got, want)
		}
	}
	if CheckMemoryLimit(1<<20) == nil || CheckMemoryLimit(0) != nil || CheckMemoryLimit(64<<20) != nil {
		t.Error("CheckMemoryLimit")
	}
}
