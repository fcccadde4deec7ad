package podinit

import (
	"fmt"
	"os"

	"github.com/podunit/podunit/contract"
	"golang.org/x/sys/unix"
)

// prepareRootfs gives a container instance a fresh rootfs: Kubernetes
// keeps a container's filesystem changes only for one instance, so a
// restart drops the old upper/work dirs. The overlay is mounted in
// podinit's namespace (not the helper's) so that podinit can unmount and
// remount it for the next instance; the helper's namespace gets a copy.
func prepareRootfs(c *contract.Container) error {
	// Unmount whatever the previous instance left (stacked mounts too);
	// EINVAL means Rootfs is no longer a mount point.
	for i := 0; i < 16; i++ {
		if err := unix.Unmount(c.Rootfs, unix.MNT_DETACH); err != nil {
			break
		}
	}
	for _, d := range []string{c.Upper, c.Work} {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("container %s: clear %s: %w", c.Name, d, err)
		}
	}
	for _, d := range []string{c.Upper, c.Work, c.Rootfs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("container %s: %w", c.Name, err)
		}
	}
	// The upper dir is the overlay's root inode: the container's root
	// must own it, and everything copied up into it is written with the
	// container's (host-shifted) ids.
	if c.Security != nil && c.Security.UIDBase != 0 {
		if err := os.Chown(c.Upper, int(c.Security.UIDBase), int(c.Security.UIDBase)); err != nil {
			return fmt.Errorf("container %s: %w", c.Name, err)
		}
	}
	label := ""
	if c.Security != nil {
		label = c.Security.MountLabel
	}
	if err := mountOverlay(c.Layers, c.Upper, c.Work, c.Rootfs, label); err != nil {
		return fmt.Errorf("container %s: %w", c.Name, err)
	}
	return nil
}

// mountOverlay uses mount(2) when the options fit its one-page limit, and
// otherwise the new mount API, which takes each lower layer separately
// ("lowerdir+", Linux 6.8+), so deep images still mount.
// A SELinux label becomes the overlay's context=, so the container's
// files carry the pod's level.
func mountOverlay(layers []string, upper, work, target, label string) error {
	opts, err := overlayOptions(layers, upper, work)
	if err != nil {
		return err
	}
	if label != "" {
		opts += `,context="` + label + `"`
	}
	if len(opts) < os.Getpagesize() {
		if err := unix.Mount("overlay", target, "overlay", 0, opts); err != nil {
			return fmt.Errorf("mount overlay at %s (%s): %w", target, opts, err)
		}
		return nil
	}
	if err := mountOverlayFsopen(layers, upper, work, target, label); err != nil {
		return fmt.Errorf("mount overlay at %s (%d layers): %w", target, len(layers), err)
	}
	return nil
}

func mountOverlayFsopen(layers []string, upper, work, target, label string) error {
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("fsopen: %w", err)
	}
	defer unix.Close(fsfd)
	// Top-most layer first, as with the lowerdir option.
	for i := len(layers) - 1; i >= 0; i-- {
		if err := unix.FsconfigSetString(fsfd, "lowerdir+", layers[i]); err != nil {
			return fmt.Errorf("lowerdir+ %s: %w", layers[i], err)
		}
	}
	if err := unix.FsconfigSetString(fsfd, "upperdir", upper); err != nil {
		return fmt.Errorf("upperdir: %w", err)
	}
	if err := unix.FsconfigSetString(fsfd, "workdir", work); err != nil {
		return fmt.Errorf("workdir: %w", err)
	}
	if label != "" {
		if err := unix.FsconfigSetString(fsfd, "context", label); err != nil {
			return fmt.Errorf("context %s: %w", label, err)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("fsmount: %w", err)
	}
	defer unix.Close(mfd)
	if err := unix.MoveMount(mfd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	return nil
}
