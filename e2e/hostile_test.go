package e2e

import (
	"archive/tar"
	"path/filepath"
	"testing"

	"github.com/podunit/podunit/images/imagetest"
)

// hostileArchives writes docker-archives whose layers try to escape their
// directory, and returns their file names (in dir).
func hostileArchives(t *testing.T, dir string) []string {
	t.Helper()
	layers := map[string][]imagetest.Entry{
		"traversal.tar": {imagetest.File("../../../../../../escaped", "x")},
		"absolute.tar":  {imagetest.File("/escaped", "x")},
		"symlink.tar":   {imagetest.Symlink("evil", "/"), imagetest.File("evil/escaped", "x")},
		"dotdot-link.tar": {
			imagetest.Dir("a"),
			imagetest.Symlink("a/up", "../../../../../../.."),
			imagetest.File("a/up/escaped", "x"),
		},
		"hardlink.tar": {{Name: "shadow", Type: tar.TypeLink, Linkname: "../../../../../etc/shadow"}},
	}
	var names []string
	for name, entries := range layers {
		if err := imagetest.BusyboxArchive(filepath.Join(dir, name), "localhost/hostile:"+name[:len(name)-4],
			imagetest.WithoutBusybox(), imagetest.WithLayer(entries...)); err != nil {
			t.Fatalf("build %s: %v", name, err)
		}
		names = append(names, name)
	}
	return names
}
