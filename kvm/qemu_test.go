package kvm

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/podunit/podunit/internal/golden"
)

func TestArgvGolden(t *testing.T) {
	base := VM{
		Binary: "qemu-system-x86_64", Machine: "microvm", Accel: KVM, MemoryMiB: 256, CPUs: 2,
		Kernel: "/boot/vmlinuz-6.1.0-57-amd64", Initrd: "/var/lib/podunit/kvm/initramfs/x.img",
		Cmdline: Cmdline(),
		Shares: []Share{
			{Tag: "podunit-run", HostPath: "/var/lib/podunit/pods/web/run"},
			{Tag: "podunit-images", HostPath: "/var/lib/podunit/images,odd", ReadOnly: true},
		},
		Ports: []Port{{Name: "org.podunit.journal", FD: 3}, {Name: "org.podunit.control", FD: 4}},
		Tap:   "tap0", MAC: "52:54:00:12:34:56",
	}
	q35 := base
	q35.Machine, q35.Accel, q35.Tap, q35.Ports = "q35", TCG, "", nil
	for name, vm := range map[string]VM{"microvm-kvm": base, "q35-tcg": q35} {
		t.Run(name, func(t *testing.T) {
			golden.Check(t, filepath.Join("testdata", name+".argv"), strings.Join(vm.Argv(), "\n")+"\n")
		})
	}
}

func TestVersionLess(t *testing.T) {
	if !versionLess("vmlinuz-6.1.0-9-amd64", "vmlinuz-6.1.0-10-amd64") || versionLess("vmlinuz-6.1.0-10-amd64", "vmlinuz-6.1.0-9-amd64") {
		t.Error("numeric parts not ordered by number")
	}
}
