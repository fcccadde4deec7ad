package images_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/podunit/podunit/images"
	"github.com/podunit/podunit/images/imagetest"
)

// TestGCRepairsCrash simulates a writer killed mid-load: a half-unpacked
// staging dir, an orphan layer and an orphan blob.
func TestGCRepairsCrash(t *testing.T) {
	requireRoot(t)
	s := openStore(t)
	p := filepath.Join(t.TempDir(), "a.tar")
	must(t, imagetest.BusyboxArchive(p, "a"))
	img := load(t, s, p)[0]

	orphan := strings.Repeat("ab", 32)
	must(t, os.MkdirAll(filepath.Join(s.Root(), "tmp/layer-123/diff/bin"), 0o755))
	must(t, os.MkdirAll(filepath.Join(s.Root(), "layers", orphan, "diff"), 0o755))
	must(t, os.WriteFile(filepath.Join(s.Root(), "blobs/sha256", orphan), []byte("x"), 0o644))

	must(t, s.GC())
	exists(t, filepath.Join(s.Root(), "tmp/layer-123"), false)
	exists(t, filepath.Join(s.Root(), "layers", orphan), false)
	exists(t, filepath.Join(s.Root(), "blobs/sha256", orphan), false)
	exists(t, img.Layers[0], true)
	if _, err := s.Resolve("a"); err != nil {
		t.Error(err)
	}
}

// TestConcurrentLoads runs loads from several goroutines, each with its own
// Store value as separate processes would: the flock serialises them and
// the shared layer is unpacked once.
func TestConcurrentLoads(t *testing.T) {
	requireRoot(t)
	root := filepath.Join(t.TempDir(), "images")
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		p := filepath.Join(dir, strings.Repeat("x", i+1)+".tar")
		must(t, imagetest.BusyboxArchive(p, "img"+strings.Repeat("x", i)+":1", imagetest.WithCmd("c"+strings.Repeat("x", i))))
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := images.Open(root)
			if err == nil {
				_, err = s.Load(context.Background(), p, nil)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	s, err := images.Open(root)
	must(t, err)
	list, err := s.List()
	must(t, err)
	if len(list) != len(errs) {
		t.Errorf("List: %d images, want %d", len(list), len(errs))
	}
	if n := countDir(t, filepath.Join(root, "layers")); n != 1 {
		t.Errorf("%d layer dirs, want 1", n)
	}
}
