package images

import (
	"strings"
	"testing"
)

func TestOCILayoutFile(t *testing.T) {
	ok := []string{"oci-layout", "index.json", "blobs/sha256/" + strings.Repeat("a", 64), "blobs/sha512/" + strings.Repeat("0", 128)}
	bad := []string{"", "blobs", "blobs/sha256", "blobs/sha256/" + strings.Repeat("a", 31), "blobs/sha256/" + strings.Repeat("a", 129),
		"blobs/SHA256/" + strings.Repeat("a", 64), "blobs/sha256/" + strings.Repeat("g", 64), "blobs/sha256/x/" + strings.Repeat("a", 64), "../index.json", "manifest.json"}
	for _, n := range ok {
		if !ociLayoutFile(n) {
			t.Errorf("%q refused", n)
		}
	}
	for _, n := range bad {
		if ociLayoutFile(n) {
			t.Errorf("%q accepted", n)
		}
	}
}
