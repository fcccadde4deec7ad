package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/seccomp"
	"github.com/podunit/podunit/selinux"
	"github.com/podunit/podunit/units"
)

// security resolves a container's securityContext (over the pod's) into
// what podinit enforces. It reads Localhost seccomp profiles, so a missing
// or malformed profile fails the apply.
func security(p *pod.Pod, c *pod.Container, img *Image, h units.Host, iso units.Isolation) (*contract.Security, error) {
	spec := &p.Spec
	sec, err := spec.Security(c)
	if err != nil {
		return nil, fmt.Errorf("securityContext.capabilities: %w", err)
	}
	out := &contract.Security{
		RunAsUser:    toID(sec.RunAsUser),
		RunAsGroup:   toID(sec.RunAsGroup),
		RunAsNonRoot: sec.RunAsNonRoot,
		Capabilities: uint64(sec.Caps),
		NoNewPrivs:   sec.NoNewPrivs,
		ReadOnlyRoot: sec.ReadOnlyRoot,
	}
	if psc := spec.SecurityContext; psc != nil {
		for _, g := range psc.SupplementalGroups {
			out.SupplementalGroups = append(out.SupplementalGroups, uint32(g))
		}
		// Kubernetes adds fsGroup to every container's groups, so the
		// processes can use the volumes it owns.
		if psc.FSGroup != nil {
			out.SupplementalGroups = append(out.SupplementalGroups, uint32(*psc.FSGroup))
		}
	}
	out.UIDBase = iso.UIDBase
	if l := iso.Labels; l != nil {
		// A container's seLinuxOptions refine the pod's level and type.
		out.ProcessLabel = selinux.Make(l.Level, selinux.Options(sec.SELinux)).Process
		out.MountLabel = l.File
	}
	if sec.RunAsNonRoot {
		if err := checkNonRoot(sec.RunAsUser, img.Config.User); err != nil {
			return nil, err
		}
	}
	if !sec.Privileged {
		out.MaskedPaths = contract.MaskedPaths
		out.ReadonlyPaths = contract.ReadonlyPaths
	}
	var profile *seccomp.Profile
	switch sec.Seccomp.Type {
	case seccomp.Unconfined:
		out.SeccompProfile = seccomp.Unconfined
	case seccomp.RuntimeDefault:
		out.SeccompProfile, profile = seccomp.RuntimeDefault, seccomp.Default()
	case seccomp.Localhost:
		rel := *sec.Seccomp.LocalhostProfile
		out.SeccompProfile = seccomp.Localhost + "/" + rel
		file := filepath.Join(h.SeccompDir(), rel)
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("securityContext.seccompProfile.localhostProfile: %w", err)
		}
		if profile, err = seccomp.Parse(data); err != nil {
			return nil, fmt.Errorf("securityContext.seccompProfile.localhostProfile: %s: %w", file, err)
		}
	}
	if profile != nil {
		prog, err := profile.Compile(sec.Caps)
		if err != nil {
			return nil, fmt.Errorf("securityContext.seccompProfile: %w", err)
		}
		out.Seccomp = prog.Bytes()
	}
	return out, nil
}

// checkNonRoot refuses at apply time what the kubelet refuses at start:
// with runAsNonRoot, the user must be known to be non-root. A user name
// could only be checked against the image's /etc/passwd, which Kubernetes
// does not do either: it asks for a numeric user.
func checkNonRoot(runAsUser *int64, imageUser string) error {
	if runAsUser != nil {
		return nil // validation refused runAsUser 0 with runAsNonRoot
	}
	user, _, _ := strings.Cut(imageUser, ":")
	switch {
	case user == "" || user == "0" || user == "root":
		return fmt.Errorf("securityContext.runAsNonRoot: the image runs as root (user %q); set runAsUser to a non-zero uid", imageUser)
	case strings.Trim(user, "0123456789") != "":
		return fmt.Errorf("securityContext.runAsNonRoot: the image's user %q is not numeric, so it cannot be verified to be non-root; set runAsUser", imageUser)
	}
	return nil
}

func toID(p *int64) *uint32 {
	if p == nil {
		return nil
	}
	v := uint32(*p)
	return &v
}
