package guest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/kvm/initramfs"
)

// loadModules loads the initramfs's modules in their (lexical) load
// order. Module parameters on the kernel command line (name.param=value,
// e.g. virtio_mmio.device= that qemu's microvm adds) reach a module only
// through whoever loads it, as modprobe does, so they are passed here.
func loadModules(cmdline string) error {
	entries, err := os.ReadDir(initramfs.ModulesDir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		if err := loadModule(filepath.Join(initramfs.ModulesDir, n), moduleParams(cmdline, initramfs.ModuleName(n[strings.IndexByte(n, '-')+1:]))); err != nil {
			return err
		}
	}
	return nil
}

func loadModule(path, params string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	flags := 0
	if !strings.HasSuffix(path, ".ko") {
		flags = unix.MODULE_INIT_COMPRESSED_FILE // .ko.xz, .ko.zst: the kernel decompresses
	}
	err = unix.FinitModule(int(f.Fd()), params, flags)
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("load module %s: %w", path, err)
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
