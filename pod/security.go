package pod

import (
	"fmt"
	"path"

	"github.com/podunit/podunit/caps"
)

// PodSecurityContext is core/v1 PodSecurityContext: defaults for every
// container (a container's own securityContext wins field by field) and
// the pod-wide fsGroup and supplementalGroups.
type PodSecurityContext struct {
	SELinuxOptions     *SELinuxOptions `json:"seLinuxOptions,omitempty" yaml:"seLinuxOptions,omitempty"`
	RunAsUser          *int64          `json:"runAsUser,omitempty" yaml:"runAsUser,omitempty"`
	RunAsGroup         *int64          `json:"runAsGroup,omitempty" yaml:"runAsGroup,omitempty"`
	RunAsNonRoot       *bool           `json:"runAsNonRoot,omitempty" yaml:"runAsNonRoot,omitempty"`
	SupplementalGroups []int64         `json:"supplementalGroups,omitempty" yaml:"supplementalGroups,omitempty"`
	FSGroup            *int64          `json:"fsGroup,omitempty" yaml:"fsGroup,omitempty"`
	SeccompProfile     *SeccompProfile `json:"seccompProfile,omitempty" yaml:"seccompProfile,omitempty"`
}

// SecurityContext is core/v1 SecurityContext, per container.
type SecurityContext struct {
	Capabilities             *Capabilities   `json:"capabilities,omitempty" yaml:"capabilities,omitempty"`
	Privileged               *bool           `json:"privileged,omitempty" yaml:"privileged,omitempty"`
	SELinuxOptions           *SELinuxOptions `json:"seLinuxOptions,omitempty" yaml:"seLinuxOptions,omitempty"`
	RunAsUser                *int64          `json:"runAsUser,omitempty" yaml:"runAsUser,omitempty"`
	RunAsGroup               *int64          `json:"runAsGroup,omitempty" yaml:"runAsGroup,omitempty"`
	RunAsNonRoot             *bool           `json:"runAsNonRoot,omitempty" yaml:"runAsNonRoot,omitempty"`
	ReadOnlyRootFilesystem   *bool           `json:"readOnlyRootFilesystem,omitempty" yaml:"readOnlyRootFilesystem,omitempty"`
	AllowPrivilegeEscalation *bool           `json:"allowPrivilegeEscalation,omitempty" yaml:"allowPrivilegeEscalation,omitempty"`
	SeccompProfile           *SeccompProfile `json:"seccompProfile,omitempty" yaml:"seccompProfile,omitempty"`
}

type Capabilities struct {
	Add  []string `json:"add,omitempty" yaml:"add,omitempty"`
	Drop []string `json:"drop,omitempty" yaml:"drop,omitempty"`
}

type SELinuxOptions struct {
	User  string `json:"user,omitempty" yaml:"user,omitempty"`
	Role  string `json:"role,omitempty" yaml:"role,omitempty"`
	Type  string `json:"type,omitempty" yaml:"type,omitempty"`
	Level string `json:"level,omitempty" yaml:"level,omitempty"`
}

// SeccompProfile: type RuntimeDefault, Unconfined or Localhost; a
// Localhost profile is a file below /var/lib/podunit/seccomp, named
// relative to it (the kubelet's seccomp root).
type SeccompProfile struct {
	Type             string  `json:"type" yaml:"type"`
	LocalhostProfile *string `json:"localhostProfile,omitempty" yaml:"localhostProfile,omitempty"`
}

// Security is a container's effective settings: its own securityContext
// over the pod's, as Kubernetes resolves them.
type Security struct {
	RunAsUser, RunAsGroup *int64
	RunAsNonRoot          bool
	Privileged            bool
	ReadOnlyRoot          bool
	NoNewPrivs            bool
	Caps                  caps.Set
	Seccomp               SeccompProfile // Type is never empty
	SELinux               SELinuxOptions
}

// DefaultSeccomp is the profile of a container that names none. Kubernetes
// defaults to Unconfined unless the kubelet runs with SeccompDefault;
// podunit chooses the safer RuntimeDefault.
const DefaultSeccomp = "RuntimeDefault"

// Security resolves c's effective security settings in pod spec s.
func (s *PodSpec) Security(c *Container) (Security, error) {
	var out Security
	psc, csc := s.SecurityContext, c.SecurityContext
	if psc == nil {
		psc = &PodSecurityContext{}
	}
	if csc == nil {
		csc = &SecurityContext{}
	}
	out.RunAsUser = firstInt(csc.RunAsUser, psc.RunAsUser)
	out.RunAsGroup = firstInt(csc.RunAsGroup, psc.RunAsGroup)
	out.RunAsNonRoot = firstBool(csc.RunAsNonRoot, psc.RunAsNonRoot)
	out.Privileged = csc.Privileged != nil && *csc.Privileged
	out.ReadOnlyRoot = csc.ReadOnlyRootFilesystem != nil && *csc.ReadOnlyRootFilesystem
	// Kubernetes: allowPrivilegeEscalation unset means allowed, and it is
	// always allowed for privileged containers (validation refuses false
	// with privileged or CAP_SYS_ADMIN).
	out.NoNewPrivs = csc.AllowPrivilegeEscalation != nil && !*csc.AllowPrivilegeEscalation
	var add, drop []string
	if csc.Capabilities != nil {
		add, drop = csc.Capabilities.Add, csc.Capabilities.Drop
	}
	set, err := caps.Container(out.Privileged, add, drop)
	if err != nil {
		return out, err
	}
	out.Caps = set
	switch {
	case csc.SeccompProfile != nil:
		out.Seccomp = *csc.SeccompProfile
	case psc.SeccompProfile != nil:
		out.Seccomp = *psc.SeccompProfile
	case out.Privileged:
		// Privileged containers run unconfined, as with containerd.
		out.Seccomp = SeccompProfile{Type: "Unconfined"}
	default:
		out.Seccomp = SeccompProfile{Type: DefaultSeccomp}
	}
	if o := psc.SELinuxOptions; o != nil {
		out.SELinux = *o
	}
	if o := csc.SELinuxOptions; o != nil {
		out.SELinux = mergeSELinux(out.SELinux, *o)
	}
	return out, nil
}

func mergeSELinux(base, over SELinuxOptions) SELinuxOptions {
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&base.User, over.User}, {&base.Role, over.Role}, {&base.Type, over.Type}, {&base.Level, over.Level},
	} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	return base
}

func firstInt(a, b *int64) *int64 {
	if a != nil {
		return a
	}
	return b
}

func firstBool(a, b *bool) bool {
	if a != nil {
		return *a
	}
	return b != nil && *b
}

// maxID is the largest uid or gid a container may use: one 65536-id user
// namespace range (the last, 65535, is the overflow "nobody" id).
const maxID = 65534

func (v *validator) id(field string, p *int64) {
	if p != nil && (*p < 0 || *p > maxID) {
		v.errorf(field, "invalid value %d: must be between 0 and %d", *p, maxID)
	}
}

func (sc *PodSecurityContext) validate(v *validator) {
	if sc == nil {
		return
	}
	const f = "spec.securityContext"
	v.id(f+".runAsUser", sc.RunAsUser)
	v.id(f+".runAsGroup", sc.RunAsGroup)
	v.id(f+".fsGroup", sc.FSGroup)
	for i := range sc.SupplementalGroups {
		v.id(fmt.Sprintf("%s.supplementalGroups[%d]", f, i), &sc.SupplementalGroups[i])
	}
	if sc.RunAsNonRoot != nil && *sc.RunAsNonRoot && sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		v.errorf(f+".runAsNonRoot", "runAsUser is 0 (root) but runAsNonRoot is true")
	}
	sc.SeccompProfile.validate(v, f+".seccompProfile")
	sc.SELinuxOptions.validate(v, f+".seLinuxOptions")
}

func (sc *SecurityContext) validate(v *validator, c string) {
	if sc == nil {
		return
	}
	f := c + ".securityContext"
	v.id(f+".runAsUser", sc.RunAsUser)
	v.id(f+".runAsGroup", sc.RunAsGroup)
	if sc.RunAsNonRoot != nil && *sc.RunAsNonRoot && sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		v.errorf(f+".runAsNonRoot", "runAsUser is 0 (root) but runAsNonRoot is true")
	}
	if cp := sc.Capabilities; cp != nil {
		for i, n := range cp.Add {
			if _, err := caps.Parse(n); err != nil {
				v.errorf(fmt.Sprintf("%s.capabilities.add[%d]", f, i), "%v", err)
			}
		}
		for i, n := range cp.Drop {
			if _, err := caps.Parse(n); err != nil {
				v.errorf(fmt.Sprintf("%s.capabilities.drop[%d]", f, i), "%v", err)
			}
		}
	}
	if sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
		if sc.Privileged != nil && *sc.Privileged {
			v.errorf(f+".allowPrivilegeEscalation", "cannot be false when privileged is true")
		}
		if sc.Capabilities != nil {
			if set, err := caps.Parse(sc.Capabilities.Add...); err == nil && set.Has(21) {
				v.errorf(f+".allowPrivilegeEscalation", "cannot be false when CAP_SYS_ADMIN is added")
			}
		}
	}
	sc.SeccompProfile.validate(v, f+".seccompProfile")
	sc.SELinuxOptions.validate(v, f+".seLinuxOptions")
}

func (sp *SeccompProfile) validate(v *validator, f string) {
	if sp == nil {
		return
	}
	switch sp.Type {
	case "RuntimeDefault", "Unconfined":
		if sp.LocalhostProfile != nil {
			v.errorf(f+".localhostProfile", "must only be set when type is Localhost")
		}
	case "Localhost":
		lp := sp.LocalhostProfile
		switch {
		case lp == nil || *lp == "":
			v.errorf(f+".localhostProfile", "required when type is Localhost")
		case path.IsAbs(*lp) || hasDotDot(*lp):
			v.errorf(f+".localhostProfile", `must be a path relative to /var/lib/podunit/seccomp without ".."`)
		}
	case "":
		v.errorf(f+".type", "required value (want RuntimeDefault, Unconfined or Localhost)")
	default:
		v.errorf(f+".type", "unsupported value %q (want RuntimeDefault, Unconfined or Localhost)", truncate(sp.Type))
	}
}

// selinuxPart is what policy writers use in a context component:
// identifiers of letters, digits, '_' and '.', and for a level also ':',
// ',' and '-' (s0-s0:c1.c1023). Nothing that needs quoting, since the
// label travels through an environment file to nspawn's arguments.
func selinuxPart(s string, level bool) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.':
		case level && (r == ':' || r == ',' || r == '-'):
		default:
			return false
		}
	}
	return true
}

func (o *SELinuxOptions) validate(v *validator, f string) {
	if o == nil {
		return
	}
	for _, p := range []struct {
		name, val string
	}{{"user", o.User}, {"role", o.Role}, {"type", o.Type}} {
		if !selinuxPart(p.val, false) {
			v.errorf(f+"."+p.name, "invalid value %q: want letters, digits, '_' and '.'", truncate(p.val))
		}
	}
	if !selinuxPart(o.Level, true) {
		v.errorf(f+".level", "invalid value %q: want an MLS level such as s0:c1,c2", truncate(o.Level))
	}
}

// Capabilities is the union of every container's capabilities: the pod
// (nspawn) must hold whatever one of its containers may.
func (s *PodSpec) Capabilities() (caps.Set, error) {
	var all caps.Set
	for _, list := range [][]Container{s.InitContainers, s.Containers} {
		for i := range list {
			sec, err := s.Security(&list[i])
			if err != nil {
				return 0, err
			}
			all |= sec.Caps
		}
	}
	return all, nil
}
