package pod

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/podunit/podunit/internal/expansion"
)

// EnvVar is one variable of a container's env list: a Value, in which
// $(NAME) references to variables defined earlier in the list expand, or
// a ValueFrom source, which does not expand.
type EnvVar struct {
	Name      string        `json:"name" yaml:"name"`
	Value     string        `json:"value" yaml:"value"`
	ValueFrom *EnvVarSource `json:"valueFrom,omitempty" yaml:"valueFrom,omitempty"`
}

// EnvVarSource is where a variable's value comes from; exactly one is set.
type EnvVarSource struct {
	FieldRef         *ObjectFieldSelector   `json:"fieldRef,omitempty" yaml:"fieldRef,omitempty"`
	ResourceFieldRef *ResourceFieldSelector `json:"resourceFieldRef,omitempty" yaml:"resourceFieldRef,omitempty"`
	// ConfigMapKeyRef and SecretKeyRef: see envobjects.go.
	ConfigMapKeyRef *KeySelector `json:"configMapKeyRef,omitempty" yaml:"configMapKeyRef,omitempty"`
	SecretKeyRef    *KeySelector `json:"secretKeyRef,omitempty" yaml:"secretKeyRef,omitempty"`
}

// ObjectFieldSelector names a field of the pod (the downward API).
type ObjectFieldSelector struct {
	APIVersion string `json:"apiVersion,omitempty" yaml:"apiVersion,omitempty"` // v1 when empty
	FieldPath  string `json:"fieldPath" yaml:"fieldPath"`
}

// ResourceFieldSelector names a container's limit or request, in units of
// Divisor (a quantity, 1 when empty). ContainerName defaults to the
// container the variable belongs to.
type ResourceFieldSelector struct {
	ContainerName string `json:"containerName,omitempty" yaml:"containerName,omitempty"`
	Resource      string `json:"resource" yaml:"resource"`
	Divisor       string `json:"divisor,omitempty" yaml:"divisor,omitempty"`
}

// Field paths a fieldRef can name in an env variable, as in Kubernetes.
// Labels and annotations take a key: metadata.labels['app'].
const (
	FieldName               = "metadata.name"
	FieldNamespace          = "metadata.namespace"
	FieldUID                = "metadata.uid"
	FieldLabels             = "metadata.labels"
	FieldAnnotations        = "metadata.annotations"
	FieldNodeName           = "spec.nodeName"
	FieldServiceAccountName = "spec.serviceAccountName"
	FieldPodIP              = "status.podIP"
	FieldPodIPs             = "status.podIPs"
	FieldHostIP             = "status.hostIP"
	FieldHostIPs            = "status.hostIPs"
)

var envFieldPaths = []string{
	FieldName, FieldNamespace, FieldUID, FieldNodeName, FieldServiceAccountName,
	FieldPodIP, FieldPodIPs, FieldHostIP, FieldHostIPs,
}

// SplitFieldPath splits metadata.labels['k'] into metadata.labels and k;
// a path without a subscript comes back whole with an empty key.
func SplitFieldPath(p string) (path, key string) {
	if strings.HasSuffix(p, "']") {
		if i := strings.Index(p, "['"); i >= 0 {
			return p[:i], p[i+2 : len(p)-2]
		}
	}
	return p, ""
}

// Resources a resourceFieldRef can name.
const (
	LimitsCPU                = "limits.cpu"
	LimitsMemory             = "limits.memory"
	LimitsEphemeralStorage   = "limits.ephemeral-storage"
	RequestsCPU              = "requests.cpu"
	RequestsMemory           = "requests.memory"
	RequestsEphemeralStorage = "requests.ephemeral-storage"
)

var envResources = []string{LimitsCPU, LimitsMemory, LimitsEphemeralStorage, RequestsCPU, RequestsMemory, RequestsEphemeralStorage}

// Divisors Kubernetes accepts: CPU in cores or millicores, memory and
// storage in bytes or a power of 1000 or 1024.
var (
	cpuDivisors  = []string{"1m", "1"}
	byteDivisors = []string{"1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"}
)

// DivisorUnits is the selector's divisor in the resource's base unit
// (millicores for CPU, bytes otherwise): 1 core or 1 byte when empty.
func (r *ResourceFieldSelector) DivisorUnits() (int64, error) {
	allowed := byteDivisors
	unit := int64(1)
	if strings.HasSuffix(r.Resource, ".cpu") {
		allowed, unit = cpuDivisors, 1000
	}
	if r.Divisor == "" {
		return unit, nil
	}
	q, err := ParseQuantity(r.Divisor)
	if err != nil {
		return 0, err
	}
	if q.Sign() == 0 {
		// Kubernetes reads a zero divisor as the default.
		return unit, nil
	}
	for _, a := range allowed {
		d, _ := ParseQuantity(a)
		if d.Cmp(q) == 0 {
			d.Mul(d, new(big.Rat).SetInt64(unit))
			return d.Num().Int64(), nil
		}
	}
	kind := "memory and ephemeral-storage resources"
	if unit == 1000 {
		kind = "cpu resource"
	}
	return 0, fmt.Errorf("divisor %q is not supported with the %s (want one of %s)", truncate(r.Divisor), kind, strings.Join(allowed, ", "))
}

// ServiceAccount is the name spec.serviceAccountName reports: the field,
// else its deprecated alias serviceAccount, else "default", which a
// cluster's ServiceAccount admission sets.
func (s *PodSpec) ServiceAccount() string {
	return cmp.Or(s.ServiceAccountName, s.DeprecatedServiceAccount, "default")
}

// validateEnv checks every container's env list, and warns about $(
// references left unterminated in env values, command and args:
// Kubernetes passes them through as written, which is rarely meant.
func (s *PodSpec) validateEnv(v *validator) {
	var names []string
	for _, c := range append(slices.Clone(s.InitContainers), s.Containers...) {
		names = append(names, c.Name)
	}
	check := func(list string, cs []Container) {
		for i := range cs {
			f := fmt.Sprintf("spec.%s[%d]", list, i)
			for j := range cs[i].Env {
				cs[i].Env[j].validate(v, fmt.Sprintf("%s.env[%d]", f, j), names)
			}
			for j := range cs[i].EnvFrom {
				cs[i].EnvFrom[j].validate(v, fmt.Sprintf("%s.envFrom[%d]", f, j))
			}
			for j, w := range cs[i].Command {
				warnUnterminated(v, fmt.Sprintf("%s.command[%d]", f, j), w)
			}
			for j, w := range cs[i].Args {
				warnUnterminated(v, fmt.Sprintf("%s.args[%d]", f, j), w)
			}
		}
	}
	check("initContainers", s.InitContainers)
	check("containers", s.Containers)
}

func warnUnterminated(v *validator, field, s string) {
	if expansion.Unterminated(s) {
		v.warnf(field, `"$(" without a closing ")" is passed through as written (as Kubernetes does); write "$$(" for a literal "$("`)
	}
}

func (e *EnvVar) validate(v *validator, f string, containers []string) {
	if e.Name == "" {
		v.errorf(f+".name", "required value")
	} else if !validEnvName(e.Name) {
		v.errorf(f+".name", "invalid environment variable name %q: must be printable ASCII characters other than '='", truncate(e.Name))
	}
	warnUnterminated(v, f+".value", e.Value)
	src := e.ValueFrom
	if src == nil {
		return
	}
	sf := f + ".valueFrom"
	if e.Value != "" {
		v.errorf(sf, "may not be specified when value is not empty")
	}
	switch n := countSet(src.FieldRef != nil, src.ResourceFieldRef != nil, src.ConfigMapKeyRef != nil, src.SecretKeyRef != nil); {
	case n == 0:
		v.errorf(sf, "must specify one of: fieldRef, resourceFieldRef, configMapKeyRef or secretKeyRef")
	case n > 1:
		v.errorf(sf, "may not have more than one field specified at a time")
	}
	if r := src.FieldRef; r != nil {
		r.validate(v, sf+".fieldRef")
	}
	if r := src.ResourceFieldRef; r != nil {
		r.validate(v, sf+".resourceFieldRef", containers)
	}
	src.ConfigMapKeyRef.validate(v, sf+".configMapKeyRef")
	src.SecretKeyRef.validate(v, sf+".secretKeyRef")
}

func countSet(set ...bool) int {
	n := 0
	for _, s := range set {
		if s {
			n++
		}
	}
	return n
}

func (r *ObjectFieldSelector) validate(v *validator, f string) {
	if r.APIVersion != "" && r.APIVersion != "v1" {
		v.errorf(f+".apiVersion", "unsupported value %q (want v1)", truncate(r.APIVersion))
	}
	pf := f + ".fieldPath"
	if r.FieldPath == "" {
		v.errorf(pf, "required value")
		return
	}
	path, key := SplitFieldPath(r.FieldPath)
	switch {
	case path == FieldLabels || path == FieldAnnotations:
		if key == "" {
			v.errorf(pf, "%s needs a key in an env variable, as %s['key']", path, path)
			return
		}
		k := key
		if path == FieldAnnotations {
			k = strings.ToLower(k) // as Kubernetes checks annotation keys
		}
		if msg := qualifiedNameProblem(k); msg != "" {
			v.errorf(pf, "invalid key %q: %s", truncate(key), msg)
		}
	case key == "" && slices.Contains(envFieldPaths, path):
	default:
		v.errorf(pf, "unsupported value %q (want one of %s, %s['key'] or %s['key'])",
			truncate(r.FieldPath), strings.Join(envFieldPaths, ", "), FieldLabels, FieldAnnotations)
	}
}

func (r *ResourceFieldSelector) validate(v *validator, f string, containers []string) {
	if r.ContainerName != "" && !slices.Contains(containers, r.ContainerName) {
		v.errorf(f+".containerName", "container %q not found in the pod", truncate(r.ContainerName))
	}
	switch {
	case r.Resource == "":
		v.errorf(f+".resource", "required value")
	case !slices.Contains(envResources, r.Resource):
		v.errorf(f+".resource", "unsupported value %q (want one of %s)", truncate(r.Resource), strings.Join(envResources, ", "))
	default:
		if _, err := r.DivisorUnits(); err != nil {
			v.errorf(f+".divisor", "%v", err)
		}
	}
}
