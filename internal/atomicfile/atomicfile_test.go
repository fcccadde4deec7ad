package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")
	for _, o := range []Options{{Perm: 0o600}, {Perm: 0o644, Durable: true}, {Perm: 0o640, TempDir: t.TempDir()}} {
		if err := Write(path, []byte("v"+o.Perm.String()), o); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil || string(b) != "v"+o.Perm.String() {
			t.Fatalf("%+v: %q %v", o, b, err)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != o.Perm {
			t.Fatalf("%+v: mode %v", o, fi.Mode())
		}
	}
	// No temporary file is left beside the target.
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("left behind: %v", ents)
	}
	// A failed write leaves the target as it was.
	if err := Write(filepath.Join(dir, "missing", "x"), []byte("x"), Options{Perm: 0o644}); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}
