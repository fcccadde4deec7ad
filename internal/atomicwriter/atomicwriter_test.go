package atomicwriter

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func me() Owner { return Owner{UID: os.Getuid(), GID: os.Getgid()} }

func files(kv ...string) map[string]File {
	m := map[string]File{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = File{Data: []byte(kv[i+1]), Mode: 0o644, UID: os.Getuid(), GID: os.Getgid()}
	}
	return m
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// versions lists the timestamped directories in dir.
func versions(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "..") && e.Name() != dataLink {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestWriteLayoutAndSwap(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vol")
	if err := Write(dir, files("a", "1", "sub/b", "2"), me()); err != nil {
		t.Fatal(err)
	}
	if l, _ := os.Readlink(filepath.Join(dir, "a")); l != "..data/a" {
		t.Errorf("a links to %q", l)
	}
	if l, _ := os.Readlink(filepath.Join(dir, "sub")); l != "..data/sub" {
		t.Errorf("sub links to %q", l)
	}
	first, _ := os.Readlink(filepath.Join(dir, dataLink))
	if !strings.HasPrefix(first, "..20") || versions(t, dir)[0] != first {
		t.Errorf("..data is %q, versions %v", first, versions(t, dir))
	}
	if read(t, filepath.Join(dir, "sub/b")) != "2" {
		t.Error("sub/b")
	}

	// The same payload again: no new version.
	if err := Write(dir, files("a", "1", "sub/b", "2"), me()); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.Readlink(filepath.Join(dir, dataLink)); now != first {
		t.Errorf("an unchanged payload made version %s", now)
	}

	// A new payload: swapped, old names gone, old version removed.
	if err := Write(dir, files("a", "new", "c", "3"), me()); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(dir, "a")) != "new" || read(t, filepath.Join(dir, "c")) != "3" {
		t.Error("new content not visible")
	}
	if _, err := os.Lstat(filepath.Join(dir, "sub")); !os.IsNotExist(err) {
		t.Errorf("removed name sub still there: %v", err)
	}
	if v := versions(t, dir); len(v) != 1 || v[0] == first {
		t.Errorf("versions after swap: %v (first %s)", v, first)
	}
}

func TestModesAndModeChange(t *testing.T) {
	dir := t.TempDir()
	p := files("k", "v")
	f := p["k"]
	f.Mode = 0o400
	p["k"] = f
	if err := Write(dir, p, me()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "k"))
	if err != nil || fi.Mode().Perm() != 0o400 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	f.Mode = 0o640
	p["k"] = f
	if err := Write(dir, p, me()); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "k")); fi.Mode().Perm() != 0o640 {
		t.Errorf("a mode change alone is not written: %v", fi.Mode())
	}
}

// A writer that died mid-way leaves a partial version and maybe a
// ..data_tmp: readers still see the complete old version, and the next
// write removes the leftovers.
func TestCrashLeavesConsistentView(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, files("a", "old", "b", "old"), me()); err != nil {
		t.Fatal(err)
	}
	current, _ := os.Readlink(filepath.Join(dir, dataLink))
	partial := filepath.Join(dir, "..2020_01_01_00_00_00.1")
	if err := os.MkdirAll(partial, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(partial, "a"), []byte("ne"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Base(partial), filepath.Join(dir, newDataLink)); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(dir, "a"))+read(t, filepath.Join(dir, "b")) != "oldold" {
		t.Error("a half-written version is visible")
	}
	if err := Write(dir, files("a", "new", "b", "new"), me()); err != nil {
		t.Fatal(err)
	}
	v := versions(t, dir)
	if len(v) != 1 || v[0] == current || slices.Contains(v, filepath.Base(partial)) {
		t.Errorf("leftovers not removed: %v", v)
	}
	if read(t, filepath.Join(dir, "a"))+read(t, filepath.Join(dir, "b")) != "newnew" {
		t.Error("new version not visible")
	}
}

// Readers racing writers only ever see one whole version.
func TestConcurrentReadersSeeWholeVersions(t *testing.T) {
	dir := t.TempDir()
	payload := func(v string) map[string]File { return files("x", v+strings.Repeat(v, 4096)) }
	if err := Write(dir, payload("a"), me()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			b, err := os.ReadFile(filepath.Join(dir, "x"))
			if err != nil {
				t.Errorf("read during swap: %v", err)
				return
			}
			if strings.Count(string(b), string(b[:1])) != len(b) {
				t.Errorf("torn read")
				return
			}
		}
	}()
	for i := range 200 {
		if err := Write(dir, payload(string(rune('a'+i%26))), me()); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}

func TestRefusesBadPaths(t *testing.T) {
	for _, p := range []string{"/abs", "../up", "..data", "a/../b", "", "a//b"} {
		if err := Write(t.TempDir(), files(p, "x"), me()); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
}
