package images

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// dockerHub is the registry name we store; go-containerregistry spells it
// index.docker.io, Docker and Podman print docker.io.
const dockerHub = "docker.io"

// NormalizeName turns a user-supplied image name into the canonical form the
// store records, the way Docker does: "busybox" becomes
// "docker.io/library/busybox:latest". Digest references keep their digest
// ("repo@sha256:..."); everything else gets a tag.
func NormalizeName(ref string) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", fmt.Errorf("invalid image name %q: %w", ref, err)
	}
	repo := repoName(r.Context())
	switch r := r.(type) {
	case name.Tag:
		return repo + ":" + r.TagStr(), nil
	case name.Digest:
		return repo + "@" + r.DigestStr(), nil
	}
	return "", fmt.Errorf("invalid image name %q", ref)
}

func repoName(r name.Repository) string {
	reg := r.RegistryStr()
	if reg == name.DefaultRegistry {
		reg = dockerHub
	}
	return reg + "/" + r.RepositoryStr()
}

// FamiliarName is the short display form of a normalised name, as `docker
// images` prints it: "docker.io/library/busybox:latest" -> "busybox:latest",
// "docker.io/foo/bar:1" -> "foo/bar:1"; other registries stay in full.
func FamiliarName(full string) string {
	if rest, ok := strings.CutPrefix(full, dockerHub+"/"); ok {
		if short, ok := strings.CutPrefix(rest, "library/"); ok && !strings.Contains(short, "/") {
			return short
		}
		return rest
	}
	return full
}

// ShortID is the 12-hex-digit form of an image ID, as Docker prints it.
func ShortID(id string) string {
	h := strings.TrimPrefix(id, "sha256:")
	if len(h) > 12 {
		h = h[:12]
	}
	return h
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != ""
}

// minIDPrefix is the shortest ID prefix Resolve accepts; shorter hex strings
// collide too easily with image names like "beef".
const minIDPrefix = 4

// resolveIn finds the record ref names. byName reports whether ref matched a
// repo:tag (Remove then only untags).
func resolveIn(idx *index, ref string) (rec *record, byName bool, err error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, false, fmt.Errorf("empty image reference: %w", ErrNotFound)
	}
	// Explicit ID forms first: they cannot be names.
	if h, ok := strings.CutPrefix(ref, "sha256:"); ok {
		if !isHex(h) {
			return nil, false, fmt.Errorf("image %q: invalid ID: %w", ref, ErrNotFound)
		}
		rec, err := byIDPrefix(idx, ref, h)
		return rec, false, err
	}
	if len(ref) == 64 && isHex(ref) {
		rec, err := byIDPrefix(idx, ref, ref)
		return rec, false, err
	}
	// Then names, as Docker does: a local image called "beef" wins over an ID
	// starting with beef.
	if full, nerr := NormalizeName(ref); nerr == nil {
		for _, r := range idx.Images {
			if strings.Contains(full, "@") {
				repo, dig, _ := strings.Cut(full, "@")
				if r.ManifestDigest == dig && r.hasRepo(repo) || contains(r.RepoDigests, full) {
					return r, false, nil
				}
				continue
			}
			for _, t := range r.RepoTags {
				if t == full {
					return r, true, nil
				}
			}
		}
	}
	if len(ref) >= minIDPrefix && isHex(ref) {
		rec, err := byIDPrefix(idx, ref, ref)
		return rec, false, err
	}
	return nil, false, fmt.Errorf("image %q: %w", ref, ErrNotFound)
}

func byIDPrefix(idx *index, ref, prefix string) (*record, error) {
	if len(prefix) < minIDPrefix {
		return nil, fmt.Errorf("image %q: ID prefix shorter than %d: %w", ref, minIDPrefix, ErrNotFound)
	}
	var found *record
	for _, r := range idx.Images {
		if strings.HasPrefix(strings.TrimPrefix(r.ID, "sha256:"), prefix) {
			if found != nil {
				return nil, fmt.Errorf("image %q matches %s and %s: %w", ref, ShortID(found.ID), ShortID(r.ID), ErrAmbiguous)
			}
			found = r
		}
	}
	if found == nil {
		return nil, fmt.Errorf("image %q: %w", ref, ErrNotFound)
	}
	return found, nil
}
