package images_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/podunit/podunit/images"
	"github.com/podunit/podunit/images/imagetest"
	"golang.org/x/sys/unix"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (ownership, device nodes, trusted xattrs)")
	}
	if _, err := os.Stat(imagetest.HostBusybox); err != nil {
		t.Skip("needs busybox-static")
	}
}

func openStore(t *testing.T) *images.Store {
	t.Helper()
	s, err := images.Open(filepath.Join(t.TempDir(), "images"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func load(t *testing.T, s *images.Store, path string) []*images.Image {
	t.Helper()
	var progress bytes.Buffer
	imgs, err := s.Load(context.Background(), path, &progress)
	if err != nil {
		t.Fatalf("Load(%s): %v\nprogress:\n%s", path, err, progress.String())
	}
	return imgs
}

func gzipFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadFormats(t *testing.T) {
	requireRoot(t)
	opts := []imagetest.Option{
		imagetest.WithEntrypoint("/bin/sh", "-c"),
		imagetest.WithCmd("echo hi"),
		imagetest.WithEnv("FOO=bar"),
		imagetest.WithWorkingDir("/home/app"),
		imagetest.WithUser("1000:1000"),
	}
	cases := []struct {
		name  string
		write func(t *testing.T, dir string) string
	}{
		{"docker-archive gzip", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "a.tar")
			must(t, imagetest.BusyboxArchive(p, "busybox:1.36", opts...))
			return p
		}},
		{"docker-archive uncompressed", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "a.tar")
			must(t, imagetest.BusyboxArchive(p, "busybox:1.36", append(opts, imagetest.WithCompression(imagetest.None))...))
			return p
		}},
		{"docker-archive zstd layers", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "a.tar")
			must(t, imagetest.BusyboxArchive(p, "busybox:1.36", append(opts, imagetest.WithCompression(imagetest.Zstd))...))
			return p
		}},
		{"docker-archive gzipped archive", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "a.tar")
			must(t, imagetest.BusyboxArchive(p, "busybox:1.36", append(opts, imagetest.WithCompression(imagetest.None))...))
			gzipFile(t, p, p+".gz")
			return p + ".gz"
		}},
		{"oci-archive", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "a.tar")
			must(t, imagetest.OCIArchive(p, "busybox:1.36", opts...))
			return p
		}},
		{"oci-layout zstd", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "layout")
			must(t, imagetest.WriteOCILayout(p, "busybox:1.36", append(opts, imagetest.WithCompression(imagetest.Zstd))...))
			return p
		}},
		{"oci-layout uncompressed", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "layout")
			must(t, imagetest.WriteOCILayout(p, "busybox:1.36", append(opts, imagetest.WithCompression(imagetest.None))...))
			return p
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			imgs := load(t, s, tc.write(t, t.TempDir()))
			if len(imgs) != 1 {
				t.Fatalf("got %d images", len(imgs))
			}
			img := imgs[0]
			if want := []string{"docker.io/library/busybox:1.36"}; !slices.Equal(img.RepoTags, want) {
				t.Errorf("RepoTags = %v, want %v", img.RepoTags, want)
			}
			if want := []string{"busybox:1.36"}; !slices.Equal(img.Names(), want) {
				t.Errorf("Names = %v, want %v", img.Names(), want)
			}
			c := img.Config
			if !slices.Equal(c.Entrypoint, []string{"/bin/sh", "-c"}) || !slices.Equal(c.Cmd, []string{"echo hi"}) ||
				!slices.Contains(c.Env, "FOO=bar") || c.WorkingDir != "/home/app" || c.User != "1000:1000" {
				t.Errorf("Config = %+v", c)
			}
			if len(img.Layers) != 1 || img.Size <= 0 || !img.Created.Equal(imagetest.Epoch) {
				t.Errorf("Layers=%v Size=%d Created=%v", img.Layers, img.Size, img.Created)
			}
			base := img.Layers[0]
			if !filepath.IsAbs(base) {
				t.Errorf("layer path %q not absolute", base)
			}
			fi, err := os.Stat(filepath.Join(base, "bin/busybox"))
			if err != nil || fi.Mode().Perm() != 0o755 {
				t.Fatalf("bin/busybox: %v %v", fi, err)
			}
			if target, err := os.Readlink(filepath.Join(base, "bin/sh")); err != nil || target != "busybox" {
				t.Errorf("bin/sh -> %q, %v", target, err)
			}
			var st unix.Stat_t
			must(t, unix.Lstat(filepath.Join(base, "home/app"), &st))
			if st.Uid != 1000 || st.Gid != 1000 {
				t.Errorf("home/app owned by %d:%d", st.Uid, st.Gid)
			}
			must(t, unix.Lstat(filepath.Join(base, "tmp"), &st))
			if st.Mode&0o7777 != 0o1777 {
				t.Errorf("tmp mode %o", st.Mode&0o7777)
			}
			if fi, err := os.Stat(base); err != nil || fi.Mode().Perm() != 0o755 {
				t.Errorf("layer root: %v %v", fi, err)
			}
			got, err := s.Resolve("busybox:1.36")
			if err != nil || got.ID != img.ID {
				t.Errorf("Resolve: %v %v", got, err)
			}
			// Loading again unpacks nothing and changes nothing.
			again := load(t, s, tc.write(t, t.TempDir()))
			if again[0].ID != img.ID {
				t.Errorf("reload gave ID %s, want %s", again[0].ID, img.ID)
			}
			if list, _ := s.List(); len(list) != 1 {
				t.Errorf("List after reload: %d images", len(list))
			}
			if ents, _ := os.ReadDir(filepath.Join(s.Root(), "tmp")); len(ents) != 0 {
				t.Errorf("tmp not cleaned: %v", ents)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestLoadUntaggedAndMultiImage(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	a, err := imagetest.Image(imagetest.WithCmd("a"))
	must(t, err)
	b, err := imagetest.Image(imagetest.WithCmd("b"))
	must(t, err)
	p := filepath.Join(dir, "multi.tar")
	must(t, imagetest.WriteDockerArchive(p, map[string]v1.Image{"a:1": a, "example.com:5000/team/b:2": b}))
	s := openStore(t)
	imgs := load(t, s, p)
	if len(imgs) != 2 {
		t.Fatalf("got %d images", len(imgs))
	}
	for ref, cmd := range map[string]string{"a:1": "a", "example.com:5000/team/b:2": "b"} {
		img, err := s.Resolve(ref)
		if err != nil {
			t.Fatal(err)
		}
		if img.Config.Cmd[0] != cmd {
			t.Errorf("%s: Cmd %v", ref, img.Config.Cmd)
		}
	}
	if img, _ := s.Resolve("example.com:5000/team/b:2"); !slices.Equal(img.Names(), []string{"example.com:5000/team/b:2"}) {
		t.Errorf("Names = %v", img.Names())
	}
	// Both images share the busybox layer: stored once.
	if ents, _ := os.ReadDir(filepath.Join(s.Root(), "layers")); len(ents) != 1 {
		t.Errorf("%d layer dirs, want 1", len(ents))
	}

	p2 := filepath.Join(dir, "untagged.tar")
	must(t, imagetest.BusyboxArchive(p2, "", imagetest.WithCmd("c")))
	var progress bytes.Buffer
	imgs, err = s.Load(context.Background(), p2, &progress)
	must(t, err)
	if len(imgs) != 1 || len(imgs[0].RepoTags) != 0 || !strings.Contains(progress.String(), "Loaded image ID: sha256:") {
		t.Errorf("untagged: %+v, progress %q", imgs, progress.String())
	}
}

func TestResolve(t *testing.T) {
	requireRoot(t)
	s := openStore(t)
	p := filepath.Join(t.TempDir(), "a.tar")
	must(t, imagetest.BusyboxArchive(p, "busybox"))
	img := load(t, s, p)[0]
	hexID := strings.TrimPrefix(img.ID, "sha256:")
	for _, ref := range []string{
		"busybox", "busybox:latest", "docker.io/library/busybox", "docker.io/library/busybox:latest",
		"index.docker.io/library/busybox:latest", "library/busybox",
		img.ID, hexID, hexID[:4], hexID[:12], "sha256:" + hexID[:6],
	} {
		got, err := s.Resolve(ref)
		if err != nil {
			t.Errorf("Resolve(%q): %v", ref, err)
			continue
		}
		if got.ID != img.ID {
			t.Errorf("Resolve(%q) = %s", ref, got.ID)
		}
	}
	for _, ref := range []string{"busybox:1", "alpine", "quay.io/library/busybox", hexID[:3], "0000", "", "sha256:zz", "Not A Name"} {
		_, err := s.Resolve(ref)
		if !errors.Is(err, images.ErrNotFound) {
			t.Errorf("Resolve(%q) = %v, want ErrNotFound", ref, err)
		} else if ref != "" && !strings.Contains(err.Error(), ref) {
			t.Errorf("Resolve(%q) error %q does not name the reference", ref, err)
		}
	}
}

func TestRemoveSharedLayers(t *testing.T) {
	requireRoot(t)
	s := openStore(t)
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "a.tar"), filepath.Join(dir, "b.tar")
	must(t, imagetest.BusyboxArchive(pa, "a", imagetest.WithLayer(imagetest.File("a.txt", "a"))))
	must(t, imagetest.BusyboxArchive(pb, "b", imagetest.WithLayer(imagetest.File("b.txt", "b"))))
	a := load(t, s, pa)[0]
	b := load(t, s, pb)[0]
	if a.Layers[0] != b.Layers[0] {
		t.Fatalf("base layers differ: %s vs %s", a.Layers[0], b.Layers[0])
	}
	if n := countDir(t, filepath.Join(s.Root(), "layers")); n != 3 {
		t.Fatalf("%d layer dirs, want 3", n)
	}

	// An in-use image is refused.
	s.InUse = func(id string) bool { return id == a.ID }
	if err := s.Remove("a"); !errors.Is(err, images.ErrInUse) {
		t.Fatalf("Remove in-use: %v", err)
	}
	s.InUse = nil

	must(t, s.Remove("a"))
	if _, err := s.Resolve("a"); !errors.Is(err, images.ErrNotFound) {
		t.Errorf("a still resolves: %v", err)
	}
	exists(t, b.Layers[0], true)
	exists(t, b.Layers[1], true)
	exists(t, a.Layers[1], false)
	exists(t, filepath.Join(s.Root(), "blobs/sha256", strings.TrimPrefix(a.ID, "sha256:")), false)
	exists(t, filepath.Join(s.Root(), "blobs/sha256", strings.TrimPrefix(b.ID, "sha256:")), true)

	must(t, s.Remove(b.ID[:16]))
	if n := countDir(t, filepath.Join(s.Root(), "layers")); n != 0 {
		t.Errorf("%d layer dirs left", n)
	}
	if n := countDir(t, filepath.Join(s.Root(), "blobs/sha256")); n != 0 {
		t.Errorf("%d blobs left", n)
	}
	if err := s.Remove("b"); !errors.Is(err, images.ErrNotFound) {
		t.Errorf("Remove gone image: %v", err)
	}
}

func TestRemoveTagOnlyAndTagMove(t *testing.T) {
	requireRoot(t)
	s := openStore(t)
	dir := t.TempDir()
	img, err := imagetest.Image()
	must(t, err)
	p := filepath.Join(dir, "two.tar")
	must(t, imagetest.WriteDockerArchive(p, map[string]v1.Image{"one:1": img, "two:2": img}))
	imgs := load(t, s, p)
	if len(imgs) != 1 || len(imgs[0].RepoTags) != 2 {
		t.Fatalf("loaded %+v", imgs)
	}
	must(t, s.Remove("one:1"))
	got, err := s.Resolve("two:2")
	must(t, err)
	if !slices.Equal(got.RepoTags, []string{"docker.io/library/two:2"}) {
		t.Errorf("RepoTags after untag: %v", got.RepoTags)
	}
	// Loading a different image under the same name moves the name.
	p2 := filepath.Join(dir, "other.tar")
	must(t, imagetest.BusyboxArchive(p2, "two:2", imagetest.WithCmd("other")))
	other := load(t, s, p2)[0]
	if r, _ := s.Resolve("two:2"); r.ID != other.ID {
		t.Errorf("two:2 is %s, want %s", r.ID, other.ID)
	}
	old, err := s.Resolve(got.ID)
	must(t, err)
	if len(old.RepoTags) != 0 {
		t.Errorf("old image keeps %v", old.RepoTags)
	}
}

func TestLoadHostileLayerLeavesNothing(t *testing.T) {
	requireRoot(t)
	s := openStore(t)
	p := filepath.Join(t.TempDir(), "evil.tar")
	must(t, imagetest.BusyboxArchive(p, "evil", imagetest.WithLayer(
		imagetest.Symlink("evil", "/"),
		imagetest.File("evil/etc/passwd", "pwned"),
	)))
	_, err := s.Load(context.Background(), p, io.Discard)
	if !errors.Is(err, images.ErrUnsafeLayer) || !strings.Contains(err.Error(), "evil/etc/passwd") {
		t.Fatalf("Load: %v", err)
	}
	if list, _ := s.List(); len(list) != 0 {
		t.Errorf("image recorded: %v", list)
	}
	if n := countDir(t, filepath.Join(s.Root(), "tmp")); n != 0 {
		t.Errorf("tmp not cleaned")
	}
	// The good base layer may stay (it is valid and content-addressed); GC
	// removes it as unreferenced.
	must(t, s.GC())
	if n := countDir(t, filepath.Join(s.Root(), "layers")); n != 0 {
		t.Errorf("%d layers after GC", n)
	}
}

func TestLoadRejectsGarbage(t *testing.T) {
	s := openStore(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "x.tar")
	must(t, os.WriteFile(p, []byte("not a tar"), 0o644))
	if _, err := s.Load(context.Background(), p, nil); err == nil {
		t.Error("loaded garbage")
	}
	if _, err := s.Load(context.Background(), filepath.Join(dir, "missing"), nil); err == nil {
		t.Error("loaded missing file")
	}
}

func countDir(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func exists(t *testing.T, p string, want bool) {
	t.Helper()
	_, err := os.Lstat(p)
	if got := err == nil; got != want {
		t.Errorf("%s exists = %v, want %v", p, got, want)
	}
}

func TestLoadCancelled(t *testing.T) {
	requireRoot(t)
	s := openStore(t)
	p := filepath.Join(t.TempDir(), "a.tar")
	must(t, imagetest.BusyboxArchive(p, "a"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Load(ctx, p, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Load with cancelled context: %v", err)
	}
	for _, d := range []string{"layers", "tmp", "blobs/sha256"} {
		if n := countDir(t, filepath.Join(s.Root(), d)); n != 0 {
			t.Errorf("%s: %d entries left", d, n)
		}
	}
}
