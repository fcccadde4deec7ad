package guest

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/kvm/initramfs"
)

// switchRoot makes a tmpfs the root and returns the initramfs's module
// directory, still open, for loadModules. The kernel's rootfs cannot be
// pivoted away from, and every container's helper calls pivot_root (as
// under nspawn); from a tmpfs root it can. Nothing is copied: this
// process keeps running from the initramfs's /init, which podinit
// re-executes as /proc/self/exe for each container's helper.
func switchRoot() (*os.File, error) {
	mods, err := os.Open(initramfs.ModulesDir)
	if err != nil {
		return nil, err
	}
	const newRoot = "/root"
	steps := []func() error{
		(mnt{"tmpfs", newRoot, "tmpfs", 0, "mode=0755"}).mount,
		func() error { return os.Chdir(newRoot) },
		func() error { return unix.Mount(".", "/", "", unix.MS_MOVE, "") },
		func() error { return unix.Chroot(".") },
		func() error { return os.Chdir("/") },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			mods.Close()
			return nil, fmt.Errorf("switch to a tmpfs root: %w", err)
		}
	}
	return mods, nil
}
