package plan

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/podunit/podunit/internal/expansion"
	"github.com/podunit/podunit/pod"
)

// Runtime is what only the host knows when the pod starts, read by
// fieldRef and resourceFieldRef variables. prepare gathers it once the
// pod's network is attached and passes it in, so Compile stays pure.
type Runtime struct {
	UID      string   // the pod's metadata.uid, kept in its state
	NodeName string   // this host's name, spec.nodeName in a cluster
	PodIPs   []string // the pod's addresses; the host's with hostNetwork
	HostIPs  []string
	// Allocatable is what the kubelet calls node allocatable: a limit a
	// container does not set reads as the host's whole capacity.
	Allocatable Allocatable
	// Object reads the values of a ConfigMap or Secret (pod.KindConfigMap,
	// pod.KindSecret) of the pod's namespace, for configMapKeyRef,
	// secretKeyRef and envFrom; found is false when there is none. Nil
	// reads none.
	Object func(kind, name string) (values map[string][]byte, found bool, err error)
}

// ErrContainerConfig is the kubelet's reason for a container whose
// ConfigMap, Secret or key is missing: the errors of a start that fails
// for it wrap this.
var ErrContainerConfig = errors.New("CreateContainerConfigError")

func (rt Runtime) object(kind, name string) (map[string][]byte, bool, error) {
	if rt.Object == nil {
		return nil, false, nil
	}
	return rt.Object(kind, name)
}

// fromObjects is a container's envFrom variables, in order: each
// source's keys (sorted) with its prefix; a later source overrides an
// earlier one, and env entries override them all, as in the kubelet.
// Every ConfigMap and Secret key is a valid name under the relaxed rule
// podunit follows (Kubernetes 1.30+), so none is skipped.
func fromObjects(c *pod.Container, rt Runtime) ([]pod.EnvVar, error) {
	var out []pod.EnvVar
	for i, src := range c.EnvFrom {
		kind, ref := pod.KindConfigMap, src.ConfigMapRef
		if src.SecretRef != nil {
			kind, ref = pod.KindSecret, src.SecretRef
		}
		vals, found, err := rt.object(kind, ref.Name)
		if err != nil {
			return nil, fmt.Errorf("envFrom[%d]: %w", i, err)
		}
		if !found {
			if pod.IsOptional(ref.Optional) {
				continue
			}
			return nil, fmt.Errorf("%w: envFrom[%d]: %s %q not found", ErrContainerConfig, i, strings.ToLower(kind), ref.Name)
		}
		for _, k := range slices.Sorted(maps.Keys(vals)) {
			out = append(out, pod.EnvVar{Name: src.Prefix + k, Value: string(vals[k])})
		}
	}
	return out, nil
}

// keyValue reads a configMapKeyRef or secretKeyRef; ok is false for an
// optional one that is missing, which leaves the variable unset.
func keyValue(rt Runtime, kind string, sel *pod.KeySelector) (value string, ok bool, err error) {
	vals, found, err := rt.object(kind, sel.Name)
	if err != nil {
		return "", false, err
	}
	v, has := vals[sel.Key]
	switch {
	case has:
		return string(v), true, nil
	case pod.IsOptional(sel.Optional):
		return "", false, nil
	case !found:
		return "", false, fmt.Errorf("%w: %s %q not found", ErrContainerConfig, strings.ToLower(kind), sel.Name)
	}
	return "", false, fmt.Errorf("%w: couldn't find key %s in %s %q", ErrContainerConfig, sel.Key, kind, sel.Name)
}

// Allocatable is the host's capacity for containers.
type Allocatable struct {
	CPUMillis             int64
	MemoryBytes           int64
	EphemeralStorageBytes int64
}

// containerEnv resolves a container's env list as the kubelet does: in
// order, a value expands $(NAME) references to the variables before it
// (and nothing from the image, which the kubelet does not see either); a
// valueFrom is read from the pod and is not expanded. It returns the
// resolved list and the final value of each name, which command and args
// expand against.
func containerEnv(p *pod.Pod, c *pod.Container, rt Runtime) ([]pod.EnvVar, map[string]string, error) {
	vars := map[string]string{}
	lookup := func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
	out, err := fromObjects(c, rt)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range out {
		vars[e.Name] = e.Value
	}
	for i, e := range c.Env {
		value := e.Value
		switch src := e.ValueFrom; {
		case value != "":
			value = expansion.Expand(value, lookup)
		case src != nil && src.FieldRef != nil:
			v, err := FieldValue(p, src.FieldRef.FieldPath, rt)
			if err != nil {
				return nil, nil, fmt.Errorf("env[%d] (%s): %w", i, e.Name, err)
			}
			value = v
		case src != nil && src.ResourceFieldRef != nil:
			v, err := ResourceValue(p, c, src.ResourceFieldRef, rt.Allocatable)
			if err != nil {
				return nil, nil, fmt.Errorf("env[%d] (%s): %w", i, e.Name, err)
			}
			value = v
		case src != nil && (src.ConfigMapKeyRef != nil || src.SecretKeyRef != nil):
			kind, sel := pod.KindConfigMap, src.ConfigMapKeyRef
			if src.SecretKeyRef != nil {
				kind, sel = pod.KindSecret, src.SecretKeyRef
			}
			v, ok, err := keyValue(rt, kind, sel)
			if err != nil {
				return nil, nil, fmt.Errorf("env[%d] (%s): %w", i, e.Name, err)
			}
			if !ok {
				continue
			}
			value = v
		}
		vars[e.Name] = value
		out = append(out, pod.EnvVar{Name: e.Name, Value: value})
	}
	return out, vars, nil
}

// expandAll expands each word of a command or args list.
func expandAll(words []string, vars map[string]string) []string {
	if words == nil {
		return nil
	}
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = expansion.Expand(w, func(name string) (string, bool) {
			v, ok := vars[name]
			return v, ok
		})
	}
	return out
}

// FieldValue reads a pod field as a fieldRef names it (the downward
// API). A label or annotation the pod does not have reads as "".
func FieldValue(p *pod.Pod, fieldPath string, rt Runtime) (string, error) {
	path, key := pod.SplitFieldPath(fieldPath)
	switch path {
	case pod.FieldName:
		return p.Metadata.Name, nil
	case pod.FieldNamespace:
		return p.Metadata.Namespace, nil
	case pod.FieldUID:
		return rt.UID, nil
	case pod.FieldLabels:
		return p.Metadata.Labels[key], nil
	case pod.FieldAnnotations:
		return p.Metadata.Annotations[key], nil
	case pod.FieldNodeName:
		return rt.NodeName, nil
	case pod.FieldServiceAccountName:
		return p.Spec.ServiceAccount(), nil
	case pod.FieldPodIP:
		return first(rt.PodIPs), nil
	case pod.FieldPodIPs:
		return strings.Join(rt.PodIPs, ","), nil
	case pod.FieldHostIP:
		return first(rt.HostIPs), nil
	case pod.FieldHostIPs:
		return strings.Join(rt.HostIPs, ","), nil
	}
	return "", fmt.Errorf("unsupported fieldPath %q", fieldPath)
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// ResourceValue reads a container's limit or request as a resourceFieldRef
// names it: in units of the divisor, rounded up, as the kubelet does. An
// unset limit reads as the host's allocatable amount, an unset request as
// 0 (a request defaults to its limit, see pod.ResourceRequirements.Requested).
// The container is own unless the selector names another.
func ResourceValue(p *pod.Pod, own *pod.Container, sel *pod.ResourceFieldSelector, node Allocatable) (string, error) {
	c := own
	if sel.ContainerName != "" {
		if c = findContainer(p, sel.ContainerName); c == nil {
			return "", fmt.Errorf("resourceFieldRef: container %q not found", sel.ContainerName)
		}
	}
	div, err := sel.DivisorUnits()
	if err != nil {
		return "", err
	}
	var n int64
	var set bool
	switch sel.Resource {
	case pod.LimitsCPU:
		if n, set, err = c.Resources.Limits.CPUMillis(); !set {
			n = node.CPUMillis
		}
	case pod.LimitsMemory:
		if n, set, err = c.Resources.Limits.MemoryBytes(); !set {
			n = node.MemoryBytes
		}
	case pod.LimitsEphemeralStorage:
		// podunit refuses ephemeral-storage limits: always unset.
		n = node.EphemeralStorageBytes
	case pod.RequestsCPU:
		n, err = c.Resources.Requested().RequestedCPUMillis()
	case pod.RequestsMemory:
		n, err = c.Resources.Requested().RequestedMemoryBytes()
	case pod.RequestsEphemeralStorage:
		n = 0 // refused as a request too
	default:
		return "", fmt.Errorf("resourceFieldRef: unsupported resource %q", sel.Resource)
	}
	if err != nil {
		return "", fmt.Errorf("resourceFieldRef %s: %w", sel.Resource, err)
	}
	return strconv.FormatInt((n+div-1)/div, 10), nil
}

func findContainer(p *pod.Pod, name string) *pod.Container {
	for _, cs := range [][]pod.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range cs {
			if cs[i].Name == name {
				return &cs[i]
			}
		}
	}
	return nil
}
