package objects

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// View is the object as `get -o json|yaml` shows it, with kubectl's
// metadata.creationTimestamp. A Secret's values are shown only when asked:
// otherwise each is replaced by its size, which no decoder takes for
// base64, so the output cannot be applied back by mistake.
func View(s *Stored, showSecrets bool) (map[string]any, error) {
	b, err := json.Marshal(s.Object)
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	if meta, ok := v["metadata"].(map[string]any); ok {
		meta["creationTimestamp"] = s.Created.UTC().Format(time.RFC3339)
	}
	if sec, ok := s.Object.(*Secret); ok && !showSecrets {
		vals := sec.Values()
		hidden := map[string]any{}
		for _, k := range slices.Sorted(maps.Keys(vals)) {
			hidden[k] = fmt.Sprintf("<hidden: %d bytes; --show-secret-values shows it>", len(vals[k]))
		}
		if len(hidden) > 0 {
			v["data"] = hidden
		}
	}
	return v, nil
}
