package images

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/podunit/podunit/internal/atomicfile"
	"github.com/podunit/podunit/internal/crashpoint"
)

const indexVersion = 1

// index is the whole of index.json. One file rather than one record per
// image so that moving a tag from one image to another is a single atomic
// rename.
type index struct {
	Version int       `json:"version"`
	Images  []*record `json:"images"`
}

type record struct {
	ID             string   `json:"id"`
	RepoTags       []string `json:"repoTags,omitempty"`
	ManifestDigest string   `json:"manifestDigest,omitempty"`
	// RepoDigests are "repo@sha256:..." forms the image was pulled as: its
	// manifest and, for the platform a tag chose, the index.
	RepoDigests  []string        `json:"repoDigests,omitempty"`
	Signatures   []SignatureInfo `json:"signatures,omitempty"`
	Layers       []layerRecord   `json:"layers"`
	Created      time.Time       `json:"created"`
	Loaded       time.Time       `json:"loaded"`
	OS           string          `json:"os,omitempty"`
	Architecture string          `json:"architecture,omitempty"`
	Config       Config          `json:"config"`
}

type layerRecord struct {
	DiffID string `json:"diffID"`
	Size   int64  `json:"size"`
}

func (r *record) hasRepo(repo string) bool {
	for _, t := range r.RepoTags {
		if i := strings.LastIndex(t, ":"); i > 0 && t[:i] == repo {
			return true
		}
	}
	return false
}

func (r *record) removeTag(tag string) bool {
	for i, t := range r.RepoTags {
		if t == tag {
			r.RepoTags = append(r.RepoTags[:i:i], r.RepoTags[i+1:]...)
			return true
		}
	}
	return false
}

func (s *Store) indexPath() string { return filepath.Join(s.root, "index.json") }

func (s *Store) readIndex() (*index, error) {
	data, err := os.ReadFile(s.indexPath())
	if errors.Is(err, fs.ErrNotExist) {
		return &index{Version: indexVersion}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read image index: %w", err)
	}
	var idx index
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("parse image index %s: %w", s.indexPath(), err)
	}
	if idx.Version != indexVersion {
		return nil, fmt.Errorf("image index %s: unsupported version %d", s.indexPath(), idx.Version)
	}
	return &idx, nil
}

// writeIndex must be called with the store lock held.
func (s *Store) writeIndex(idx *index) error {
	crashpoint.Hit("image/index")
	idx.Version = indexVersion
	data, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return fmt.Errorf("encode image index: %w", err)
	}
	if err := atomicfile.Write(s.indexPath(), append(data, '\n'), atomicfile.Options{Perm: 0o644, Durable: true, TempDir: s.tmpDir()}); err != nil {
		return fmt.Errorf("write image index: %w", err)
	}
	return nil
}
