package units

import (
	"fmt"
	"strings"

	"github.com/podunit/podunit/pod"
)

// Annotations that shape unit files (generator and export); a transient
// unit started by apply has no [Install] section and no placement.
const (
	// AnnotationWantedBy names the targets that start the pod at boot,
	// space-separated; empty means the pod is not enabled. Default:
	// multi-user.target.
	AnnotationWantedBy = "podunit.io/wanted-by"

	// fleet's placement keys, written to [X-Fleet]. systemd ignores X-
	// sections, so the file runs unchanged on a single host.
	AnnotationFleetMachineMetadata = "podunit.io/fleet-machine-metadata" // comma-separated key=value
	AnnotationFleetConflicts       = "podunit.io/fleet-conflicts"        // comma-separated unit globs
	AnnotationFleetMachineOf       = "podunit.io/fleet-machine-of"       // a unit name
	AnnotationFleetGlobal          = "podunit.io/fleet-global"           // "true" or "false"

	defaultWantedBy = "multi-user.target"
	networkOnline   = "network-online.target"

	// instanceToken stands for the template instance while compiling; no
	// pod name can contain braces, and nothing in a unit escapes them.
	instanceToken = "{{instance}}"
)

// OriginGenerator marks the units the generator writes: their pods are
// managed by manifest files, so delete refuses them and sync removes a pod
// whose manifest is gone.
const OriginGenerator = "generator"

// FileOptions select how a unit file is written.
type FileOptions struct {
	// Template writes podunit-<pod>@.service; an instance runs the pod
	// named <pod>-<instance>.
	Template bool
	// Origin is recorded in the pod's state by prepare (e.g. "generator").
	Origin string
}

// CompileFile compiles the unit file form of a pod: the transient unit's
// model plus what only a file can carry, boot ordering, [Install] and
// fleet placement.
func CompileFile(p *pod.Pod, h Host, o FileOptions) (*Unit, error) {
	src := p
	if o.Template {
		cp := *p
		cp.Metadata.Name = p.Metadata.Name + "-" + instanceToken
		src = &cp
	}
	u, err := Compile(src, h)
	if err != nil {
		return nil, err
	}
	if o.Template {
		u.Name = "podunit-" + p.Metadata.Name + "@.service"
		u.instance = true
		// The unit carries the pod as written; prepare names it after the
		// instance.
		spec, err := Spec(p)
		if err != nil {
			return nil, err
		}
		u.Credentials = []Credential{{ID: SpecCredential, Data: spec}}
	}
	if o.Origin != "" {
		// Before the pod name, the last word of the prepare command.
		argv := u.ExecStartPre[0].Argv
		last := len(argv) - 1
		u.ExecStartPre[0].Argv = append(append(argv[:last:last], "--origin="+o.Origin), argv[last])
	}
	if mayPull(p) {
		// Image pulls happen in ExecStartPre; at boot they need the
		// network up.
		u.After = append(u.After, networkOnline)
		u.Wants = append(u.Wants, networkOnline)
	}
	u.WantedBy = strings.Fields(defaultWantedBy)
	if v, ok := p.Metadata.Annotations[AnnotationWantedBy]; ok {
		u.WantedBy = strings.Fields(v)
	}
	if u.Fleet, err = fleet(p.Metadata.Annotations); err != nil {
		return nil, err
	}
	return u, nil
}

func mayPull(p *pod.Pod) bool {
	for _, cs := range [][]pod.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for _, c := range cs {
			if c.ImagePullPolicy != pod.PullNever {
				return true
			}
		}
	}
	return false
}

// FleetOption is one key of the [X-Fleet] section.
type FleetOption struct{ Key, Value string }

func fleet(ann map[string]string) ([]FleetOption, error) {
	var out []FleetOption
	list := func(key, annotation string) {
		for _, v := range strings.Split(ann[annotation], ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, FleetOption{key, v})
			}
		}
	}
	list("MachineMetadata", AnnotationFleetMachineMetadata)
	for _, o := range out {
		if k, v, ok := strings.Cut(o.Value, "="); !ok || k == "" || v == "" {
			return nil, fmt.Errorf("metadata.annotations[%s]: want key=value pairs separated by commas, got %q", AnnotationFleetMachineMetadata, o.Value)
		}
	}
	list("Conflicts", AnnotationFleetConflicts)
	if v := strings.TrimSpace(ann[AnnotationFleetMachineOf]); v != "" {
		out = append(out, FleetOption{"MachineOf", v})
	}
	if v, ok := ann[AnnotationFleetGlobal]; ok {
		if v != "true" && v != "false" {
			return nil, fmt.Errorf("metadata.annotations[%s]: want true or false, got %q", AnnotationFleetGlobal, v)
		}
		out = append(out, FleetOption{"Global", v})
	}
	return out, nil
}
