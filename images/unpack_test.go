package images

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/podunit/podunit/images/imagetest"
	"golang.org/x/sys/unix"
)

const testLayer = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (ownership, device nodes, trusted xattrs)")
	}
}

// sandbox is a layer root with a sentinel directory next to it; nothing an
// unpack does may touch anything but root.
type sandbox struct {
	dir, root, sentinel string
}

func newSandbox(t testing.TB) *sandbox {
	t.Helper()
	dir := t.TempDir()
	s := &sandbox{dir: dir, root: filepath.Join(dir, "root"), sentinel: filepath.Join(dir, "sentinel")}
	for _, d := range []string{s.root, s.sentinel} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(s.sentinel, "keep"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// check fails the test if anything outside root changed.
func (s *sandbox) check(t testing.TB) {
	t.Helper()
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"root", "sentinel"}) {
		t.Fatalf("sandbox dir now holds %v", names)
	}
	ents, err = os.ReadDir(s.sentinel)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "keep" {
		t.Fatalf("sentinel dir now holds %v", ents)
	}
	if data, err := os.ReadFile(filepath.Join(s.sentinel, "keep")); err != nil || string(data) != "keep" {
		t.Fatalf("sentinel file changed: %q %v", data, err)
	}
	fi, err := os.Lstat(s.sentinel)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o755 {
		t.Fatalf("sentinel dir changed: %v %v", fi, err)
	}
}

func layerTar(t testing.TB, entries ...imagetest.Entry) []byte {
	t.Helper()
	data, err := imagetest.LayerTar(entries...)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func unpackBytes(s *sandbox, data []byte) (unpackResult, error) {
	return unpackLayer(context.Background(), bytes.NewReader(data), s.root, testLayer)
}

// hostileLayers is the corpus of layers that must be refused. Each names
// the entry the error must mention. Host paths are unique names so that a
// failure cannot be masked by an existing file.
func hostileLayers() []struct {
	name    string
	entry   string
	entries []imagetest.Entry
} {
	link := func(name, target string) imagetest.Entry {
		return imagetest.Entry{Name: name, Type: tar.TypeLink, Linkname: target}
	}
	long := strings.Repeat("a", 300)
	deep := strings.Repeat("d/", 2100) + "f"
	type c = struct {
		name    string
		entry   string
		entries []imagetest.Entry
	}
	return []c{
		{"dotdot traversal", "../../podunit-hostile-1", []imagetest.Entry{imagetest.File("../../podunit-hostile-1", "x")}},
		{"dotdot into sentinel", "../sentinel/pwned", []imagetest.Entry{imagetest.File("../sentinel/pwned", "x")}},
		{"dotdot in the middle", "a/../../sentinel/pwned", []imagetest.Entry{imagetest.Dir("a"), imagetest.File("a/../../sentinel/pwned", "x")}},
		{"absolute path", "/etc/podunit-hostile-2", []imagetest.Entry{imagetest.File("/etc/podunit-hostile-2", "x")}},
		{"absolute dir", "/tmp/podunit-hostile-3/", []imagetest.Entry{imagetest.Dir("/tmp/podunit-hostile-3/")}},
		{"symlink to / then write through", "evil/etc/podunit-hostile-4", []imagetest.Entry{
			imagetest.Symlink("evil", "/"), imagetest.File("evil/etc/podunit-hostile-4", "x")}},
		{"symlink to / then passwd", "evil/etc/passwd", []imagetest.Entry{
			imagetest.Symlink("evil", "/"), imagetest.File("evil/etc/passwd", "root::0:0::/:/bin/sh\n")}},
		{"symlink ../.. then write through", "a/sentinel/pwned", []imagetest.Entry{
			imagetest.Symlink("a", "../.."), imagetest.File("a/sentinel/pwned", "x")}},
		{"symlink to sibling dir then write", "s/pwned", []imagetest.Entry{
			imagetest.Symlink("s", "../sentinel"), imagetest.File("s/pwned", "x")}},
		{"symlink then mkdir through", "s/newdir/", []imagetest.Entry{
			imagetest.Symlink("s", "../sentinel"), imagetest.Dir("s/newdir/")}},
		{"symlink then symlink through", "s/l", []imagetest.Entry{
			imagetest.Symlink("s", "../sentinel"), imagetest.Symlink("s/l", "/etc/shadow")}},
		{"symlink then fifo through", "s/fifo", []imagetest.Entry{
			imagetest.Symlink("s", "../sentinel"), {Name: "s/fifo", Type: tar.TypeFifo}}},
		{"symlink then whiteout through", "s/.wh.keep", []imagetest.Entry{
			imagetest.Symlink("s", "../sentinel"), imagetest.Whiteout("s/keep")}},
		{"symlink then opaque through", "s/.wh..wh..opq", []imagetest.Entry{
			imagetest.Symlink("s", "../sentinel"), imagetest.Opaque("s")}},
		{"symlink replaced by dir of same name", "s/", []imagetest.Entry{
			imagetest.Symlink("s", "../sentinel"), imagetest.Dir("s/")}},
		{"hardlink to /etc/shadow", "shadow", []imagetest.Entry{link("shadow", "/etc/shadow")}},
		{"hardlink to ../outside", "out", []imagetest.Entry{link("out", "../sentinel/keep")}},
		{"hardlink through symlink", "h", []imagetest.Entry{
			imagetest.Symlink("s", "../sentinel"), link("h", "s/keep")}},
		{"hardlink through absolute symlink", "h", []imagetest.Entry{
			imagetest.Symlink("e", "/etc"), link("h", "e/shadow")}},
		{"hardlink to missing target", "h", []imagetest.Entry{link("h", "nothing")}},
		{"hardlink to directory", "h", []imagetest.Entry{imagetest.Dir("d"), link("h", "d")}},
		{"hardlink to itself", "h", []imagetest.Entry{imagetest.File("h", "x"), link("h", "h")}},
		{"file then dir of the same name", "f/", []imagetest.Entry{imagetest.File("f", "x"), imagetest.Dir("f/")}},
		{"file then a child of it", "f/g", []imagetest.Entry{imagetest.File("f", "x"), imagetest.File("f/g", "x")}},
		{"dir then file of the same name", "d", []imagetest.Entry{imagetest.Dir("d/"), imagetest.File("d/x", "x"), imagetest.File("d", "x")}},
		{"long name component", long, []imagetest.Entry{imagetest.File(long, "x")}},
		{"very long path", deep, []imagetest.Entry{imagetest.File(deep, "x")}},
		{"whiteout of ..", ".wh...", []imagetest.Entry{imagetest.File(".wh...", "")}},
		{"whiteout of .. in subdir", "etc/.wh...", []imagetest.Entry{imagetest.Dir("etc"), imagetest.File("etc/.wh...", "")}},
		{"whiteout of .", ".wh..", []imagetest.Entry{imagetest.File(".wh..", "")}},
		{"root as a file", ".", []imagetest.Entry{imagetest.File(".", "x")}},
		{"unsupported type", "cont", []imagetest.Entry{{Name: "cont", Type: tar.TypeCont}}},
	}
}

func TestUnpackHostile(t *testing.T) {
	requireRoot(t)
	for _, tc := range hostileLayers() {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			_, err := unpackBytes(s, layerTar(t, tc.entries...))
			if err == nil {
				t.Fatal("hostile layer unpacked without error")
			}
			if !errors.Is(err, ErrUnsafeLayer) {
				t.Errorf("error does not wrap ErrUnsafeLayer: %v", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, testLayer) || !strings.Contains(msg, fmt.Sprintf("%q", tc.entry)) {
				t.Errorf("error does not name layer and entry %q: %v", tc.entry, err)
			}
			s.check(t)
			for _, p := range []string{"/etc/podunit-hostile-2", "/tmp/podunit-hostile-3", "/etc/podunit-hostile-4",
				filepath.Join(filepath.Dir(s.dir), "podunit-hostile-1")} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s was created", p)
				}
			}
		})
	}
}

// TestStoreDiscardsHostileLayer checks the store-level promise: no layer
// directory and no staging leftovers.
func TestStoreDiscardsHostileLayer(t *testing.T) {
	requireRoot(t)
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := layerTar(t, imagetest.File("ok", "x"), imagetest.Symlink("a", "../.."), imagetest.File("a/x", "x"))
	unlock, err := st.lock()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	_, err = st.ensureLayer(context.Background(), layerSource{
		diffID: testLayer,
		open:   func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}, st.tmpDir(), io.Discard)
	if !errors.Is(err, ErrUnsafeLayer) {
		t.Fatalf("ensureLayer: %v", err)
	}
	for _, d := range []string{st.layersDir(), st.tmpDir()} {
		if ents, _ := os.ReadDir(d); len(ents) != 0 {
			t.Errorf("%s not empty: %v", d, ents)
		}
	}
}

func TestUnpackOverlayForm(t *testing.T) {
	requireRoot(t)
	s := newSandbox(t)
	capV2 := "\x00\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" // cap_net_bind_service, v2
	data := layerTar(t,
		imagetest.Entry{Name: "./", Type: tar.TypeDir, Mode: 0o755},
		imagetest.Dir("etc/"),
		imagetest.Whiteout("etc/hosts"),
		imagetest.Opaque("home"),
		imagetest.File("home/new", "n"),
		imagetest.Whiteout("gone-dir"),
		// Same-layer rules: the real entry wins over its whiteout.
		imagetest.Whiteout("both1"), imagetest.File("both1", "1"),
		imagetest.File("both2", "2"), imagetest.Whiteout("both2"),
		// Aufs metadata is ignored.
		imagetest.File(".wh..wh.plnk", ""),
		imagetest.Entry{Name: "bin/ping", Mode: 0o4755, Uid: 0, Gid: 0, Content: "p",
			Xattrs: map[string]string{"security.capability": capV2, "user.note": "hello"}},
		imagetest.Entry{Name: "bin/app", Mode: 0o750, Uid: 1000, Gid: 1001, Content: "app"},
		imagetest.Entry{Name: "bin/applink", Type: tar.TypeLink, Linkname: "bin/app"},
		imagetest.Entry{Name: "bin/sym", Type: tar.TypeSymlink, Linkname: "/nonexistent/target", Uid: 7, Gid: 8},
		imagetest.Entry{Name: "dev/null", Type: tar.TypeChar, Mode: 0o666},
		imagetest.Entry{Name: "dev/sda", Type: tar.TypeBlock, Mode: 0o600},
		imagetest.Entry{Name: "run/fifo", Type: tar.TypeFifo, Mode: 0o620},
		imagetest.Entry{Name: "evil-xattr", Content: "x",
			Xattrs: map[string]string{"trusted.overlay.redirect": "/etc", "trusted.overlay.opaque": "y"}},
		// Replacing an earlier non-directory is plain tar semantics.
		imagetest.File("dup", "old"), imagetest.File("dup", "new"),
		imagetest.Entry{Name: "sticky/", Type: tar.TypeDir, Mode: 0o1777, Uid: 5, Gid: 6},
		imagetest.File("sticky/child", "c"),
		imagetest.Entry{Name: "ro/", Type: tar.TypeDir, Mode: 0o555},
		imagetest.File("ro/child", "c"),
		imagetest.File("implicit/parents/file", "f"),
	)
	res, err := unpackBytes(s, data)
	if err != nil {
		t.Fatal(err)
	}
	s.check(t)
	if res.Size != int64(len(data)) {
		t.Errorf("Size = %d, want %d", res.Size, len(data))
	}
	r := func(p string) string { return filepath.Join(s.root, p) }
	stat := func(p string) unix.Stat_t {
		t.Helper()
		var st unix.Stat_t
		if err := unix.Lstat(r(p), &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	for _, p := range []string{"etc/hosts", "gone-dir"} {
		st := stat(p)
		if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
			t.Errorf("%s is not a 0/0 whiteout: mode %o rdev %d", p, st.Mode, st.Rdev)
		}
	}
	buf := make([]byte, 16)
	if n, err := unix.Lgetxattr(r("home"), "trusted.overlay.opaque", buf); err != nil || string(buf[:n]) != "y" {
		t.Errorf("home opaque xattr: %q %v", buf[:n], err)
	}
	for p, want := range map[string]string{"both1": "1", "both2": "2", "dup": "new", "home/new": "n", "implicit/parents/file": "f"} {
		if got, err := os.ReadFile(r(p)); err != nil || string(got) != want {
			t.Errorf("%s = %q %v, want %q", p, got, err, want)
		}
	}
	if _, err := os.Lstat(r(".wh..wh.plnk")); err == nil {
		t.Error("aufs metadata file created")
	}
	if st := stat("bin/ping"); st.Mode&0o7777 != 0o4755 {
		t.Errorf("bin/ping mode %o", st.Mode&0o7777)
	}
	if n, err := unix.Lgetxattr(r("bin/ping"), "security.capability", make([]byte, 64)); err != nil || n == 0 {
		t.Errorf("security.capability not preserved: %v", err)
	}
	if n, err := unix.Lgetxattr(r("bin/ping"), "user.note", buf); err != nil || string(buf[:n]) != "hello" {
		t.Errorf("user.note: %q %v", buf[:n], err)
	}
	if st := stat("bin/app"); st.Uid != 1000 || st.Gid != 1001 || st.Mode&0o7777 != 0o750 || st.Nlink != 2 {
		t.Errorf("bin/app uid %d gid %d mode %o nlink %d", st.Uid, st.Gid, st.Mode&0o7777, st.Nlink)
	}
	if a, b := stat("bin/app"), stat("bin/applink"); a.Ino != b.Ino {
		t.Error("hard link is a copy")
	}
	if st := stat("bin/sym"); st.Uid != 7 || st.Gid != 8 || st.Mtim.Sec != imagetest.Epoch.Unix() {
		t.Errorf("symlink owner %d:%d mtime %d", st.Uid, st.Gid, st.Mtim.Sec)
	}
	if tgt, _ := os.Readlink(r("bin/sym")); tgt != "/nonexistent/target" {
		t.Errorf("symlink target %q", tgt)
	}
	if st := stat("dev/null"); st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Mode&0o777 != 0o666 {
		t.Errorf("dev/null mode %o", st.Mode)
	}
	if st := stat("dev/sda"); st.Mode&unix.S_IFMT != unix.S_IFBLK {
		t.Errorf("dev/sda mode %o", st.Mode)
	}
	if st := stat("run/fifo"); st.Mode&unix.S_IFMT != unix.S_IFIFO || st.Mode&0o777 != 0o620 {
		t.Errorf("run/fifo mode %o", st.Mode)
	}
	if _, err := unix.Lgetxattr(r("evil-xattr"), "trusted.overlay.redirect", buf); err == nil {
		t.Error("trusted.overlay.redirect from the tar was applied")
	}
	if _, err := unix.Lgetxattr(r("evil-xattr"), "trusted.overlay.opaque", buf); err == nil {
		t.Error("trusted.overlay.opaque xattr from the tar was applied")
	}
	if st := stat("sticky"); st.Mode&0o7777 != 0o1777 || st.Uid != 5 || st.Gid != 6 || st.Mtim.Sec != imagetest.Epoch.Unix() {
		t.Errorf("sticky dir mode %o owner %d:%d mtime %d", st.Mode&0o7777, st.Uid, st.Gid, st.Mtim.Sec)
	}
	if st := stat("ro"); st.Mode&0o777 != 0o555 || st.Mtim.Sec != imagetest.Epoch.Unix() {
		t.Errorf("ro dir mode %o mtime %d", st.Mode&0o777, st.Mtim.Sec)
	}
	if st := stat("."); st.Mode&0o777 != 0o755 || st.Mtim.Sec != imagetest.Epoch.Unix() {
		t.Errorf("root mode %o mtime %d", st.Mode&0o777, st.Mtim.Sec)
	}
	if st := stat("implicit"); st.Mode&0o777 != 0o755 {
		t.Errorf("implicit parent mode %o", st.Mode&0o777)
	}
}

func TestUnpackDiffID(t *testing.T) {
	s := newSandbox(t)
	data := layerTar(t, imagetest.File("a", "a"))
	res, err := unpackBytes(s, data)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("sha256:%x", sha256.Sum256(data)); res.DiffID != want {
		t.Errorf("DiffID %s, want %s", res.DiffID, want)
	}
}
