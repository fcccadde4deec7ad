package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/internal/atomicfile"
	"github.com/podunit/podunit/internal/crashpoint"
)

// layerMeta is layers/<hex>/layer.json, written inside the staging directory
// so that it appears atomically with the layer contents.
type layerMeta struct {
	DiffID   string    `json:"diffID"`
	Size     int64     `json:"size"`
	Unpacked time.Time `json:"unpacked"`
	// Tree is treeDigest of diff/ right after unpacking, for Verify.
	Tree string `json:"tree,omitempty"`
}

func (s *Store) layerDir(diffID string) string {
	return filepath.Join(s.layersDir(), strings.TrimPrefix(diffID, "sha256:"))
}

// layerDiffDir is the directory handed to overlayfs as a lowerdir.
func (s *Store) layerDiffDir(diffID string) string {
	return filepath.Join(s.layerDir(diffID), "diff")
}

func (s *Store) readLayerMeta(diffID string) (*layerMeta, error) {
	data, err := os.ReadFile(filepath.Join(s.layerDir(diffID), "layer.json"))
	if err != nil {
		return nil, err
	}
	var m layerMeta
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("layer %s: %w", diffID, err)
	}
	return &m, nil
}

// layerSource opens a layer's bytes as stored (compressed or not). digest,
// when set, is the digest those bytes must have (the manifest's layer
// digest); the DiffID is always checked on the uncompressed stream.
type layerSource struct {
	diffID string
	digest string
	open   func() (io.ReadCloser, error)
}

// ensureLayer unpacks a layer unless it is already in the store, and returns
// its uncompressed size. It stages in stageDir: tmp/ for writers holding the
// store lock (Load), incoming/ for pulls, which unpack without it.
func (s *Store) ensureLayer(ctx context.Context, src layerSource, stageDir string, progress io.Writer) (int64, error) {
	if err := checkDigest(src.diffID); err != nil {
		return 0, fmt.Errorf("layer: %w", err)
	}
	if m, err := s.readLayerMeta(src.diffID); err == nil {
		fmt.Fprintf(progress, "Layer %s already present\n", ShortID(src.diffID))
		return m.Size, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}
	fmt.Fprintf(progress, "Unpacking layer %s\n", ShortID(src.diffID))

	stage, err := os.MkdirTemp(stageDir, "layer-")
	if err != nil {
		return 0, fmt.Errorf("layer %s: %w", src.diffID, err)
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(stage)
		}
	}()
	diff := filepath.Join(stage, "diff")
	// 0755 explicitly: a layer without a "./" entry must not give the
	// container a root directory only root can traverse.
	if err := os.Mkdir(diff, 0o755); err != nil {
		return 0, fmt.Errorf("layer %s: %w", src.diffID, err)
	}
	if err := os.Chmod(diff, 0o755); err != nil {
		return 0, fmt.Errorf("layer %s: %w", src.diffID, err)
	}

	rc, err := src.open()
	if err != nil {
		return 0, fmt.Errorf("layer %s: open: %w", src.diffID, err)
	}
	defer rc.Close()
	var r io.Reader = rc
	var blobHash hash.Hash
	if src.digest != "" {
		blobHash = sha256.New()
		r = io.TeeReader(rc, blobHash)
	}
	name := src.digest
	if name == "" {
		name = src.diffID
	}
	res, err := unpackLayer(ctx, r, diff, name)
	if err != nil {
		// A corrupt blob usually shows up as a decompression or tar error
		// first; the digest names the real cause (and is not retried).
		if blobHash != nil && !errors.Is(err, ErrUnsafeLayer) && ctx.Err() == nil {
			if _, cerr := io.Copy(io.Discard, r); cerr == nil || isVerifyError(cerr) {
				if got := "sha256:" + hex.EncodeToString(blobHash.Sum(nil)); got != src.digest {
					return 0, fmt.Errorf("layer %s: blob hashes to %s: %w", src.digest, got, ErrDigestMismatch)
				}
			}
		}
		return 0, err
	}
	if blobHash != nil {
		if _, err := io.Copy(io.Discard, r); err != nil && !isVerifyError(err) {
			return 0, fmt.Errorf("layer %s: read: %w", name, err)
		}
		if got := "sha256:" + hex.EncodeToString(blobHash.Sum(nil)); got != src.digest {
			return 0, fmt.Errorf("layer %s: blob hashes to %s: %w", src.digest, got, ErrDigestMismatch)
		}
	}
	if res.DiffID != src.diffID {
		return 0, fmt.Errorf("layer %s: uncompressed content hashes to %s, config says %s: %w", name, res.DiffID, src.diffID, ErrDigestMismatch)
	}
	tree, err := treeDigest(diff)
	if err != nil {
		return 0, fmt.Errorf("layer %s: %w", src.diffID, err)
	}
	meta, _ := json.Marshal(layerMeta{DiffID: src.diffID, Size: res.Size, Unpacked: time.Now().UTC(), Tree: tree})
	if err := os.WriteFile(filepath.Join(stage, "layer.json"), meta, 0o644); err != nil {
		return 0, fmt.Errorf("layer %s: %w", src.diffID, err)
	}
	if err := os.Chmod(stage, 0o755); err != nil {
		return 0, fmt.Errorf("layer %s: %w", src.diffID, err)
	}
	// Flush the whole tree before it becomes visible: after a power loss a
	// layer directory must not exist with empty files in it.
	if err := syncFS(stage); err != nil {
		return 0, fmt.Errorf("layer %s: sync: %w", src.diffID, err)
	}
	if err := os.Rename(stage, s.layerDir(src.diffID)); err != nil {
		// A concurrent pull may have committed the same layer first.
		if m, merr := s.readLayerMeta(src.diffID); merr == nil {
			return m.Size, nil
		}
		return 0, fmt.Errorf("layer %s: %w", src.diffID, err)
	}
	committed = true
	crashpoint.Hit("image/layer")
	if err := atomicfile.SyncDir(s.layersDir()); err != nil {
		return 0, fmt.Errorf("layer %s: sync: %w", src.diffID, err)
	}
	return res.Size, nil
}

// isVerifyError recognises go-containerregistry's own digest/size check
// of a registry blob (its error type is internal); the hash computed here
// then says what was wrong.
func isVerifyError(err error) bool {
	return strings.Contains(err.Error(), "error verifying ")
}

func syncFS(dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Syncfs(fd)
}
