package imagetest

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// BusyboxArchive writes a docker-archive (`docker save` format) of the
// busybox image tagged ref (e.g. "busybox:latest"); an empty ref writes an
// untagged image.
func BusyboxArchive(path, ref string, opts ...Option) error {
	img, err := Image(opts...)
	if err != nil {
		return err
	}
	return WriteDockerArchive(path, map[string]v1.Image{ref: img})
}

// WriteDockerArchive writes several images, by tag, into one docker-archive.
// An empty tag means untagged.
func WriteDockerArchive(path string, images map[string]v1.Image) error {
	refs := map[name.Reference]v1.Image{}
	for tag, img := range images {
		var ref name.Reference
		if tag == "" {
			// A digest reference makes go-containerregistry write no RepoTags.
			d, err := img.Digest()
			if err != nil {
				return fmt.Errorf("imagetest: %w", err)
			}
			ref, err = name.NewDigest("untagged.invalid/untagged@" + d.String())
			if err != nil {
				return fmt.Errorf("imagetest: %w", err)
			}
		} else {
			t, err := name.NewTag(tag)
			if err != nil {
				return fmt.Errorf("imagetest: %w", err)
			}
			ref = t
		}
		refs[ref] = img
	}
	if err := tarball.MultiRefWriteToFile(path, refs); err != nil {
		return fmt.Errorf("imagetest: write %s: %w", path, err)
	}
	return nil
}

// WriteOCILayout writes the busybox image (OCI media types) as an OCI image
// layout directory, named ref the way containerd does (full name in
// io.containerd.image.name, tag in org.opencontainers.image.ref.name).
func WriteOCILayout(dir, ref string, opts ...Option) error {
	img, err := OCIImage(opts...)
	if err != nil {
		return err
	}
	return WriteLayout(dir, ref, img)
}

// WriteLayout appends img to the OCI layout at dir (created if missing).
func WriteLayout(dir, ref string, img v1.Image) error {
	p, err := layout.FromPath(dir)
	if err != nil {
		if p, err = layout.Write(dir, empty.Index); err != nil {
			return fmt.Errorf("imagetest: %w", err)
		}
	}
	ann := map[string]string{}
	if ref != "" {
		t, err := name.NewTag(ref)
		if err != nil {
			return fmt.Errorf("imagetest: %w", err)
		}
		ann["io.containerd.image.name"] = t.Name()
		ann["org.opencontainers.image.ref.name"] = t.TagStr()
	}
	if err := p.AppendImage(img, layout.WithAnnotations(ann)); err != nil {
		return fmt.Errorf("imagetest: %w", err)
	}
	return nil
}

// OCIArchive writes the busybox image as an OCI archive: a tar of an OCI
// layout, as `skopeo copy ... oci-archive:` or `buildah push` produce.
func OCIArchive(path, ref string, opts ...Option) error {
	dir, err := os.MkdirTemp("", "imagetest-oci-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := WriteOCILayout(dir, ref, opts...); err != nil {
		return err
	}
	return TarDir(path, dir)
}

// TarDir writes the regular files and directories under dir to a tar file.
func TarDir(path, dir string) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	tw := tar.NewWriter(f)
	var files []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, p := range files {
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		hdr := &tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, ModTime: Epoch}
		switch {
		case fi.IsDir():
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, hdr.Name+"/", 0o755
		case fi.Mode().IsRegular():
			hdr.Typeflag, hdr.Size = tar.TypeReg, fi.Size()
		default:
			continue
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			src, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, src)
			src.Close()
			if err != nil {
				return err
			}
		}
	}
	return tw.Close()
}
