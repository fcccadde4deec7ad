package pod

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Validate checks p against what podunit can run. It accepts a pod before
// or after Default. Errors are *Error values joined with errors.Join; they
// carry line and column only when the pod came from Decode, which runs the
// same checks with positions.
func (p *Pod) Validate() error {
	v := &validator{file: p.Source.File, line: p.Source.Line}
	p.validate(v)
	return errors.Join(v.errs...)
}

type validator struct {
	file string
	line int                 // fallback position: the document
	pos  map[string]position // from the decoder; nil for Validate
	errs []error
	// warnings are kept on the pod by Decode; Validate drops them.
	warnings []*Warning
}

func (v *validator) errorf(field, format string, args ...any) {
	e := &Error{File: v.file, Field: field, Msg: fmt.Sprintf(format, args...)}
	// A defaulted or missing field has no position: use the nearest
	// enclosing field that has one.
	for f := field; ; f = parentPath(f) {
		if at, ok := v.pos[f]; ok {
			e.Line, e.Column = at.line, at.column
			break
		}
		if f == "" {
			e.Line = v.line
			break
		}
	}
	v.errs = append(v.errs, e)
}

// parentPath strips the last component of a field path: ".name", "[3]" or
// `["key"]`. strconv.Quote escapes every quote inside a key, so `["`
// cannot occur within one.
func parentPath(f string) string {
	var i int
	switch {
	case strings.HasSuffix(f, `"]`):
		i = strings.LastIndex(f, `["`)
	case strings.HasSuffix(f, "]"):
		i = strings.LastIndex(f, "[")
	default:
		i = strings.LastIndex(f, ".")
	}
	if i < 0 {
		return ""
	}
	return f[:i]
}

var (
	dns1123Label    = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dns1123Sub      = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	qualifiedName   = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	labelValueRegex = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
)

const (
	labelMsg = "must be a lowercase RFC 1123 label: at most 63 characters a-z, 0-9 and '-', starting and ending with a letter or digit"
	// Kubernetes' limit on all annotations of an object together.
	maxAnnotationsSize = 256 * 1024
)

func isDNSLabel(s string) bool { return len(s) <= 63 && dns1123Label.MatchString(s) }

func (v *validator) label(field, s string) {
	if s == "" {
		v.errorf(field, "required value")
	} else if !isDNSLabel(s) {
		v.errorf(field, "invalid value %q: %s", truncate(s), labelMsg)
	}
}

// qualifiedNameProblem checks a label or annotation key: [prefix/]name,
// prefix a DNS subdomain, name at most 63 characters.
func qualifiedNameProblem(key string) string {
	name := key
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		prefix := key[:i]
		name = key[i+1:]
		if prefix == "" || len(prefix) > 253 || !dns1123Sub.MatchString(prefix) {
			return "prefix must be a lowercase DNS subdomain (example.com)"
		}
	}
	if name == "" || len(name) > 63 || !qualifiedName.MatchString(name) {
		return "name must be at most 63 characters a-z, A-Z, 0-9, '-', '_' or '.', starting and ending with a letter or digit"
	}
	return ""
}

func (p *Pod) validate(v *validator) {
	if p.APIVersion == "" {
		v.errorf("apiVersion", "required value (want v1)")
	} else if p.APIVersion != "v1" {
		v.errorf("apiVersion", "unsupported value %q (want v1)", truncate(p.APIVersion))
	}
	if p.Kind == "" {
		v.errorf("kind", "required value (want Pod)")
	} else if p.Kind != "Pod" {
		v.errorf("kind", "unsupported value %q (want Pod)", truncate(p.Kind))
	}
	p.Metadata.validate(v)
	p.Spec.validate(v)
}

func (m *ObjectMeta) validate(v *validator) {
	// The name becomes the machined machine name and the unit
	// podunit-<name>.service, hence a label, not Kubernetes' subdomain.
	v.label("metadata.name", m.Name)
	m.validateRest(v)
}

// validateRest checks what pods and objects share: the namespace, labels
// and annotations.
func (m *ObjectMeta) validateRest(v *validator) {
	if m.Namespace != "" {
		v.label("metadata.namespace", m.Namespace)
	}
	for _, k := range slices.Sorted(maps.Keys(m.Labels)) {
		val := m.Labels[k]
		f := "metadata.labels[" + strconv.Quote(k) + "]"
		if msg := qualifiedNameProblem(k); msg != "" {
			v.errorf(f, "invalid key: %s", msg)
		}
		if len(val) > 63 || !labelValueRegex.MatchString(val) {
			v.errorf(f, "invalid value %q: must be empty or at most 63 characters a-z, A-Z, 0-9, '-', '_' or '.', starting and ending with a letter or digit", truncate(val))
		}
	}
	size := 0
	for _, k := range slices.Sorted(maps.Keys(m.Annotations)) {
		val := m.Annotations[k]
		size += len(k) + len(val)
		// Kubernetes checks annotation keys case-insensitively.
		if msg := qualifiedNameProblem(strings.ToLower(k)); msg != "" {
			v.errorf("metadata.annotations["+strconv.Quote(k)+"]", "invalid key: %s", msg)
		}
	}
	if size > maxAnnotationsSize {
		v.errorf("metadata.annotations", "total size %d bytes exceeds %d", size, maxAnnotationsSize)
	}
}

func (s *PodSpec) validate(v *validator) {
	var containers []string
	for _, c := range append(slices.Clone(s.InitContainers), s.Containers...) {
		containers = append(containers, c.Name)
	}
	volumes := map[string]bool{}
	for i := range s.Volumes {
		f := fmt.Sprintf("spec.volumes[%d]", i)
		vol := &s.Volumes[i]
		vol.validate(v, f, containers)
		if vol.Name != "" {
			if volumes[vol.Name] {
				v.errorf(f+".name", "duplicate volume name %q", vol.Name)
			}
			volumes[vol.Name] = true
		}
	}

	if len(s.Containers) == 0 {
		v.errorf("spec.containers", "at least one container is required")
	}
	names := map[string]string{} // container name → field of its first use
	check := func(list string, cs []Container) {
		for i := range cs {
			f := fmt.Sprintf("spec.%s[%d]", list, i)
			c := &cs[i]
			c.validate(v, f, volumes)
			c.validateProbes(v, f, list == "initContainers")
			if c.Name == "" {
				continue
			}
			if first, dup := names[c.Name]; dup {
				v.errorf(f+".name", "duplicate container name %q (also %s)", c.Name, first)
				continue
			}
			names[c.Name] = f + ".name"
		}
	}
	check("initContainers", s.InitContainers)
	check("containers", s.Containers)

	switch s.RestartPolicy {
	case "", RestartAlways, RestartOnFailure, RestartNever:
	default:
		v.errorf("spec.restartPolicy", "unsupported value %q (want Always, OnFailure or Never)", truncate(s.RestartPolicy))
	}
	if g := s.TerminationGracePeriodSeconds; g != nil && *g < 0 {
		v.errorf("spec.terminationGracePeriodSeconds", "must be greater than or equal to 0")
	}
	if s.Hostname != "" {
		v.label("spec.hostname", s.Hostname)
	}
	for i, r := range s.ImagePullSecrets {
		v.objectName(fmt.Sprintf("spec.imagePullSecrets[%d].name", i), r.Name)
	}
	s.validateNetwork(v)
	s.validateNamespaces(v)
	s.validateOS(v)
	s.SecurityContext.validate(v)
	if msg := RuntimeClassProblem(s.RuntimeClassName); msg != "" {
		v.errorf("spec.runtimeClassName", "%s", msg)
	}
	s.validateEnv(v)
	s.warnScheduling(v)
}

func (c *Container) validate(v *validator, f string, volumes map[string]bool) {
	v.label(f+".name", c.Name)
	switch {
	case strings.TrimSpace(c.Image) == "":
		v.errorf(f+".image", "required value")
	case strings.TrimSpace(c.Image) != c.Image:
		v.errorf(f+".image", "must not have leading or trailing whitespace")
	}
	switch c.ImagePullPolicy {
	case "", PullAlways, PullIfNotPresent, PullNever:
	default:
		v.errorf(f+".imagePullPolicy", "unsupported value %q (want Always, IfNotPresent or Never)", truncate(c.ImagePullPolicy))
	}
	if c.WorkingDir != "" && !path.IsAbs(c.WorkingDir) {
		v.errorf(f+".workingDir", "must be an absolute path")
	}
	c.Resources.validate(v, f+".resources")
	mounts := map[string]int{} // clean mountPath → index of its first mount
	for i, m := range c.VolumeMounts {
		mf := fmt.Sprintf("%s.volumeMounts[%d]", f, i)
		if m.Name == "" {
			v.errorf(mf+".name", "required value")
		} else if !volumes[m.Name] {
			v.errorf(mf+".name", "volume %q not found", truncate(m.Name))
		}
		switch {
		case m.MountPath == "":
			v.errorf(mf+".mountPath", "required value")
		case !path.IsAbs(m.MountPath):
			v.errorf(mf+".mountPath", "must be an absolute path")
		default:
			clean := path.Clean(m.MountPath)
			if first, dup := mounts[clean]; dup {
				v.errorf(mf+".mountPath", "duplicate mount path %q (also volumeMounts[%d])", truncate(m.MountPath), first)
			} else {
				mounts[clean] = i
			}
		}
		if m.SubPath != "" && (path.IsAbs(m.SubPath) || hasDotDot(m.SubPath)) {
			v.errorf(mf+".subPath", `must be a relative path without ".."`)
		}
	}
	c.SecurityContext.validate(v, f)
}

// validEnvName follows Kubernetes' relaxed rule (1.30+): any printable
// ASCII except '=', which would split NAME=value.
func validEnvName(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' || s[i] == '=' {
			return false
		}
	}
	return true
}

func hasDotDot(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

func (vol *Volume) validate(v *validator, f string, containers []string) {
	v.label(f+".name", vol.Name)
	n := 0
	for _, set := range []bool{vol.EmptyDir != nil, vol.HostPath != nil, vol.ConfigMap != nil, vol.Secret != nil, vol.DownwardAPI != nil, vol.Projected != nil} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		v.errorf(f, "must specify exactly one volume source: emptyDir, hostPath, configMap, secret, downwardAPI or projected")
	case n > 1:
		v.errorf(f, "may not specify more than one volume source")
	default:
		vol.validateProjected(v, f, containers)
	}
	if e := vol.EmptyDir; e != nil {
		if e.Medium != "" && e.Medium != "Memory" {
			v.errorf(f+".emptyDir.medium", `unsupported value %q (want "" or Memory)`, truncate(e.Medium))
		}
		if _, _, err := e.SizeLimitBytes(); err != nil {
			v.errorf(f+".emptyDir.sizeLimit", "%v", err)
		}
	}
	if h := vol.HostPath; h != nil {
		pf := f + ".hostPath.path"
		switch {
		case h.Path == "":
			v.errorf(pf, "required value")
		case !path.IsAbs(h.Path):
			v.errorf(pf, "must be an absolute path")
		case path.Clean(h.Path) != h.Path:
			v.errorf(pf, "must be a clean path (%q)", path.Clean(h.Path))
		}
		switch h.Type {
		case "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice":
		default:
			v.errorf(f+".hostPath.type", "unsupported value %q (want DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice or BlockDevice)", truncate(h.Type))
		}
	}
}
