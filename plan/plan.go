// Package plan compiles a Pod and its resolved images into the podinit
// plan: the one document podinit reads inside the pod. Pure: the image
// lookups are done by the caller and passed in.
package plan

import (
	"fmt"
	"strings"
	"time"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/images"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/units"
)

// Image is what the plan needs of a resolved image.
type Image struct {
	ID string // config digest
	// Layers are host paths of the unpacked layers, base first, below the
	// host's image store.
	Layers []string
	Config images.Config
}

// AnnotationRestartBackoff sets the first restart delay of the pod's
// containers (a Go duration, default 10s, as the kubelet's). Tests and
// impatient operators shorten it; it doubles up to five minutes.
const AnnotationRestartBackoff = "podunit.io/restart-backoff"

const (
	defaultBackoff      = 10 * time.Second
	defaultBackoffMax   = 5 * time.Minute
	defaultBackoffReset = 10 * time.Minute
)

// Compile builds the plan. iso is the pod's isolation, allocated by the
// caller; images maps each container's image reference (as written in the
// pod) to the resolved image; rt holds what the downward API reads.
func Compile(p *pod.Pod, h units.Host, iso units.Isolation, images map[string]*Image, rt Runtime) (*contract.Plan, error) {
	base := defaultBackoff
	if v, ok := p.Metadata.Annotations[AnnotationRestartBackoff]; ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("metadata.annotations[%s]: want a positive duration such as 10s, got %q", AnnotationRestartBackoff, v)
		}
		base = d
	}
	if _, err := Relabels(p, h.StateDir); err != nil {
		return nil, err
	}
	maxDelay := defaultBackoffMax
	if base > maxDelay {
		maxDelay = base
	}
	hostname := p.Spec.Hostname
	if hostname == "" {
		hostname = p.Metadata.Name
	}
	grace := int64(30)
	if g := p.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = *g
	}
	pl := &contract.Plan{
		Pod:                p.Metadata.Name,
		Namespace:          p.Metadata.Namespace,
		Hostname:           hostname,
		RestartPolicy:      p.Spec.RestartPolicy,
		GracePeriodSeconds: grace,
		BackoffBaseMillis:  base.Milliseconds(),
		BackoffMaxMillis:   maxDelay.Milliseconds(),
		BackoffResetMillis: defaultBackoffReset.Milliseconds(),
		SharePIDNamespace:  p.Spec.ShareProcessNamespace != nil && *p.Spec.ShareProcessNamespace,
	}
	vols := volumeSources(p)
	for _, v := range p.Spec.Volumes {
		if v.EmptyDir != nil && v.EmptyDir.Medium == "Memory" {
			mv := contract.MemoryVolume{Path: EmptyDirPath(v.Name)}
			if n, ok, err := v.EmptyDir.SizeLimitBytes(); err != nil {
				return nil, fmt.Errorf("volume %q: sizeLimit: %w", v.Name, err)
			} else if ok {
				mv.SizeBytes = n
			}
			pl.MemoryVolumes = append(pl.MemoryVolumes, mv)
		}
	}
	for i := range p.Spec.InitContainers {
		c, err := container(p, &p.Spec.InitContainers[i], h, images, vols, rt)
		if err == nil {
			c.Security, err = security(p, &p.Spec.InitContainers[i], images[p.Spec.InitContainers[i].Image], h, iso)
		}
		if err != nil {
			return nil, fmt.Errorf("spec.initContainers[%d]: %w", i, err)
		}
		pl.InitContainers = append(pl.InitContainers, *c)
	}
	for i := range p.Spec.Containers {
		c, err := container(p, &p.Spec.Containers[i], h, images, vols, rt)
		if err == nil {
			c.Security, err = security(p, &p.Spec.Containers[i], images[p.Spec.Containers[i].Image], h, iso)
		}
		if err != nil {
			return nil, fmt.Errorf("spec.containers[%d]: %w", i, err)
		}
		pl.Containers = append(pl.Containers, *c)
	}
	return pl, nil
}

type volumeSource struct {
	dir string // inside the pod
	// readOnly: the kubelet mounts projected-file volumes read-only,
	// whatever the volumeMount says.
	readOnly bool
}

func volumeSources(p *pod.Pod) map[string]volumeSource {
	out := map[string]volumeSource{}
	for _, v := range p.Spec.Volumes {
		switch {
		case v.HostPath != nil:
			out[v.Name] = volumeSource{dir: contract.HostPathDir(v.Name)}
		case v.EmptyDir != nil:
			out[v.Name] = volumeSource{dir: EmptyDirPath(v.Name)}
		case v.IsProjected():
			out[v.Name] = volumeSource{dir: contract.ProjectedVolumeDir(v.Name), readOnly: true}
		}
	}
	return out
}

// EmptyDirPath is where an emptyDir volume lives inside the pod.
func EmptyDirPath(volume string) string { return contract.RunDir + "/volumes/" + volume }

// ContainerDir is where a container's overlay dirs live inside the pod.
func ContainerDir(name string) string { return contract.ContainersDir + "/" + name }

func container(p *pod.Pod, c *pod.Container, h units.Host, images map[string]*Image, vols map[string]volumeSource, rt Runtime) (*contract.Container, error) {
	img, ok := images[c.Image]
	if !ok {
		return nil, fmt.Errorf("image %q was not resolved", c.Image)
	}
	layers := make([]string, 0, len(img.Layers))
	for _, l := range img.Layers {
		rel, ok := strings.CutPrefix(l, h.ImagesDir()+"/")
		if !ok {
			return nil, fmt.Errorf("image %q: layer %s is outside the image store %s", c.Image, l, h.ImagesDir())
		}
		layers = append(layers, contract.ImagesDir+"/"+rel)
	}
	env, vars, err := containerEnv(p, c, rt)
	if err != nil {
		return nil, fmt.Errorf("container %q: %w", c.Name, err)
	}
	dir := ContainerDir(c.Name)
	out := &contract.Container{
		Name:   c.Name,
		Layers: layers,
		Upper:  dir + "/upper",
		Work:   dir + "/work",
		Rootfs: dir + "/rootfs",
		// As the kubelet, only the pod's command and args expand, not
		// the image's Entrypoint and Cmd.
		Args:       img.Config.Resolve(expandAll(c.Command, vars), expandAll(c.Args, vars)),
		Env:        mergeEnv(img.Config.Env, env),
		WorkingDir: c.WorkingDir,
		User:       img.Config.User,
		Probes:     probes(c),
		Sidecar:    c.IsSidecar(),
	}
	out.Hooks, out.StopSignal = hooks(c)
	res, err := resources(c)
	if err != nil {
		return nil, fmt.Errorf("container %q: %w", c.Name, err)
	}
	out.Resources = res
	if out.WorkingDir == "" {
		out.WorkingDir = img.Config.WorkingDir
	}
	if out.WorkingDir == "" {
		out.WorkingDir = "/"
	}
	if len(out.Args) == 0 {
		return nil, fmt.Errorf("container %q: no command: the pod sets neither command nor args and image %q has no Entrypoint or Cmd", c.Name, c.Image)
	}
	// Before the volumes, so that a volume mounted over /etc wins.
	out.Mounts = etcMounts()
	for _, m := range c.VolumeMounts {
		src, ok := vols[m.Name]
		if !ok {
			return nil, fmt.Errorf("container %q: volume %q not found", c.Name, m.Name)
		}
		out.Mounts = append(out.Mounts, contract.Mount{Source: src.dir, SubPath: m.SubPath, Target: m.MountPath, ReadOnly: m.ReadOnly || src.readOnly})
	}
	return out, nil
}

// mergeEnv overlays the pod's variables on the image's: a pod variable
// replaces an image variable of the same name in place.
func mergeEnv(image []string, pod []pod.EnvVar) []string {
	out := append([]string{}, image...)
	index := map[string]int{}
	for i, kv := range out {
		k, _, _ := strings.Cut(kv, "=")
		index[k] = i
	}
	for _, e := range pod {
		kv := e.Name + "=" + e.Value
		if i, ok := index[e.Name]; ok {
			out[i] = kv
			continue
		}
		index[e.Name] = len(out)
		out = append(out, kv)
	}
	return out
}
