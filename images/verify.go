package images

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// treeDigest hashes an unpacked layer as podunit made it: every entry's
// path (in lexical order), type and permission bits, owner, size, device
// number, symlink target, extended attributes (overlayfs' opaque markers
// among them) and file contents. Unpack records it in layer.json, and
// Verify recomputes it: the tar stream the DiffID names is gone by then,
// and what a pod mounts is this tree.
func treeDigest(root string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		var st unix.Stat_t
		if err := unix.Lstat(path, &st); err != nil {
			return err
		}
		fmt.Fprintf(h, "%q %o %d:%d %d %d", rel, st.Mode, st.Uid, st.Gid, st.Size, st.Rdev)
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFLNK:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, " -> %q", target)
		case unix.S_IFREG:
			if err := hashFile(h, path); err != nil {
				return err
			}
		}
		if err := hashXattrs(h, path); err != nil {
			return err
		}
		h.Write([]byte{'\n'})
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash layer tree %s: %w", root, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(h hash.Hash, path string) error {
	fh := sha256.New()
	if err := hashInto(fh, path); err != nil {
		return err
	}
	fmt.Fprintf(h, " %x", fh.Sum(nil))
	return nil
}

func hashXattrs(h hash.Hash, path string) error {
	buf := make([]byte, 4096)
	n, err := unix.Llistxattr(path, buf)
	if errors.Is(err, unix.ENOTSUP) {
		return nil
	}
	if err != nil {
		return err
	}
	names := strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00")
	for _, name := range names {
		if name == "" || !xattrAllowed(name) {
			continue
		}
		val := make([]byte, 4096)
		m, err := unix.Lgetxattr(path, name, val)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, " %s=%x", name, val[:m])
	}
	return nil
}

// Problem is one damaged or unverifiable part of the store.
type Problem struct {
	Kind   string `json:"kind"`   // blob, layer or image
	Digest string `json:"digest"` // the blob's or layer's digest, the image's ID
	What   string `json:"what"`
	// Repaired: the damaged part was removed (with --repair), so the next
	// pull or load fetches it whole again.
	Repaired bool `json:"repaired,omitempty"`
}

// VerifyReport is what Verify checked and found.
type VerifyReport struct {
	Blobs    int       `json:"blobs"`
	Layers   int       `json:"layers"`
	Images   int       `json:"images"`
	Problems []Problem `json:"problems,omitempty"`
}

// Damaged reports whether a problem was left unrepaired.
func (r *VerifyReport) Damaged() bool {
	for _, p := range r.Problems {
		if !p.Repaired && p.Kind != "note" {
			return true
		}
	}
	return false
}

// Verify re-hashes every blob against its digest and every layer against
// the tree digest recorded when it was unpacked, and checks that every
// image's config, manifest and layers are there and sound: what a power
// loss or a failing disk may have broken. With repair it removes what is
// damaged, and the images that need it, so that the next pull or load
// makes them whole; an image a pod uses is only reported. It holds the
// store lock throughout, so pulls and loads wait for it.
func (s *Store) Verify(repair bool) (*VerifyReport, error) {
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	rep := &VerifyReport{}
	badBlobs, err := s.verifyBlobs(rep)
	if err != nil {
		return rep, err
	}
	badLayers, err := s.verifyLayers(rep)
	if err != nil {
		return rep, err
	}
	idx, err := s.readIndex()
	if err != nil {
		return rep, err
	}
	keep := idx.Images[:0]
	inUse := map[string]bool{} // blobs and layers of damaged images still in use
	for _, r := range idx.Images {
		rep.Images++
		why := imageDamage(r, badBlobs, badLayers, s)
		if why == "" {
			keep = append(keep, r)
			continue
		}
		p := Problem{Kind: "image", Digest: r.ID, What: why + " (" + strings.Join(r.RepoTags, ", ") + ")"}
		if repair && (s.InUse == nil || !s.InUse(r.ID)) {
			p.Repaired = true
		} else {
			keep = append(keep, r)
			if repair {
				p.What += "; a pod uses it: stop the pod and run verify --repair again"
			}
			inUse[r.ID], inUse[r.ManifestDigest] = true, true
			for _, l := range r.Layers {
				inUse[l.DiffID] = true
			}
		}
		rep.Problems = append(rep.Problems, p)
	}
	if !repair {
		return rep, nil
	}
	if len(keep) != len(idx.Images) {
		idx.Images = keep
		if err := s.writeIndex(idx); err != nil {
			return rep, err
		}
	}
	for i := range rep.Problems {
		p := &rep.Problems[i]
		switch {
		case p.Kind == "blob" && !inUse[p.Digest]:
			p.Repaired = os.Remove(filepath.Join(s.blobDir(), strings.TrimPrefix(p.Digest, "sha256:"))) == nil
		case p.Kind == "layer" && !inUse[p.Digest]:
			p.Repaired = s.removeTree(s.layerDir(p.Digest)) == nil
		}
	}
	return rep, nil
}

func (s *Store) verifyBlobs(rep *VerifyReport) (map[string]bool, error) {
	bad := map[string]bool{}
	ents, err := os.ReadDir(s.blobDir())
	if errors.Is(err, fs.ErrNotExist) {
		return bad, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verify blobs: %w", err)
	}
	for _, e := range ents {
		digest := "sha256:" + e.Name()
		rep.Blobs++
		h := sha256.New()
		if err := hashInto(h, filepath.Join(s.blobDir(), e.Name())); err != nil {
			bad[digest] = true
			rep.Problems = append(rep.Problems, Problem{Kind: "blob", Digest: digest, What: err.Error()})
			continue
		}
		if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != digest {
			bad[digest] = true
			rep.Problems = append(rep.Problems, Problem{Kind: "blob", Digest: digest, What: "content hashes to " + got})
		}
	}
	return bad, nil
}

func hashInto(h hash.Hash, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, f)
	return err
}

func (s *Store) verifyLayers(rep *VerifyReport) (map[string]bool, error) {
	bad := map[string]bool{}
	ents, err := os.ReadDir(s.layersDir())
	if errors.Is(err, fs.ErrNotExist) {
		return bad, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verify layers: %w", err)
	}
	for _, e := range ents {
		diffID := "sha256:" + e.Name()
		rep.Layers++
		m, err := s.readLayerMeta(diffID)
		if err != nil {
			bad[diffID] = true
			rep.Problems = append(rep.Problems, Problem{Kind: "layer", Digest: diffID, What: "no readable layer.json: " + err.Error()})
			continue
		}
		if m.Tree == "" {
			rep.Problems = append(rep.Problems, Problem{Kind: "note", Digest: diffID, What: "unpacked before podunit recorded tree digests: not verified"})
			continue
		}
		got, err := treeDigest(s.layerDiffDir(diffID))
		if err != nil {
			bad[diffID] = true
			rep.Problems = append(rep.Problems, Problem{Kind: "layer", Digest: diffID, What: err.Error()})
			continue
		}
		if got != m.Tree {
			bad[diffID] = true
			rep.Problems = append(rep.Problems, Problem{Kind: "layer", Digest: diffID, What: "unpacked files differ from what was unpacked (tree " + got + ", recorded " + m.Tree + ")"})
		}
	}
	return bad, nil
}

// imageDamage says what an image lacks, or "".
func imageDamage(r *record, badBlobs, badLayers map[string]bool, s *Store) string {
	for _, d := range []string{r.ID, r.ManifestDigest} {
		if d == "" {
			continue
		}
		if badBlobs[d] {
			return "blob " + d + " is damaged"
		}
		path, err := s.blobPath(d)
		if err == nil {
			_, err = os.Stat(path)
		}
		if err != nil {
			return "blob " + d + " is missing"
		}
	}
	for _, l := range r.Layers {
		if badLayers[l.DiffID] {
			return "layer " + l.DiffID + " is damaged"
		}
		if _, err := os.Stat(s.layerDir(l.DiffID)); err != nil {
			return "layer " + l.DiffID + " is missing"
		}
	}
	return ""
}
