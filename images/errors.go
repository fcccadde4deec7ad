package images

import "errors"

var (
	// ErrNotFound is returned (wrapped, naming the reference) when no image matches.
	ErrNotFound = errors.New("image not found")
	// ErrAmbiguous is returned when an ID prefix matches more than one image.
	ErrAmbiguous = errors.New("ambiguous image reference")
	// ErrInUse is returned by Remove when Store.InUse reports the image as used.
	ErrInUse = errors.New("image is in use")
	// ErrUnsafeLayer is wrapped by every refusal of a hostile or malformed layer
	// entry (path traversal, symlink traversal, conflicting entries...).
	ErrUnsafeLayer = errors.New("unsafe layer entry")
	// ErrDigestMismatch is wrapped when content does not hash to the digest
	// that names it (a corrupt or tampered blob); pulls do not retry it.
	ErrDigestMismatch = errors.New("digest mismatch")
)

var errPruneNeedsInUse = errors.New("image prune: the store does not know which images pods use (Store.InUse unset)")
