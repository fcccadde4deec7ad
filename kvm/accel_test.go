package kvm

import (
	"path/filepath"
	"testing"
)

func TestChoose(t *testing.T) {
	old := DevicePath
	t.Cleanup(func() { DevicePath = old })
	DevicePath = filepath.Join(t.TempDir(), "no-kvm")
	if a, err := Choose("auto"); err != nil || a != TCG {
		t.Fatalf("auto without kvm: %v %v", a, err)
	}
	if _, err := Choose("kvm"); err == nil {
		t.Fatal("forced kvm without a device succeeded")
	}
	if a, err := Choose("tcg"); err != nil || a != TCG {
		t.Fatalf("tcg: %v %v", a, err)
	}
	if _, err := Choose("xen"); err == nil {
		t.Fatal("unknown accelerator accepted")
	}
}
