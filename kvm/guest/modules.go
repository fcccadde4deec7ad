package guest

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/kvm/initramfs"
)

// loadModules loads the initramfs's modules (dir) in their lexical
// order, removing each file once loaded: they are in memory twice
// otherwise. Module parameters on the kernel command line
// (name.param=value, e.g. virtio_mmio.device= that qemu's microvm adds)
// reach a module only through whoever loads it, as modprobe does, so
// they are passed here.
func loadModules(dir *os.File, cmdline string) error {
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		module := initramfs.ModuleName(n[strings.IndexByte(n, '-')+1:])
		if err := loadModule(dir, n, moduleParams(cmdline, module)); err != nil {
			return err
		}
		unix.Unlinkat(int(dir.Fd()), n, 0)
	}
	return nil
}

func loadModule(dir *os.File, name, params string) error {
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("module %s: %w", name, err)
	}
	defer unix.Close(fd)
	flags := 0
	if !strings.HasSuffix(name, ".ko") {
		flags = unix.MODULE_INIT_COMPRESSED_FILE // .ko.xz, .ko.zst: the kernel decompresses
	}
	err = unix.FinitModule(fd, params, flags)
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("load module %s: %w", name, err)
	}
	return nil
}

func moduleParams(cmdline, module string) string {
	var ps []string
	for _, f := range strings.Fields(cmdline) {
		name, param, ok := strings.Cut(f, ".")
		if ok && strings.ReplaceAll(name, "-", "_") == module && !strings.HasPrefix(param, "=") {
			ps = append(ps, param)
		}
	}
	return strings.Join(ps, " ")
}
