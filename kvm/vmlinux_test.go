package kvm

import (
	"os"
	"path/filepath"
	"testing"
)

// TestBootImage unpacks the installed Debian kernel, when there is one.
func TestBootImage(t *testing.T) {
	k, err := FindKernel("/boot", "/lib/modules", "")
	if err != nil {
		t.Skip(err)
	}
	if testing.Short() {
		t.Skip("decompresses a kernel; skipped with -short")
	}
	dir := t.TempDir()
	img, err := k.BootImage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if img != filepath.Join(dir, k.Version+".vmlinux") {
		t.Fatalf("booted as %s, not an extracted PVH vmlinux", img)
	}
	if data, _ := os.ReadFile(img); !hasPVHEntry(data) {
		t.Error("no PVH entry note")
	}
	if _, err := extractVmlinux([]byte("not a kernel")); err == nil {
		t.Error("garbage accepted")
	}
}
