package images_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/podunit/podunit/images/imagetest"
	"golang.org/x/sys/unix"
)

// TestOverlayMerge loads a three-layer image with whiteouts and an opaque
// directory and mounts its layers the way a pod would, checking the merged
// view rather than just the on-disk encoding.
func TestOverlayMerge(t *testing.T) {
	requireRoot(t)
	s := openStore(t)
	p := filepath.Join(t.TempDir(), "ml.tar")
	must(t, imagetest.BusyboxArchive(p, "multi",
		imagetest.WithLayer(
			imagetest.File("data/keep", "k"),
			imagetest.File("data/drop", "d"),
			imagetest.File("opq/old", "o"),
			imagetest.File("opq/sub/old", "o"),
		),
		imagetest.WithLayer(
			imagetest.Whiteout("etc/hosts"),
			imagetest.Whiteout("data/drop"),
			imagetest.Whiteout("home"),
			imagetest.Opaque("opq"),
			imagetest.File("opq/new", "n"),
		),
	))
	img := load(t, s, p)[0]
	if len(img.Layers) != 3 {
		t.Fatalf("layers: %v", img.Layers)
	}
	top := img.Layers[2]
	var st unix.Stat_t
	must(t, unix.Lstat(filepath.Join(top, "etc/hosts"), &st))
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("etc/hosts in top layer: mode %o rdev %d", st.Mode, st.Rdev)
	}
	buf := make([]byte, 4)
	if n, err := unix.Lgetxattr(filepath.Join(top, "opq"), "trusted.overlay.opaque", buf); err != nil || string(buf[:n]) != "y" {
		t.Errorf("opq xattr %q %v", buf[:n], err)
	}

	mnt := filepath.Join(t.TempDir(), "merged")
	must(t, os.Mkdir(mnt, 0o755))
	lower := slices.Clone(img.Layers)
	slices.Reverse(lower) // overlayfs lists lowerdirs top-first
	if err := unix.Mount("overlay", mnt, "overlay", unix.MS_RDONLY, "lowerdir="+strings.Join(lower, ":")); err != nil {
		t.Skipf("cannot mount overlayfs here: %v", err)
	}
	defer unix.Unmount(mnt, unix.MNT_DETACH)

	for path, want := range map[string]bool{
		"bin/busybox": true, "etc/passwd": true, "etc/hosts": false,
		"data/keep": true, "data/drop": false, "home": false, "home/app": false,
		"opq": true, "opq/new": true, "opq/old": false, "opq/sub": false,
	} {
		_, err := os.Lstat(filepath.Join(mnt, path))
		if got := err == nil; got != want {
			t.Errorf("merged %s exists = %v, want %v (%v)", path, got, want, err)
		}
	}
	ents, err := os.ReadDir(filepath.Join(mnt, "opq"))
	if err != nil || len(ents) != 1 || ents[0].Name() != "new" {
		t.Errorf("merged opq/ = %v %v", ents, err)
	}
}
