package kvm

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/klauspost/compress/zstd"

	"github.com/podunit/podunit/internal/atomicfile"
)

// BootImage is the kernel image qemu boots: on x86 the uncompressed ELF
// vmlinux inside the bzImage, extracted once into dir, when it has a PVH
// entry point (Debian's has), else the bzImage itself. Under TCG the
// kernel's own XZ decompressor runs emulated and costs more than half
// the boot (README, kvm stage); qemu loads a PVH vmlinux directly.
func (k Kernel) BootImage(dir string) (string, error) {
	path := filepath.Join(dir, k.Version+".vmlinux")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	data, err := os.ReadFile(k.Path)
	if err != nil {
		return "", err
	}
	vmlinux, err := extractVmlinux(data)
	if err != nil {
		return k.Path, nil // not a bzImage we can unpack: the kernel decompresses itself
	}
	if !hasPVHEntry(vmlinux) {
		return k.Path, nil // qemu boots an ELF kernel only through PVH
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := atomicfile.Write(path, vmlinux, atomicfile.Options{Perm: 0o644}); err != nil {
		return "", fmt.Errorf("guest kernel: %w", err)
	}
	return path, nil
}

// extractVmlinux decompresses a bzImage's payload, which the x86 boot
// protocol (2.08+) locates: setup_sects at 0x1f1, payload_offset and
// payload_length at 0x248 and 0x24c, after the real-mode setup code.
func extractVmlinux(bz []byte) ([]byte, error) {
	if len(bz) < 0x250 || string(bz[0x202:0x206]) != "HdrS" || binary.LittleEndian.Uint16(bz[0x206:]) < 0x208 {
		return nil, errors.New("not a bzImage with boot protocol 2.08+")
	}
	setup := int(bz[0x1f1])
	if setup == 0 {
		setup = 4
	}
	start := (setup+1)*512 + int(binary.LittleEndian.Uint32(bz[0x248:]))
	end := start + int(binary.LittleEndian.Uint32(bz[0x24c:]))
	if start >= end || end > len(bz) {
		return nil, errors.New("bzImage payload out of range")
	}
	payload := bz[start:end]
	var r io.Reader
	var err error
	switch {
	case bytes.HasPrefix(payload, []byte("\xfd7zXZ\x00")):
		// xz(1): the kernel's stream has the x86 BCJ filter, which
		// no Go xz reader decodes. xz-utils is in every Debian.
		cmd := exec.Command("xz", "-dcq", "--single-stream") // the kernel appends its size
		cmd.Stdin = bytes.NewReader(payload)
		var out []byte
		out, err = cmd.Output()
		r = bytes.NewReader(out)
	case bytes.HasPrefix(payload, []byte("\x28\xb5\x2f\xfd")):
		var d *zstd.Decoder
		d, err = zstd.NewReader(bytes.NewReader(payload))
		if err == nil {
			defer d.Close()
			r = d
		}
	case bytes.HasPrefix(payload, []byte("\x1f\x8b")):
		r, err = gzip.NewReader(bytes.NewReader(payload))
	default:
		return nil, errors.New("bzImage payload: unknown compression")
	}
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(r)
	if err != nil && len(out) == 0 {
		return nil, err
	}
	// The kernel appends its uncompressed size after an xz or gzip
	// stream; a reader may take it for the start of another member.
	if !bytes.HasPrefix(out, []byte("\x7fELF")) {
		return nil, errors.New("bzImage payload is not an ELF kernel")
	}
	return out, nil
}

// hasPVHEntry looks for the Xen PHYS32_ENTRY note qemu needs to boot an
// ELF kernel.
func hasPVHEntry(vmlinux []byte) bool {
	f, err := elf.NewFile(bytes.NewReader(vmlinux))
	if err != nil {
		return false
	}
	const xenElfnotePhys32Entry = 18
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		notes, err := io.ReadAll(p.Open())
		if err != nil {
			continue
		}
		for len(notes) >= 12 {
			namesz := int(binary.LittleEndian.Uint32(notes))
			descsz := int(binary.LittleEndian.Uint32(notes[4:]))
			typ := binary.LittleEndian.Uint32(notes[8:])
			name := 12 + namesz
			next := (name+3)&^3 + (descsz+3)&^3
			if name > len(notes) || next > len(notes) {
				break
			}
			if typ == xenElfnotePhys32Entry && string(bytes.TrimRight(notes[12:name], "\x00")) == "Xen" {
				return true
			}
			notes = notes[next:]
		}
	}
	return false
}
