package images

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/podunit/podunit/internal/atomicfile"
	"github.com/podunit/podunit/internal/crashpoint"
)

// blobPath returns the path of a blob by digest ("sha256:<hex>").
func (s *Store) blobPath(digest string) (string, error) {
	if err := checkDigest(digest); err != nil {
		return "", err
	}
	return filepath.Join(s.blobDir(), strings.TrimPrefix(digest, "sha256:")), nil
}

// checkDigest accepts only sha256 digests: they become file names, so
// anything else (other algorithms, path separators) is refused up front.
func checkDigest(digest string) error {
	h, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(h) != 64 || !isHex(h) {
		return fmt.Errorf("unsupported digest %q", digest)
	}
	return nil
}

// putBlob stores data under digest after checking that it hashes to it, so
// the blob store never holds content that does not match its name. Must be
// called with the lock held.
func (s *Store) putBlob(digest string, r io.Reader) error {
	dst, err := s.blobPath(digest)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dst); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob %s: %w", digest, err)
	}
	f, err := os.CreateTemp(s.tmpDir(), "blob-")
	if err != nil {
		return fmt.Errorf("blob %s: %w", digest, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), r); err != nil {
		return fmt.Errorf("blob %s: write: %w", digest, err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != digest {
		return fmt.Errorf("blob %s: content hashes to %s", digest, got)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("blob %s: %w", digest, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("blob %s: sync: %w", digest, err)
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		return fmt.Errorf("blob %s: %w", digest, err)
	}
	crashpoint.Hit("image/blob")
	// Image records name their blobs: a blob must not vanish in a power
	// loss after the record that names it was written.
	if err := atomicfile.SyncDir(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("blob %s: sync: %w", digest, err)
	}
	return nil
}
