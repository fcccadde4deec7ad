package podinit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/podunit/podunit/contract"
)

// TestApplyResources: the files and values the kubelet writes into a
// container's cgroup (cgroupfs files are plain files to this test).
func TestApplyResources(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"memory.max", "memory.low", "memory.swap.max", "cpu.max", "cpu.weight"} {
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	if err := applyResources(dir, &contract.Resources{MemoryMax: 32 << 20, MemoryLow: 16 << 20, CPUMaxMillis: 250, CPUWeight: 10}); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{
		"memory.max": "33554432", "memory.low": "16777216", "memory.swap.max": "0",
		"cpu.max": "25000 100000", "cpu.weight": "10",
	} {
		if b, _ := os.ReadFile(filepath.Join(dir, f)); string(b) != want {
			t.Errorf("%s = %q, want %q", f, b, want)
		}
	}
	// A tiny CPU limit still gets the kernel's least quota, not none.
	applyResources(dir, &contract.Resources{CPUMaxMillis: 1})
	if b, _ := os.ReadFile(filepath.Join(dir, "cpu.max")); string(b) != "1000 100000" {
		t.Errorf("cpu.max for 1m = %q", b)
	}
}
