package images_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podunit/podunit/images"
	"github.com/podunit/podunit/images/imagetest"
)

// TestVerify damages a layer's file and a blob as a failing disk would:
// verify names both and the image that needs them, changes nothing
// without --repair, and with it removes them so the next load is whole.
func TestVerify(t *testing.T) {
	requireRoot(t)
	root := filepath.Join(t.TempDir(), "images")
	archive := filepath.Join(t.TempDir(), "b.tar")
	must(t, imagetest.BusyboxArchive(archive, "localhost/v:1"))
	s, err := images.Open(root)
	must(t, err)
	imgs, err := s.Load(context.Background(), archive, nil)
	must(t, err)
	rep, err := s.Verify(false)
	must(t, err)
	if rep.Damaged() || rep.Layers != 1 || rep.Blobs < 1 || rep.Images != 1 {
		t.Fatalf("sound store: %+v", rep)
	}

	busybox := filepath.Join(imgs[0].Layers[0], "bin", "busybox")
	b, err := os.ReadFile(busybox)
	must(t, err)
	b[len(b)/2] ^= 1
	must(t, os.WriteFile(busybox, b, 0o755))
	blob := filepath.Join(root, "blobs", "sha256", strings.TrimPrefix(imgs[0].ID, "sha256:"))
	must(t, os.WriteFile(blob, []byte("{}"), 0o644))

	rep, err = s.Verify(false)
	must(t, err)
	kinds := map[string]bool{}
	for _, p := range rep.Problems {
		kinds[p.Kind] = true
		if p.Repaired {
			t.Errorf("repaired without --repair: %+v", p)
		}
	}
	if !rep.Damaged() || !kinds["blob"] || !kinds["layer"] || !kinds["image"] {
		t.Fatalf("damaged store: %+v", rep)
	}
	if list, _ := s.List(); len(list) != 1 {
		t.Fatalf("verify without --repair removed the image")
	}

	rep, err = s.Verify(true)
	must(t, err)
	if rep.Damaged() {
		t.Fatalf("after --repair: %+v", rep)
	}
	if list, _ := s.List(); len(list) != 0 {
		t.Fatalf("the damaged image is still listed: %v", list)
	}
	if _, err := os.Stat(blob); !os.IsNotExist(err) {
		t.Errorf("damaged blob kept: %v", err)
	}
	_, err = s.Load(context.Background(), archive, nil)
	must(t, err)
	if rep, err := s.Verify(false); err != nil || rep.Damaged() {
		t.Fatalf("after a new load: %+v %v", rep, err)
	}
}
