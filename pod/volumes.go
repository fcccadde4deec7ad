package pod

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Volumes whose files podunit writes from objects and from the pod
// itself, as the kubelet's configMap, secret, downwardAPI and projected
// volume plugins do.

type ConfigMapVolumeSource struct {
	Name        string      `json:"name" yaml:"name"`
	Items       []KeyToPath `json:"items,omitempty" yaml:"items,omitempty"`
	DefaultMode *int64      `json:"defaultMode,omitempty" yaml:"defaultMode,omitempty"`
	Optional    *bool       `json:"optional,omitempty" yaml:"optional,omitempty"`
}

type SecretVolumeSource struct {
	SecretName  string      `json:"secretName" yaml:"secretName"`
	Items       []KeyToPath `json:"items,omitempty" yaml:"items,omitempty"`
	DefaultMode *int64      `json:"defaultMode,omitempty" yaml:"defaultMode,omitempty"`
	Optional    *bool       `json:"optional,omitempty" yaml:"optional,omitempty"`
}

// KeyToPath projects one key of a ConfigMap or Secret to a file.
type KeyToPath struct {
	Key  string `json:"key" yaml:"key"`
	Path string `json:"path" yaml:"path"`
	Mode *int64 `json:"mode,omitempty" yaml:"mode,omitempty"`
}

type DownwardAPIVolumeSource struct {
	Items       []DownwardAPIVolumeFile `json:"items,omitempty" yaml:"items,omitempty"`
	DefaultMode *int64                  `json:"defaultMode,omitempty" yaml:"defaultMode,omitempty"`
}

type DownwardAPIVolumeFile struct {
	Path             string                 `json:"path" yaml:"path"`
	FieldRef         *ObjectFieldSelector   `json:"fieldRef,omitempty" yaml:"fieldRef,omitempty"`
	ResourceFieldRef *ResourceFieldSelector `json:"resourceFieldRef,omitempty" yaml:"resourceFieldRef,omitempty"`
	Mode             *int64                 `json:"mode,omitempty" yaml:"mode,omitempty"`
}

type ProjectedVolumeSource struct {
	Sources     []VolumeProjection `json:"sources" yaml:"sources"`
	DefaultMode *int64             `json:"defaultMode,omitempty" yaml:"defaultMode,omitempty"`
}

type VolumeProjection struct {
	ConfigMap   *ConfigMapProjection   `json:"configMap,omitempty" yaml:"configMap,omitempty"`
	Secret      *SecretProjection      `json:"secret,omitempty" yaml:"secret,omitempty"`
	DownwardAPI *DownwardAPIProjection `json:"downwardAPI,omitempty" yaml:"downwardAPI,omitempty"`
}

type ConfigMapProjection struct {
	Name     string      `json:"name" yaml:"name"`
	Items    []KeyToPath `json:"items,omitempty" yaml:"items,omitempty"`
	Optional *bool       `json:"optional,omitempty" yaml:"optional,omitempty"`
}

type SecretProjection struct {
	Name     string      `json:"name" yaml:"name"`
	Items    []KeyToPath `json:"items,omitempty" yaml:"items,omitempty"`
	Optional *bool       `json:"optional,omitempty" yaml:"optional,omitempty"`
}

type DownwardAPIProjection struct {
	Items []DownwardAPIVolumeFile `json:"items,omitempty" yaml:"items,omitempty"`
}

// DefaultFileMode is the mode of projected files when the volume sets
// none (Kubernetes' 0644).
const DefaultFileMode = 0o644

// IsProjected reports whether the volume's files are written by podunit
// from objects or the pod (configMap, secret, downwardAPI, projected).
func (vol *Volume) IsProjected() bool {
	return vol.ConfigMap != nil || vol.Secret != nil || vol.DownwardAPI != nil || vol.Projected != nil
}

// HoldsSecrets reports whether the volume has a Secret's data.
func (vol *Volume) HoldsSecrets() bool {
	if vol.Secret != nil {
		return true
	}
	if vol.Projected != nil {
		for _, s := range vol.Projected.Sources {
			if s.Secret != nil {
				return true
			}
		}
	}
	return false
}

// HasProjected reports whether the pod has a projected-file volume.
func (p *Pod) HasProjected() bool {
	return slices.ContainsFunc(p.Spec.Volumes, func(v Volume) bool { return v.IsProjected() })
}

// volumeFieldPaths are the pod fields a downwardAPI volume can project
// (Kubernetes' validVolumeDownwardAPIFieldPathExpressions); labels and
// annotations whole, or one key.
var volumeFieldPaths = []string{FieldName, FieldNamespace, FieldLabels, FieldAnnotations, FieldUID}

func (v *validator) fileMode(field string, mode *int64) {
	if mode != nil && (*mode < 0 || *mode > 0o777) {
		v.errorf(field, "invalid value %d: must be a number between 0 and 0777 (octal), both inclusive", *mode)
	}
}

// projectedPath checks a file path inside the volume as Kubernetes'
// validateLocalNonReservedPath does: relative, no "..", and not starting
// with ".." (the atomic writer's own names).
func (v *validator) projectedPath(field, p string) {
	switch {
	case p == "":
		v.errorf(field, "required value")
	case path.IsAbs(p):
		v.errorf(field, "must be a relative path")
	case hasDotDot(p):
		v.errorf(field, `must not contain ".."`)
	case strings.HasPrefix(p, ".."):
		v.errorf(field, `must not start with ".."`)
	case path.Clean(p) == ".":
		v.errorf(field, "must name a file inside the volume")
	}
}

// paths collects the files a volume writes, to refuse two writing the same
// one (Kubernetes: "conflicting duplicate paths").
type paths map[string]string // clean path → field that writes it

func (v *validator) claim(ps paths, field, p string) {
	if p == "" {
		return
	}
	clean := path.Clean(p)
	if first, dup := ps[clean]; dup {
		v.errorf(field, "conflicting duplicate paths: %q is also written by %s", p, first)
		return
	}
	ps[clean] = field
}

func (v *validator) keyItems(f string, items []KeyToPath, ps paths) {
	for i, it := range items {
		itf := fmt.Sprintf("%s.items[%d]", f, i)
		if it.Key == "" {
			v.errorf(itf+".key", "required value")
		} else if msg := ConfigMapKeyProblem(it.Key); msg != "" {
			v.errorf(itf+".key", "invalid value %q: %s", truncate(it.Key), msg)
		}
		v.projectedPath(itf+".path", it.Path)
		v.fileMode(itf+".mode", it.Mode)
		v.claim(ps, itf+".path", it.Path)
	}
}

func (v *validator) objectName(field, name string) {
	switch {
	case name == "":
		v.errorf(field, "required value")
	case !IsDNSSubdomain(name):
		v.errorf(field, "invalid value %q: must be a lowercase RFC 1123 subdomain", truncate(name))
	}
}

func (v *validator) downwardItems(f string, items []DownwardAPIVolumeFile, containers []string, ps paths) {
	for i, it := range items {
		itf := fmt.Sprintf("%s.items[%d]", f, i)
		v.projectedPath(itf+".path", it.Path)
		v.fileMode(itf+".mode", it.Mode)
		v.claim(ps, itf+".path", it.Path)
		switch {
		case it.FieldRef == nil && it.ResourceFieldRef == nil:
			v.errorf(itf, "must specify one of fieldRef or resourceFieldRef")
		case it.FieldRef != nil && it.ResourceFieldRef != nil:
			v.errorf(itf, "fieldRef and resourceFieldRef can not be specified simultaneously")
		case it.FieldRef != nil:
			v.volumeFieldRef(itf+".fieldRef", it.FieldRef)
		case it.ResourceFieldRef.ContainerName == "":
			// A file belongs to no container: it must name one.
			v.errorf(itf+".resourceFieldRef.containerName", "required value")
		default:
			it.ResourceFieldRef.validate(v, itf+".resourceFieldRef", containers)
		}
	}
}

func (v *validator) volumeFieldRef(f string, r *ObjectFieldSelector) {
	if r.APIVersion != "" && r.APIVersion != "v1" {
		v.errorf(f+".apiVersion", "unsupported value %q (want v1)", truncate(r.APIVersion))
	}
	pf := f + ".fieldPath"
	path, key := SplitFieldPath(r.FieldPath)
	switch {
	case r.FieldPath == "":
		v.errorf(pf, "required value")
	case key != "" && (path == FieldLabels || path == FieldAnnotations):
		if msg := qualifiedNameProblem(strings.ToLower(key)); msg != "" {
			v.errorf(pf, "invalid key %q: %s", truncate(key), msg)
		}
	case key != "" || !slices.Contains(volumeFieldPaths, path):
		v.errorf(pf, "unsupported value %q (want one of %s, or %s['key'] or %s['key'])", truncate(r.FieldPath), strings.Join(volumeFieldPaths, ", "), FieldLabels, FieldAnnotations)
	}
}

// validateProjected checks a projected-file volume's source. containers
// are the pod's container names, for resourceFieldRef.
func (vol *Volume) validateProjected(v *validator, f string, containers []string) {
	ps := paths{}
	switch {
	case vol.ConfigMap != nil:
		s := vol.ConfigMap
		v.objectName(f+".configMap.name", s.Name)
		v.fileMode(f+".configMap.defaultMode", s.DefaultMode)
		v.keyItems(f+".configMap", s.Items, ps)
	case vol.Secret != nil:
		s := vol.Secret
		v.objectName(f+".secret.secretName", s.SecretName)
		v.fileMode(f+".secret.defaultMode", s.DefaultMode)
		v.keyItems(f+".secret", s.Items, ps)
	case vol.DownwardAPI != nil:
		s := vol.DownwardAPI
		v.fileMode(f+".downwardAPI.defaultMode", s.DefaultMode)
		v.downwardItems(f+".downwardAPI", s.Items, containers, ps)
	case vol.Projected != nil:
		s := vol.Projected
		v.fileMode(f+".projected.defaultMode", s.DefaultMode)
		for i, src := range s.Sources {
			sf := fmt.Sprintf("%s.projected.sources[%d]", f, i)
			n := 0
			if src.ConfigMap != nil {
				n++
				v.objectName(sf+".configMap.name", src.ConfigMap.Name)
				v.keyItems(sf+".configMap", src.ConfigMap.Items, ps)
			}
			if src.Secret != nil {
				n++
				v.objectName(sf+".secret.name", src.Secret.Name)
				v.keyItems(sf+".secret", src.Secret.Items, ps)
			}
			if src.DownwardAPI != nil {
				n++
				v.downwardItems(sf+".downwardAPI", src.DownwardAPI.Items, containers, ps)
			}
			switch {
			case n == 0:
				v.errorf(sf, "must specify exactly one source: configMap, secret or downwardAPI")
			case n > 1:
				v.errorf(sf, "may not specify more than one source")
			}
		}
	}
}

var configMapKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

// ConfigMapKeyProblem checks a ConfigMap or Secret key as the API server
// does (IsConfigMapKey); "" if the key is valid.
func ConfigMapKeyProblem(k string) string {
	switch {
	case len(k) > 253:
		return "must be no more than 253 characters"
	case !configMapKey.MatchString(k):
		return "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
	case k == ".":
		return "must not be '.'"
	case k == "..":
		return "must not be '..'"
	case strings.HasPrefix(k, ".."):
		return "must not start with '..'"
	}
	return ""
}
