package images

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/podunit/podunit/internal/flock"
)

// Store is a content-addressed image store rooted at one directory. Its
// methods are safe for concurrent use by goroutines and processes: writers
// serialise on an flock of root/lock.
type Store struct {
	root string

	// InUse, when set, is asked by Remove before an image is deleted (not
	// merely untagged); returning true makes Remove fail with ErrInUse. Pods
	// mount layer directories directly, so deleting an image a pod runs from
	// would pull its rootfs away. The argument is the image ID.
	InUse func(id string) bool
}

// Open opens (creating if needed) the store at root, usually
// /var/lib/podunit/images.
func Open(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("image store %s: %w", root, err)
	}
	s := &Store{root: abs}
	for _, d := range []string{abs, s.blobDir(), s.layersDir(), s.tmpDir(), s.incomingDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("image store: %w", err)
		}
	}
	return s, nil
}

// Root is the store's absolute root directory.
func (s *Store) Root() string { return s.root }

func (s *Store) blobDir() string     { return filepath.Join(s.root, "blobs", "sha256") }
func (s *Store) layersDir() string   { return filepath.Join(s.root, "layers") }
func (s *Store) tmpDir() string      { return filepath.Join(s.root, "tmp") }
func (s *Store) incomingDir() string { return filepath.Join(s.root, "incoming") }

// lock takes the writer lock.
func (s *Store) lock() (unlock func(), err error) {
	l, err := flock.Acquire(filepath.Join(s.root, "lock"), true)
	if err != nil {
		return nil, fmt.Errorf("image store: %w", err)
	}
	return l.Unlock, nil
}

func (s *Store) image(r *record) *Image {
	img := &Image{
		ID:             r.ID,
		RepoTags:       append([]string(nil), r.RepoTags...),
		ManifestDigest: r.ManifestDigest,
		RepoDigests:    append([]string(nil), r.RepoDigests...),
		Signatures:     append([]SignatureInfo(nil), r.Signatures...),
		Created:        r.Created,
		OS:             r.OS,
		Architecture:   r.Architecture,
		Config:         r.Config,
	}
	img.Config.Entrypoint = append([]string(nil), r.Config.Entrypoint...)
	img.Config.Cmd = append([]string(nil), r.Config.Cmd...)
	img.Config.Env = append([]string(nil), r.Config.Env...)
	for _, l := range r.Layers {
		img.Size += l.Size
		img.Layers = append(img.Layers, s.layerDiffDir(l.DiffID))
		img.DiffIDs = append(img.DiffIDs, l.DiffID)
	}
	return img
}

// List returns all images, newest first.
func (s *Store) List() ([]*Image, error) {
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	out := make([]*Image, 0, len(idx.Images))
	for _, r := range idx.Images {
		out = append(out, s.image(r))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// Resolve finds an image by name[:tag] ("busybox", "busybox:1.36"), full
// name ("docker.io/library/busybox:latest"), name@manifest-digest, ID
// ("sha256:<hex>" or 64 hex digits) or a unique ID prefix of at least 4 hex
// digits. Names win over ID prefixes. Errors wrap ErrNotFound or ErrAmbiguous.
func (s *Store) Resolve(ref string) (*Image, error) {
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	r, _, err := resolveIn(idx, ref)
	if err != nil {
		return nil, err
	}
	return s.image(r), nil
}

// Remove removes ref. A name removes only that tag while the image has
// others (like `docker rmi`); otherwise, and always for an ID, the image
// record goes and then every blob and layer no other image references. If
// s.InUse reports the image in use, nothing changes and the error wraps
// ErrInUse.
func (s *Store) Remove(ref string) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	idx, err := s.readIndex()
	if err != nil {
		return err
	}
	rec, byName, err := resolveIn(idx, ref)
	if err != nil {
		return err
	}
	if byName && len(rec.RepoTags) > 1 {
		full, _ := NormalizeName(ref)
		rec.removeTag(full)
		return s.writeIndex(idx)
	}
	if s.InUse != nil && s.InUse(rec.ID) {
		return fmt.Errorf("remove image %s (%s): %w", ref, ShortID(rec.ID), ErrInUse)
	}
	kept := idx.Images[:0]
	for _, r := range idx.Images {
		if r != rec {
			kept = append(kept, r)
		}
	}
	idx.Images = kept
	// The record goes first: a crash after this point leaves only
	// unreferenced content, which gcLocked removes next time.
	if err := s.writeIndex(idx); err != nil {
		return err
	}
	_, err = s.gcLocked(idx)
	return err
}

// GC removes staging leftovers and every blob and layer no image references.
// Writers already do this for what they touch; GC repairs after a crash.
func (s *Store) GC() error {
	_, err := s.Prune(PruneNone)
	return err
}

// GCStats counts what a GC removed.
type GCStats struct {
	Blobs  int
	Layers int
	// PullsRunning: a pull was in progress, so unreferenced layers and
	// pull staging were left alone (the pull may be about to use them).
	PullsRunning bool
}

func (s *Store) gcLocked(idx *index) (GCStats, error) {
	var st GCStats
	if err := s.cleanTmpLocked(); err != nil {
		return st, err
	}
	release, ok, err := s.tryPullsExclusive()
	if err != nil {
		return st, err
	}
	if ok {
		defer release()
		if err := cleanDir(s.incomingDir()); err != nil {
			return st, err
		}
	}
	st.PullsRunning = !ok
	blobs := map[string]bool{}
	layers := map[string]bool{}
	for _, r := range idx.Images {
		blobs[strings.TrimPrefix(r.ID, "sha256:")] = true
		if r.ManifestDigest != "" {
			blobs[strings.TrimPrefix(r.ManifestDigest, "sha256:")] = true
		}
		for _, l := range r.Layers {
			layers[strings.TrimPrefix(l.DiffID, "sha256:")] = true
		}
	}
	var errs []error
	ents, err := os.ReadDir(s.blobDir())
	if err != nil {
		return st, fmt.Errorf("image gc: %w", err)
	}
	for _, e := range ents {
		if !blobs[e.Name()] {
			if err := os.Remove(filepath.Join(s.blobDir(), e.Name())); err != nil {
				errs = append(errs, fmt.Errorf("image gc: remove blob: %w", err))
			} else {
				st.Blobs++
			}
		}
	}
	if st.PullsRunning {
		return st, errors.Join(errs...)
	}
	ents, err = os.ReadDir(s.layersDir())
	if err != nil {
		return st, fmt.Errorf("image gc: %w", err)
	}
	for _, e := range ents {
		if !layers[e.Name()] {
			if err := s.removeTree(filepath.Join(s.layersDir(), e.Name())); err != nil {
				errs = append(errs, fmt.Errorf("image gc: remove layer %s: %w", e.Name(), err))
			} else {
				st.Layers++
			}
		}
	}
	return st, errors.Join(errs...)
}

// removeTree first renames dir into tmp/ so that a half-deleted layer is never
// visible under layers/, then deletes it.
func (s *Store) removeTree(dir string) error {
	trash, err := os.MkdirTemp(s.tmpDir(), "trash-")
	if err != nil {
		return err
	}
	if err := os.Rename(dir, filepath.Join(trash, "t")); err != nil {
		os.Remove(trash)
		return err
	}
	return os.RemoveAll(trash)
}

// cleanTmpLocked empties tmp/. Only lock holders stage there, so with the
// lock held everything in it is left over from a killed writer.
func (s *Store) cleanTmpLocked() error {
	return cleanDir(s.tmpDir())
}

func cleanDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("image store: clean %s: %w", dir, err)
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("image store: clean %s: %w", dir, err)
		}
	}
	return nil
}
