package images

// PruneMode says which images Prune removes besides unreferenced content.
type PruneMode int

const (
	// PruneNone removes no image, only staging leftovers and unreferenced
	// blobs and layers.
	PruneNone PruneMode = iota
	// PruneDangling also removes images with neither a tag nor a repo
	// digest (left behind when a tag moved to a newer image).
	PruneDangling
	// PruneUnused also removes every image no pod uses.
	PruneUnused
)

// PruneReport says what Prune removed.
type PruneReport struct {
	Images []*Image
	GCStats
}

// Prune removes images as mode says, never one Store.InUse reports in use,
// then everything no remaining image references. With InUse unset only
// PruneNone is allowed: pruning images without knowing which run would
// pull rootfs layers from under pods.
func (s *Store) Prune(mode PruneMode) (PruneReport, error) {
	var rep PruneReport
	if mode != PruneNone && s.InUse == nil {
		return rep, errPruneNeedsInUse
	}
	unlock, err := s.lock()
	if err != nil {
		return rep, err
	}
	defer unlock()
	idx, err := s.readIndex()
	if err != nil {
		return rep, err
	}
	kept := idx.Images[:0]
	for _, r := range idx.Images {
		dangling := len(r.RepoTags) == 0 && len(r.RepoDigests) == 0
		drop := mode == PruneUnused || mode == PruneDangling && dangling
		if drop && !s.InUse(r.ID) {
			rep.Images = append(rep.Images, s.image(r))
			continue
		}
		kept = append(kept, r)
	}
	if len(rep.Images) > 0 {
		idx.Images = kept
		if err := s.writeIndex(idx); err != nil {
			return rep, err
		}
	}
	rep.GCStats, err = s.gcLocked(idx)
	return rep, err
}
