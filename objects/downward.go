package objects

import (
	"fmt"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strings"

	"github.com/podunit/podunit/pod"
)

// PodInfo is what the downward API shows beyond the manifest.
type PodInfo struct {
	UID string
	// Allocatable stands in for limits a container does not set, as the
	// node's allocatable resources do under the kubelet.
	Allocatable Allocatable
}

// Allocatable is this host's capacity.
type Allocatable struct {
	CPUMillis, MemoryBytes, EphemeralStorageBytes int64
}

var subscript = regexp.MustCompile(`^metadata\.(labels|annotations)\['(.*)'\]$`)

// FieldValue is a fieldRef's value, formatted as the kubelet does:
// labels and annotations as sorted key="value" lines.
func FieldValue(p *pod.Pod, info PodInfo, path string) (string, error) {
	m := p.Metadata
	switch path {
	case "metadata.name":
		return m.Name, nil
	case "metadata.namespace":
		return m.Namespace, nil
	case "metadata.uid":
		return info.UID, nil
	case "metadata.labels":
		return formatMap(m.Labels), nil
	case "metadata.annotations":
		return formatMap(m.Annotations), nil
	}
	if s := subscript.FindStringSubmatch(path); s != nil {
		if s[1] == "labels" {
			return m.Labels[s[2]], nil
		}
		return m.Annotations[s[2]], nil
	}
	return "", fmt.Errorf("unsupported fieldPath %q", path)
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

// ResourceValue is a resourceFieldRef's value: the container's limit (the
// host's capacity when it sets none) or request (podunit has no requests:
// the limit, as the API server defaults it, else 0), divided by the
// divisor and rounded up.
func ResourceValue(p *pod.Pod, info PodInfo, r *pod.ResourceFieldSelector) (string, error) {
	var c *pod.Container
	for _, cs := range [][]pod.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range cs {
			if cs[i].Name == r.ContainerName {
				c = &cs[i]
			}
		}
	}
	if c == nil {
		return "", fmt.Errorf("container %q not found", r.ContainerName)
	}
	div, err := pod.DivisorOf(r)
	if err != nil {
		return "", err
	}
	kind, res, _ := strings.Cut(r.Resource, ".")
	var n, capacity, unit int64
	var set bool
	switch res {
	case "cpu":
		n, set, err = c.Resources.Limits.CPUMillis()
		capacity, unit = info.Allocatable.CPUMillis, 1000
	case "memory":
		n, set, err = c.Resources.Limits.MemoryBytes()
		capacity, unit = info.Allocatable.MemoryBytes, 1
	default: // ephemeral-storage: podunit sets no limit
		capacity, unit = info.Allocatable.EphemeralStorageBytes, 1
	}
	if err != nil {
		return "", err
	}
	switch {
	case set:
	case kind == "limits":
		n = capacity
	default:
		n = 0
	}
	return pod.ResourceValue(big.NewRat(n, unit), div), nil
}
