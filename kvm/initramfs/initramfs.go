// Package initramfs builds the kvm stage's initramfs: a newc cpio archive
// with the static podunit binary as /init (podinit, in its guest role)
// and the guest kernel's modules that the stage needs, in load order.
// The kernel unpacks it into its rootfs; nothing else is in the guest's
// root filesystem, so no distribution's initramfs tools are involved.
package initramfs

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cavaliergopher/cpio"
)

// InitPath is where the kernel looks for the first process.
const InitPath = "/init"

// ModulesDir is the initramfs directory holding the module files, named
// NNN-<name>.ko[.xz|.zst] so that their lexical order is the load order.
const ModulesDir = "/modules"

// Spec is one initramfs.
type Spec struct {
	// KernelModules is the kernel's /lib/modules/<version>.
	KernelModules string
	// Init is the static binary that becomes /init.
	Init string
	// Required modules must be modules or built in; Optional ones are
	// carried where the kernel has them.
	Required, Optional []string
}

// Write writes the initramfs as an uncompressed newc cpio archive.
// Uncompressed because the guest unpacks it under software emulation
// too, where gunzip of the binary costs more than copying it (see
// README, kvm stage).
func Write(w io.Writer, s Spec) error {
	idx, err := readModIndex(s.KernelModules)
	if err != nil {
		return fmt.Errorf("kernel modules: %w", err)
	}
	mods, err := idx.resolve(s.Required, s.Optional)
	if err != nil {
		return fmt.Errorf("kernel modules in %s: %w", s.KernelModules, err)
	}
	cw := cpio.NewWriter(w)
	if err := addFile(cw, s.Init, strings.TrimPrefix(InitPath, "/"), 0o755); err != nil {
		return err
	}
	dir := strings.TrimPrefix(ModulesDir, "/")
	if err := cw.WriteHeader(&cpio.Header{Name: dir, Mode: cpio.TypeDir | 0o755, Links: 2}); err != nil {
		return err
	}
	for i, m := range mods {
		name := fmt.Sprintf("%s/%03d-%s", dir, i, filepath.Base(m))
		if err := addFile(cw, filepath.Join(s.KernelModules, m), name, 0o644); err != nil {
			return err
		}
	}
	return cw.Close()
}

func addFile(cw *cpio.Writer, src, name string, perm cpio.FileMode) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := cw.WriteHeader(&cpio.Header{Name: name, Mode: cpio.TypeReg | perm, Size: st.Size(), Links: 1}); err != nil {
		return fmt.Errorf("initramfs %s: %w", name, err)
	}
	if _, err := io.Copy(cw, f); err != nil {
		return fmt.Errorf("initramfs %s: %w", name, err)
	}
	return nil
}

// Key names the initramfs of a kernel version and spec: it changes when
// the kernel, the binary or the module lists do.
func Key(kernelVersion string, s Spec) (string, error) {
	f, err := os.Open(s.Init)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", s.Init, err)
	}
	fmt.Fprintf(h, "\x00%s\x00%s\x00%s", kernelVersion, strings.Join(s.Required, ","), strings.Join(s.Optional, ","))
	return kernelVersion + "-" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

// Ensure returns the cached initramfs for the kernel version and spec in
// dir, building it first when it is missing. The image is written to a
// temporary file and renamed into place, so a concurrent or interrupted
// build never leaves a torn image under the final name.
func Ensure(dir, kernelVersion string, s Spec) (string, error) {
	key, err := Key(kernelVersion, s)
	if err != nil {
		return "", fmt.Errorf("initramfs: %w", err)
	}
	path := filepath.Join(dir, key+".img")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("initramfs: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+key+".*")
	if err != nil {
		return "", fmt.Errorf("initramfs: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	bw := bufio.NewWriterSize(tmp, 1<<20)
	err = Write(bw, s)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return "", fmt.Errorf("initramfs %s: %w", path, err)
	}
	return path, nil
}
