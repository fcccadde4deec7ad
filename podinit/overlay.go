package podinit

import (
	"errors"
	"strings"
)

// overlayOptions builds the overlay mount data for a container. Layers
// come base-first, but overlayfs wants lowerdir top-most first. Paths are
// backslash-escaped because the kernel splits the data at "," and
// lowerdir at ":" (it honours "\" escapes for both).
func overlayOptions(layers []string, upper, work string) (string, error) {
	if len(layers) == 0 {
		return "", errors.New("overlay needs at least one layer")
	}
	lower := make([]string, 0, len(layers))
	for i := len(layers) - 1; i >= 0; i-- {
		lower = append(lower, escapeOverlayPath(layers[i]))
	}
	return "lowerdir=" + strings.Join(lower, ":") +
		",upperdir=" + escapeOverlayPath(upper) +
		",workdir=" + escapeOverlayPath(work), nil
}

func escapeOverlayPath(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `:`, `\:`, `,`, `\,`)
	return r.Replace(p)
}
