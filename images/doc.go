// Package images is podunit's local OCI image store.
//
// On-disk layout under the store root (usually /var/lib/podunit/images):
//
//	lock                      flock(2) taken by every writer
//	index.json                all image records (names, config, layer list); replaced atomically
//	blobs/sha256/<hex>        image configs and manifests, verified against their digest
//	layers/<diffid-hex>/diff  one unpacked layer in overlayfs form, shared by all images using it
//	layers/<diffid-hex>/layer.json
//	tmp/                      staging area; anything here is garbage unless a writer holds the lock
//
// Layers are keyed by their DiffID (the digest of the uncompressed tar), not by
// the compressed blob digest, because the same content arrives gzip'd from a
// registry, zstd'd from another and uncompressed from `docker save`, and must
// be unpacked only once. Compressed layer blobs are not kept: the unpacked tree
// is verified against its DiffID while it is written, and keeping the blob
// would double disk usage for no reader. A future pull verifies the compressed
// digest while streaming, exactly as Load does for OCI layouts.
//
// Readers (List, Resolve) take no lock: index.json is only ever replaced by
// rename, and a layer directory only appears (by rename) once complete. A
// process killed at any point leaves at worst unreferenced blobs, layers or
// tmp/ entries, which the next writer or GC removes.
package images
