package objects

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/podunit/podunit/plan"
	"github.com/podunit/podunit/pod"
)

// downwardValue is a downwardAPI file's content: what an env variable of
// the same fieldRef or resourceFieldRef reads (plan.FieldValue,
// plan.ResourceValue), except that a volume may project all labels or
// annotations, as the kubelet's sorted key="value" lines.
func downwardValue(p *pod.Pod, rt plan.Runtime, it pod.DownwardAPIVolumeFile) (string, error) {
	if r := it.FieldRef; r != nil {
		switch r.FieldPath {
		case pod.FieldLabels:
			return formatMap(p.Metadata.Labels), nil
		case pod.FieldAnnotations:
			return formatMap(p.Metadata.Annotations), nil
		}
		return plan.FieldValue(p, r.FieldPath, rt)
	}
	// Validation made a volume's resourceFieldRef name its container.
	return plan.ResourceValue(p, nil, it.ResourceFieldRef, rt.Allocatable)
}

// formatMap is the kubelet's fieldpath.FormatMap.
func formatMap(m map[string]string) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s=%q", k, m[k])
	}
	return b.String()
}
