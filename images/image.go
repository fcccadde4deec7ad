package images

import (
	"time"
)

// Image is one image in the store. Values returned by the Store are copies;
// changing them changes nothing on disk.
type Image struct {
	// ID is the digest of the image config ("sha256:<hex>"), Docker's image ID.
	ID string
	// RepoTags are normalised names ("docker.io/library/busybox:latest");
	// use FamiliarName for display. Empty for a dangling image.
	RepoTags []string
	// ManifestDigest is the digest of the image manifest when the source had
	// one (OCI layouts, later registries); empty for docker-archive loads,
	// whose manifests are synthesised.
	ManifestDigest string
	// RepoDigests are "repo@sha256:..." names from pulls (manifest and index).
	RepoDigests []string
	// Signatures are those the signature policy checked at pull time.
	Signatures []SignatureInfo
	Created    time.Time
	// Size is the sum of the uncompressed layer tar streams, in bytes (what
	// Docker calls the virtual size); shared layers count in every image.
	Size int64
	// Layers are absolute paths of the unpacked layer directories, base
	// layer first. overlayfs wants lowerdir top-first: reverse them.
	Layers []string
	// DiffIDs are the layers' uncompressed digests, in the order of Layers.
	DiffIDs      []string
	OS           string
	Architecture string
	Config       Config
}

// Names returns the display forms of RepoTags.
func (i *Image) Names() []string {
	out := make([]string, len(i.RepoTags))
	for n, t := range i.RepoTags {
		out[n] = FamiliarName(t)
	}
	return out
}

// ShortID is the 12-hex-digit form of ID.
func (i *Image) ShortID() string { return ShortID(i.ID) }

// Config is the part of the OCI image config a container runtime needs.
type Config struct {
	Entrypoint []string          `json:"entrypoint,omitempty"`
	Cmd        []string          `json:"cmd,omitempty"`
	Env        []string          `json:"env,omitempty"`
	WorkingDir string            `json:"workingDir,omitempty"`
	User       string            `json:"user,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	StopSignal string            `json:"stopSignal,omitempty"`
}

// Resolve combines a container's command and args with the image's
// Entrypoint and Cmd following Kubernetes' rules: a command replaces both
// Entrypoint and Cmd (args then follow it); args alone replace only Cmd;
// with neither, Entrypoint+Cmd run. Empty slices count as unset, as in
// Kubernetes. The result is a fresh slice.
func (c Config) Resolve(command, args []string) []string {
	var out []string
	switch {
	case len(command) > 0:
		out = append(out, command...)
		out = append(out, args...)
	case len(args) > 0:
		out = append(out, c.Entrypoint...)
		out = append(out, args...)
	default:
		out = append(out, c.Entrypoint...)
		out = append(out, c.Cmd...)
	}
	return out
}
