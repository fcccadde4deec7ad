package kvm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeQemu writes a qemu that prints script's output and counts its runs.
func fakeQemu(t *testing.T, dir, output string) string {
	t.Helper()
	path := filepath.Join(dir, "qemu")
	script := "#!/bin/sh\necho run >> " + filepath.Join(dir, "runs") + "\nprintf '%s\\n' '" + output + "'\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func testProber(t *testing.T, output string) (*Prober, string) {
	dir := t.TempDir()
	for _, f := range []string{"vmlinuz-1", "initrd"} {
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	deviceCheck = func() error { return nil }
	t.Cleanup(func() { deviceCheck = openDevice })
	return &Prober{
		Qemu: fakeQemu(t, dir, output), KernelImage: filepath.Join(dir, "vmlinuz-1"),
		Initrd: filepath.Join(dir, "initrd"), Timeout: ProbeTimeout, CacheDir: filepath.Join(dir, "cache"),
		CacheKeySource: func() (string, error) { return "boot-1", nil },
	}, dir
}

func runs(t *testing.T, dir string) int {
	b, _ := os.ReadFile(filepath.Join(dir, "runs"))
	return strings.Count(string(b), "run")
}

func TestAutoCachesTheBootVerdict(t *testing.T) {
	p, dir := testProber(t, "podunit-guest: init started")
	for i := 0; i < 2; i++ {
		if v := p.Auto(); v.Accel != KVM {
			t.Fatalf("booting guest: %+v", v)
		}
	}
	if n := runs(t, dir); n != 1 {
		t.Errorf("probe booted %d times, want once", n)
	}
	p.CacheKeySource = func() (string, error) { return "boot-2", nil }
	p.Auto()
	if n := runs(t, dir); n != 2 {
		t.Errorf("a new host boot did not probe again (%d runs)", n)
	}
}

func TestAutoWithoutBootIsTCG(t *testing.T) {
	p, _ := testProber(t, "SeaBIOS (version 1.16.2)")
	v := p.Auto()
	if v.Accel != TCG || !strings.Contains(v.Summary(), "device present but a guest does not boot") {
		t.Errorf("hanging guest: %+v", v)
	}
}

func TestChooseOverrides(t *testing.T) {
	p, dir := testProber(t, "nothing")
	if v, err := p.Choose("tcg"); err != nil || v.Accel != TCG {
		t.Errorf("tcg: %v %v", v, err)
	}
	if v, err := p.Choose("kvm"); err != nil || v.Accel != KVM {
		t.Errorf("kvm forced: %v %v", v, err)
	}
	if runs(t, dir) != 0 {
		t.Error("a forced accelerator booted the probe")
	}
	if _, err := p.Choose("xen"); err == nil {
		t.Error("unknown accelerator accepted")
	}
	DevicePath = filepath.Join(dir, "no-kvm")
	deviceCheck = openDevice
	t.Cleanup(func() { DevicePath = "/dev/kvm" })
	if _, err := p.Choose("kvm"); err == nil {
		t.Error("forced kvm without a device succeeded")
	}
	if v := p.Auto(); v.Accel != TCG || !strings.Contains(v.Reason, "no-kvm") {
		t.Errorf("auto without a device: %+v", v)
	}
}
