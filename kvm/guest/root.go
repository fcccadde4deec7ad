package guest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/kvm/initramfs"
)

// rootEnv marks the re-executed init that runs on the tmpfs root.
const rootEnv = "PODUNIT_GUEST_ROOT=tmpfs"

// switchRoot moves the initramfs's content to a tmpfs that becomes the
// root, and re-executes /init there. The kernel's rootfs cannot be
// pivoted away from, and every container's helper calls pivot_root (as
// under nspawn); on a tmpfs root it can. Returns only on failure, or at
// once in the re-executed init.
func switchRoot() error {
	for _, e := range os.Environ() {
		if e == rootEnv {
			return os.Unsetenv("PODUNIT_GUEST_ROOT")
		}
	}
	const newRoot = "/root"
	if err := (mnt{"tmpfs", newRoot, "tmpfs", 0, "mode=0755"}).mount(); err != nil {
		return err
	}
	files := []string{initramfs.InitPath}
	mods, err := filepath.Glob(filepath.Join(initramfs.ModulesDir, "*"))
	if err != nil {
		return err
	}
	for _, f := range append(files, mods...) {
		if err := copyFile(f, filepath.Join(newRoot, f)); err != nil {
			return fmt.Errorf("switch root: %w", err)
		}
		// The old root stays in memory, hidden: empty it, as
		// switch_root does.
		os.Remove(f)
	}
	if err := os.Chdir(newRoot); err != nil {
		return err
	}
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("switch root: move %s to /: %w", newRoot, err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("switch root: chroot: %w", err)
	}
	if err := os.Chdir("/"); err != nil {
		return err
	}
	return unix.Exec(initramfs.InitPath, os.Args, append(os.Environ(), rootEnv))
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, st.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
