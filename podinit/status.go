package podinit

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/podunit/podunit/internal/atomicfile"
)

// timestamp formats t the way status files carry times.
func timestamp(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// writeJSONAtomic writes v to path via a temporary file and rename, so
// readers on the host never see a torn record.
func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return atomicfile.Write(path, append(data, '\n'), atomicfile.Options{Perm: 0o644})
}
