package kvm

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/podunit/podunit/kvm/initramfs"
	"github.com/podunit/podunit/kvm/wire"
)

// Kernel is a guest kernel and its modules.
type Kernel struct {
	Path, Version, Modules string
}

// FindKernel picks the newest /boot/vmlinuz-<version> in boot (Debian's
// linux-image package installs it there, its modules in
// /lib/modules/<version>), or uses path when it is set.
func FindKernel(boot, modules, path string) (Kernel, error) {
	if path == "" {
		found, _ := filepath.Glob(filepath.Join(boot, "vmlinuz-*"))
		if len(found) == 0 {
			return Kernel{}, fmt.Errorf("no guest kernel: no %s/vmlinuz-* (apt-get install linux-image-%s, or name one)", boot, debArch())
		}
		sort.Slice(found, func(i, j int) bool { return versionLess(found[i], found[j]) })
		path = found[len(found)-1]
	}
	v, ok := strings.CutPrefix(filepath.Base(path), "vmlinuz-")
	if !ok {
		return Kernel{}, fmt.Errorf("guest kernel %s: not named vmlinuz-<version>, so its modules cannot be found", path)
	}
	return Kernel{Path: path, Version: v, Modules: filepath.Join(modules, v)}, nil
}

// versionLess orders kernel file names by their numeric parts, so that
// 6.1.0-10 comes after 6.1.0-9.
func versionLess(a, b string) bool {
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '-' })
	}
	pa, pb := split(a), split(b)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] == pb[i] {
			continue
		}
		var na, nb int
		_, ea := fmt.Sscanf(pa[i], "%d", &na)
		_, eb := fmt.Sscanf(pb[i], "%d", &nb)
		if ea == nil && eb == nil && na != nb {
			return na < nb
		}
		return pa[i] < pb[i]
	}
	return len(pa) < len(pb)
}

// Guest modules: the buses (PCI for q35 and virt, MMIO for microvm), the
// console ports, 9p for the shares, overlay for the containers' rootfs,
// fuse for containers that use it, and the NIC; vsock where the kernel
// has it.
var (
	requiredModules = []string{"virtio_pci", "virtio_mmio", "virtio_console", "9p", "9pnet_virtio", "overlay", "fuse", "virtio_net"}
	optionalModules = []string{"vsock", "vmw_vsock_virtio_transport"}
)

// Initramfs returns the cached initramfs for kernel with binary (the
// static podunit) as /init, building it into dir when needed.
func Initramfs(dir string, k Kernel, binary string) (string, error) {
	return initramfs.Ensure(dir, k.Version, initramfs.Spec{
		KernelModules: k.Modules, Init: binary, Required: requiredModules, Optional: optionalModules,
	})
}

// Cmdline is the guest kernel's command line: the console on the serial
// port, quiet (every console byte is an emulated port write under TCG),
// no reboot on panic (qemu's -no-reboot turns it into an exit) and the
// marker the guest init checks.
func Cmdline() string {
	return "console=" + consoleDevice() + " quiet panic=-1 " + wire.StageArg
}
