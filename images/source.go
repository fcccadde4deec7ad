package images

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Annotations naming an image in an OCI index: containerd (and `docker
// save` since 25) put the full name in the first; the OCI spec's ref.name is
// usually just a tag.
const (
	annotationContainerdName = "io.containerd.image.name"
	annotationRefName        = "org.opencontainers.image.ref.name"
)

// openSource finds the images in path. cleanup removes any staging copies
// and must be called after the images have been read.
func (s *Store) openSource(path string) (srcs []sourceImage, cleanup func(), err error) {
	cleanup = func() {}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, cleanup, err
	}
	if fi.IsDir() {
		srcs, err := layoutImages(path)
		return srcs, cleanup, err
	}
	var staged []string
	cleanup = func() {
		for _, p := range staged {
			os.RemoveAll(p)
		}
	}
	archive := path
	if compressed, err := isCompressed(path); err != nil {
		return nil, cleanup, err
	} else if compressed {
		// go-containerregistry re-reads a docker archive once per file it
		// looks up, so decompress once to a seekable copy.
		tmp, err := s.decompressToTemp(path)
		if err != nil {
			return nil, cleanup, err
		}
		staged = append(staged, tmp)
		archive = tmp
	}
	names, err := tarNames(archive)
	if err != nil {
		return nil, cleanup, err
	}
	switch {
	case names["manifest.json"]:
		srcs, err := dockerArchiveImages(archive)
		return srcs, cleanup, err
	case names["oci-layout"]:
		dir, err := os.MkdirTemp(s.tmpDir(), "oci-")
		if err != nil {
			return nil, cleanup, err
		}
		staged = append(staged, dir)
		if err := extractOCIArchive(archive, dir); err != nil {
			return nil, cleanup, err
		}
		srcs, err := layoutImages(dir)
		return srcs, cleanup, err
	}
	return nil, cleanup, errors.New("neither a docker archive (no manifest.json) nor an OCI archive (no oci-layout)")
}

func isCompressed(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	magic := make([]byte, len(zstdMagic))
	n, _ := io.ReadFull(f, magic)
	magic = magic[:n]
	return bytes.HasPrefix(magic, gzipMagic) || bytes.HasPrefix(magic, zstdMagic), nil
}

func (s *Store) decompressToTemp(path string) (string, error) {
	in, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer in.Close()
	dec, err := decompress(in)
	if err != nil {
		return "", err
	}
	defer dec.Close()
	out, err := os.CreateTemp(s.tmpDir(), "archive-")
	if err != nil {
		return "", err
	}
	defer out.Close()
	if _, err := io.Copy(out, dec); err != nil {
		os.Remove(out.Name())
		return "", fmt.Errorf("decompress: %w", err)
	}
	return out.Name(), nil
}

func cleanTarName(n string) string {
	return strings.TrimPrefix(strings.TrimPrefix(n, "./"), "/")
}

func tarNames(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr := tar.NewReader(bufio.NewReader(f))
	names := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		names[cleanTarName(hdr.Name)] = true
	}
}

func dockerArchiveImages(path string) ([]sourceImage, error) {
	opener := func() (io.ReadCloser, error) { return os.Open(path) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, fmt.Errorf("docker archive manifest: %w", err)
	}
	var out []sourceImage
	for i, d := range m {
		var tag *name.Tag
		if len(d.RepoTags) > 0 {
			t, err := name.NewTag(d.RepoTags[0])
			if err != nil {
				return nil, fmt.Errorf("docker archive image %d: %w", i, err)
			}
			tag = &t
		} else if len(m) > 1 {
			// go-containerregistry selects images in multi-image archives
			// by tag only.
			return nil, fmt.Errorf("docker archive image %d (%s) has no name; untagged images are only supported in single-image archives", i, d.Config)
		}
		img, err := tarball.Image(opener, tag)
		if err != nil {
			return nil, fmt.Errorf("docker archive image %d: %w", i, err)
		}
		names, err := normalizeNames(d.RepoTags)
		if err != nil {
			return nil, fmt.Errorf("docker archive image %d: %w", i, err)
		}
		out = append(out, sourceImage{img: img, names: names})
	}
	return out, nil
}

func layoutImages(dir string) ([]sourceImage, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("OCI layout: %w", err)
	}
	ii, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("OCI layout: %w", err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("OCI layout index: %w", err)
	}
	var out []sourceImage
	for _, desc := range im.Manifests {
		names, err := annotationNames(desc.Annotations)
		if err != nil {
			return nil, fmt.Errorf("OCI layout manifest %s: %w", desc.Digest, err)
		}
		src := sourceImage{names: names, fromBlobs: true}
		switch {
		case desc.MediaType.IsImage():
			src.img, err = ii.Image(desc.Digest)
			src.manifestDigest = desc.Digest.String()
		case desc.MediaType.IsIndex():
			var child v1.ImageIndex
			child, err = ii.ImageIndex(desc.Digest)
			if err == nil {
				src.img, src.manifestDigest, err = pickPlatform(child)
			}
		default:
			continue // signatures, attestations, artifacts
		}
		if err != nil {
			return nil, fmt.Errorf("OCI layout manifest %s: %w", desc.Digest, err)
		}
		out = append(out, src)
	}
	return out, nil
}

// annotationNames names an image from its index annotations. A ref.name
// without ':' or '/' is, per the OCI spec, a bare tag with no repository;
// such an image loads untagged.
func annotationNames(ann map[string]string) ([]string, error) {
	if n := ann[annotationContainerdName]; n != "" {
		return normalizeNames([]string{n})
	}
	if n := ann[annotationRefName]; strings.ContainsAny(n, ":/") {
		return normalizeNames([]string{n})
	}
	return nil, nil
}

// pickPlatform chooses this host's image from a multi-platform index.
func pickPlatform(ii v1.ImageIndex) (v1.Image, string, error) {
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, "", err
	}
	var images []v1.Descriptor
	for _, d := range im.Manifests {
		if d.MediaType.IsImage() {
			images = append(images, d)
		}
	}
	for _, d := range images {
		if len(images) == 1 && d.Platform == nil ||
			d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == runtime.GOARCH {
			img, err := ii.Image(d.Digest)
			return img, d.Digest.String(), err
		}
	}
	return nil, "", fmt.Errorf("no image for linux/%s in index", runtime.GOARCH)
}

// ociLayoutFile matches the only files an OCI layout needs. Extracting
// nothing else (and only regular files) makes unpacking the archive safe
// without the machinery layers need. (A plain function, not a regexp: the
// {32,128} repetition compiled at package init cost every podunit process,
// podinit included, over a millisecond.)
func ociLayoutFile(name string) bool {
	if name == "oci-layout" || name == "index.json" {
		return true
	}
	alg, hex, ok := strings.Cut(strings.TrimPrefix(name, "blobs/"), "/")
	if !strings.HasPrefix(name, "blobs/") || !ok || alg == "" || len(hex) < 32 || len(hex) > 128 {
		return false
	}
	for _, c := range alg {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	for _, c := range hex {
		if (c < 'a' || c > 'f') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func extractOCIArchive(archive, dir string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(bufio.NewReader(f))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read OCI archive: %w", err)
		}
		n := cleanTarName(hdr.Name)
		if !ociLayoutFile(n) {
			continue
		}
		if hdr.Typeflag != tar.TypeReg {
			return fmt.Errorf("OCI archive entry %q is not a regular file", hdr.Name)
		}
		dst := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("OCI archive entry %q: %w", hdr.Name, err)
		}
		_, err = io.Copy(out, tr)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("OCI archive entry %q: %w", hdr.Name, err)
		}
	}
}
