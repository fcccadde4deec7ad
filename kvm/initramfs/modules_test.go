package initramfs

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeIndex(t *testing.T, dep, builtin string) *modIndex {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "modules.dep"), []byte(dep), 0o644)
	if builtin != "" {
		os.WriteFile(filepath.Join(dir, "modules.builtin"), []byte(builtin), 0o644)
	}
	idx, err := readModIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// An excerpt of Debian 6.1's modules.dep.
const debianDep = `kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/net/9p/9pnet.ko:
kernel/fs/netfs/netfs.ko:
kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko
kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko
kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/fs/overlayfs/overlay.ko.xz:
`

func TestResolveOrdersDependenciesFirst(t *testing.T) {
	idx := writeIndex(t, debianDep, "kernel/fs/ext4/ext4.ko\n")
	got, err := idx.resolve([]string{"virtio-pci", "9p", "9pnet_virtio", "overlay", "ext4"}, []string{"vsock"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"kernel/drivers/virtio/virtio_pci_legacy_dev.ko", "kernel/drivers/virtio/virtio_pci_modern_dev.ko",
		"kernel/drivers/virtio/virtio.ko", "kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio_pci.ko",
		"kernel/net/9p/9pnet.ko", "kernel/fs/netfs/netfs.ko", "kernel/fs/fscache/fscache.ko", "kernel/fs/9p/9p.ko",
		"kernel/net/9p/9pnet_virtio.ko", "kernel/fs/overlayfs/overlay.ko.xz",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestResolveErrors(t *testing.T) {
	idx := writeIndex(t, debianDep, "")
	if _, err := idx.resolve([]string{"vsock"}, nil); err == nil || !strings.Contains(err.Error(), "vsock") {
		t.Errorf("missing required module: %v", err)
	}
	idx = writeIndex(t, "a.ko: b.ko\nb.ko: a.ko\n", "")
	if _, err := idx.resolve([]string{"a"}, nil); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: %v", err)
	}
	idx = writeIndex(t, "a.ko: gone.ko\n", "")
	if _, err := idx.resolve([]string{"a"}, nil); err == nil || !strings.Contains(err.Error(), "gone.ko") {
		t.Errorf("dangling dependency: %v", err)
	}
}

func TestModuleName(t *testing.T) {
	for in, want := range map[string]string{
		"kernel/fs/fuse/virtiofs.ko": "virtiofs", "x/virtio-pci.ko.xz": "virtio_pci", "9pnet_virtio.ko.zst": "9pnet_virtio",
	} {
		if got := ModuleName(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
