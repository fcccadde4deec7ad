package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/podunit/podunit/internal/fsfull"
	"golang.org/x/sync/errgroup"
)

// sourceImage is one image found in a local archive or layout.
type sourceImage struct {
	img   v1.Image
	names []string // normalised repo:tag names
	// manifestDigest is set when the source holds a real manifest (OCI
	// layouts); docker archives have none worth recording.
	manifestDigest string
	// fromBlobs: layer.Compressed() returns the blob exactly as stored, so
	// its digest can be checked and the unpacker sniffs the compression.
	// Otherwise (docker archives) Uncompressed() is used, which avoids
	// go-containerregistry recompressing uncompressed layers just to hash them.
	fromBlobs bool
}

// Load loads every image in path, which may be a docker-archive (`docker
// save`, optionally gzip or zstd compressed), an OCI archive (a tar of an OCI
// layout) or an OCI layout directory. Layers already in the store are not
// unpacked again. A name already held by another image moves to the loaded
// one (the other stays, possibly untagged). progress, if not nil, receives
// human-readable lines. The store lock is held throughout.
func (s *Store) Load(ctx context.Context, path string, w io.Writer) (imgs []*Image, err error) {
	defer func() { err = fsfull.Explain(err, "image store", s.root) }()
	progress := newProgress(w)
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := s.cleanTmpLocked(); err != nil {
		return nil, err
	}
	srcs, cleanup, err := s.openSource(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	defer cleanup()
	if len(srcs) == 0 {
		return nil, fmt.Errorf("load %s: no images found", path)
	}

	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	var recs []*record
	for _, src := range srcs {
		rec, err := s.loadImage(ctx, src, progress)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", path, err)
		}
		recs = append(recs, addRecord(idx, rec))
	}
	if err := s.writeIndex(idx); err != nil {
		return nil, err
	}
	var out []*Image
	seen := map[*record]bool{}
	for _, r := range recs {
		if seen[r] {
			continue
		}
		seen[r] = true
		img := s.image(r)
		if len(img.RepoTags) == 0 {
			fmt.Fprintf(progress, "Loaded image ID: %s\n", img.ID)
		}
		for _, n := range img.Names() {
			fmt.Fprintf(progress, "Loaded image: %s\n", n)
		}
		out = append(out, img)
	}
	return out, nil
}

// loadImage stores one image's layers and blobs and returns its record,
// not yet in the index.
func (s *Store) loadImage(ctx context.Context, src sourceImage, progress io.Writer) (*record, error) {
	rawCfg, err := src.img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("read image config: %w", err)
	}
	sum := sha256.Sum256(rawCfg)
	id := "sha256:" + hex.EncodeToString(sum[:])
	cfg, err := v1.ParseConfigFile(bytes.NewReader(rawCfg))
	if err != nil {
		return nil, fmt.Errorf("image %s: parse config: %w", ShortID(id), err)
	}
	if (cfg.OS != "" && cfg.OS != "linux") || (cfg.Architecture != "" && cfg.Architecture != runtime.GOARCH) {
		fmt.Fprintf(progress, "Warning: image %s is for %s/%s, this host is linux/%s\n", ShortID(id), cfg.OS, cfg.Architecture, runtime.GOARCH)
	}
	layers, err := src.img.Layers()
	if err != nil {
		return nil, fmt.Errorf("image %s: layers: %w", ShortID(id), err)
	}
	if len(layers) != len(cfg.RootFS.DiffIDs) {
		return nil, fmt.Errorf("image %s: %d layers but config lists %d diff IDs", ShortID(id), len(layers), len(cfg.RootFS.DiffIDs))
	}
	rec := newRecord(id, cfg, src.names, src.manifestDigest)
	rec.Layers = make([]layerRecord, len(layers))
	// Layers unpack side by side, as a pull's do: creating files costs
	// the kernel more than anything podunit does, and it scales with CPUs.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(DefaultJobs)
	for i, l := range layers {
		// Every error returns through Wait: no goroutine outlives Load.
		g.Go(func() error {
			ls := layerSource{diffID: cfg.RootFS.DiffIDs[i].String(), open: l.Uncompressed}
			if src.fromBlobs {
				d, err := l.Digest()
				if err != nil {
					return fmt.Errorf("image %s: layer %d: %w", ShortID(id), i, err)
				}
				ls.digest, ls.open = d.String(), l.Compressed
			}
			size, err := s.ensureLayer(gctx, ls, s.tmpDir(), progress)
			if err != nil {
				return fmt.Errorf("image %s: %w", ShortID(id), err)
			}
			rec.Layers[i] = layerRecord{DiffID: ls.diffID, Size: size}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// Blobs after layers: an image record is only written once all of its
	// content is in place.
	if err := s.putBlob(id, bytes.NewReader(rawCfg)); err != nil {
		return nil, err
	}
	if src.manifestDigest != "" {
		raw, err := src.img.RawManifest()
		if err != nil {
			return nil, fmt.Errorf("image %s: manifest: %w", ShortID(id), err)
		}
		if err := s.putBlob(src.manifestDigest, bytes.NewReader(raw)); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

func newRecord(id string, cfg *v1.ConfigFile, names []string, manifestDigest string) *record {
	return &record{
		ID:             id,
		RepoTags:       names,
		ManifestDigest: manifestDigest,
		Created:        cfg.Created.UTC(),
		Loaded:         time.Now().UTC(),
		OS:             cfg.OS,
		Architecture:   cfg.Architecture,
		Config: Config{
			Entrypoint: cfg.Config.Entrypoint,
			Cmd:        cfg.Config.Cmd,
			Env:        cfg.Config.Env,
			WorkingDir: cfg.Config.WorkingDir,
			User:       cfg.Config.User,
			Labels:     cfg.Config.Labels,
			StopSignal: cfg.Config.StopSignal,
		},
	}
}

// addRecord merges rec into idx and returns the record now in idx. Names
// are unique across the store, so they are taken from any other image.
func addRecord(idx *index, rec *record) *record {
	for _, t := range rec.RepoTags {
		for _, r := range idx.Images {
			if r.ID != rec.ID {
				r.removeTag(t)
			}
		}
	}
	for _, r := range idx.Images {
		if r.ID != rec.ID {
			continue
		}
		for _, t := range rec.RepoTags {
			if !contains(r.RepoTags, t) {
				r.RepoTags = append(r.RepoTags, t)
			}
		}
		if r.ManifestDigest == "" {
			r.ManifestDigest = rec.ManifestDigest
		}
		for _, d := range rec.RepoDigests {
			if !contains(r.RepoDigests, d) {
				r.RepoDigests = append(r.RepoDigests, d)
			}
		}
		if rec.Signatures != nil {
			r.Signatures = rec.Signatures
		}
		r.Layers = rec.Layers
		return r
	}
	idx.Images = append(idx.Images, rec)
	return rec
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func normalizeNames(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		full, err := NormalizeName(n)
		if err != nil {
			return nil, err
		}
		if strings.Contains(full, "@") {
			continue // a digest is not a name an image can be tagged with
		}
		if !contains(out, full) {
			out = append(out, full)
		}
	}
	return out, nil
}
