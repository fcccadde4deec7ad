package guest

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/kvm/wire"
)

type mnt struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
}

func (m mnt) mount() error {
	if err := os.MkdirAll(m.target, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(m.source, m.target, m.fstype, m.flags, m.data); err != nil {
		return fmt.Errorf("mount %s (%s) at %s: %w", m.source, m.fstype, m.target, err)
	}
	return nil
}

// mountKernelFS gives podinit what nspawn gives it: /proc, /sys, /dev
// with pts and shm, /run and the cgroup hierarchy.
func mountKernelFS() error {
	const nosuid, nodev, noexec = unix.MS_NOSUID, unix.MS_NODEV, unix.MS_NOEXEC
	for _, m := range []mnt{
		{"proc", "/proc", "proc", nosuid | nodev | noexec, ""},
		{"sysfs", "/sys", "sysfs", nosuid | nodev | noexec, ""},
		{"devtmpfs", "/dev", "devtmpfs", nosuid, "mode=0755"},
		{"devpts", "/dev/pts", "devpts", nosuid | noexec, "newinstance,ptmxmode=0666,mode=0620"},
		{"tmpfs", "/dev/shm", "tmpfs", nosuid | nodev, "mode=1777"},
		{"tmpfs", "/run", "tmpfs", nosuid | nodev, "mode=0755"},
		{"tmpfs", "/tmp", "tmpfs", nosuid | nodev, "mode=1777"},
		{"cgroup2", "/sys/fs/cgroup", "cgroup2", nosuid | nodev | noexec, ""},
	} {
		if err := m.mount(); err != nil {
			return err
		}
	}
	return nil
}

// shareMount is the mount of the 9p share tag at target.
func shareMount(tag, target string, readOnly bool) mnt {
	var flags uintptr = unix.MS_NODEV
	if readOnly {
		flags |= unix.MS_RDONLY
	}
	// msize: the largest request; 9p's default of 8 KiB makes reads of
	// image files slow. A read-only share (the image store) never
	// changes under the guest, so it may cache everything.
	data := "trans=virtio,version=9p2000.L,msize=512000"
	if readOnly {
		data += ",cache=loose"
	}
	return mnt{tag, target, "9p", flags, data}
}

// mountShares mounts the pod's run directory, then the shares its
// GuestConfig lists (the image store first of all), then a tmpfs for the
// containers' overlay upper and work dirs: overlayfs refuses 9p as an
// upper layer (it revalidates dentries), so a container's writes stay in
// guest memory, as Kubernetes' writable layer stays on the node and goes
// with the container instance.
func mountShares() error {
	if err := shareMount(wire.RunShareTag, contract.RunDir, false).mount(); err != nil {
		return err
	}
	cfg, err := readGuestConfig(filepath.Join(contract.RunDir, wire.GuestConfigName))
	if err != nil {
		return err
	}
	for _, s := range cfg.Shares {
		if err := shareMount(s.Tag, s.Path, s.ReadOnly).mount(); err != nil {
			return err
		}
	}
	return mnt{"tmpfs", contract.RunDir + "/containers", "tmpfs", unix.MS_NODEV, "mode=0755"}.mount()
}
