package images

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/podunit/podunit/images/imagetest"
)

// fuzzSeeds are the layers the checked-in corpus under
// testdata/fuzz/FuzzUnpack was generated from (PODUNIT_WRITE_FUZZ_SEEDS=1
// go test -run TestWriteFuzzSeeds ./images rewrites it).
func fuzzSeeds(t testing.TB) map[string][]byte {
	link := func(name, target string) imagetest.Entry {
		return imagetest.Entry{Name: name, Type: tar.TypeLink, Linkname: target}
	}
	plain := layerTar(t,
		imagetest.Dir("etc"), imagetest.File("etc/passwd", "root:x:0:0::/:/bin/sh\n"),
		imagetest.Symlink("bin/sh", "busybox"), link("bin/sh2", "etc/passwd"),
		imagetest.Entry{Name: "dev/null", Type: tar.TypeChar, Mode: 0o666, Uid: 1, Gid: 2},
		imagetest.Entry{Name: "p", Type: tar.TypeFifo},
		imagetest.Entry{Name: "x", Content: "x", Xattrs: map[string]string{"user.a": "b", "security.capability": "\x01"}},
	)
	seeds := map[string][]byte{
		"plain":     plain,
		"whiteouts": layerTar(t, imagetest.Whiteout("etc/hosts"), imagetest.Opaque("usr"), imagetest.File("usr/x", "x"), imagetest.Whiteout("a"), imagetest.File("a", "")),
		"symlink-escape": layerTar(t, imagetest.Symlink("a", "../.."), imagetest.File("a/x", "x"),
			imagetest.Symlink("evil", "/"), imagetest.File("evil/etc/passwd", "x")),
		"dotdot":   layerTar(t, imagetest.File("../x", "x"), link("h", "../x"), imagetest.File("/abs", "x")),
		"conflict": layerTar(t, imagetest.File("f", "x"), imagetest.Dir("f/"), imagetest.File("f/g", "")),
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	seeds["gzip"] = gz.Bytes()
	enc, _ := zstd.NewWriter(nil)
	seeds["zstd"] = enc.EncodeAll(seeds["whiteouts"], nil)
	return seeds
}

func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("PODUNIT_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set PODUNIT_WRITE_FUZZ_SEEDS=1 to regenerate testdata/fuzz/FuzzUnpack")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzUnpack")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range fuzzSeeds(t) {
		content := "go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzUnpack feeds arbitrary bytes to the unpacker as root. Errors are
// fine; panics, and anything appearing or changing outside the layer root,
// are not. Each execution touches the filesystem, so run it with a short
// minimisation budget or the default 60s goes to minimising one input:
//
//	go test ./images -run '^$' -fuzz FuzzUnpack -fuzztime 60s -fuzzminimizetime 2s
func FuzzUnpack(f *testing.F) {
	requireRoot(f)
	for _, data := range fuzzSeeds(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newSandbox(t)
		_, _ = unpackLayer(context.Background(), bytes.NewReader(data), s.root, testLayer)
		s.check(t)
	})
}
