package initramfs

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cavaliergopher/cpio"
)

func TestWriteAndEnsure(t *testing.T) {
	mods := t.TempDir()
	os.MkdirAll(filepath.Join(mods, "kernel/fs"), 0o755)
	os.WriteFile(filepath.Join(mods, "modules.dep"), []byte("kernel/fs/b.ko: kernel/fs/a.ko.xz\nkernel/fs/a.ko.xz:\n"), 0o644)
	os.WriteFile(filepath.Join(mods, "kernel/fs/a.ko.xz"), []byte("A"), 0o644)
	os.WriteFile(filepath.Join(mods, "kernel/fs/b.ko"), []byte("BB"), 0o644)
	bin := filepath.Join(t.TempDir(), "podunit")
	os.WriteFile(bin, []byte("#!init"), 0o755)
	s := Spec{KernelModules: mods, Init: bin, Required: []string{"b"}}

	var buf bytes.Buffer
	if err := Write(&buf, s); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	r := cpio.NewReader(&buf)
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(r)
		got[h.Name] = h.Mode.String() + " " + string(data)
	}
	want := map[string]string{
		"init":                "0100755 #!init",
		"modules":             "040755 ",
		"modules/000-a.ko.xz": "0100644 A",
		"modules/001-b.ko":    "0100644 BB",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("archive:\n%q\nwant\n%q", got, want)
	}

	cache := t.TempDir()
	p1, err := Ensure(cache, "6.1", s)
	if err != nil {
		t.Fatal(err)
	}
	if p2, _ := Ensure(cache, "6.1", s); p2 != p1 {
		t.Errorf("second Ensure built %s, want the cached %s", p2, p1)
	}
	os.WriteFile(bin, []byte("#!init v2"), 0o755)
	if p3, _ := Ensure(cache, "6.1", s); p3 == p1 {
		t.Error("a new binary reused the old initramfs")
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 2 {
		t.Errorf("cache holds %d files (a temporary file left?)", len(entries))
	}
}
