package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Restart policies (Kubernetes).
const (
	RestartAlways    = "Always"
	RestartOnFailure = "OnFailure"
	RestartNever     = "Never"
)

// LoadPlan reads and validates a plan file.
func LoadPlan(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var p Plan
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("decode plan %s: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("plan %s: %w", path, err)
	}
	return &p, nil
}

// Validate checks what podinit relies on; the host validated the manifest
// already, so failures here mean a host/podinit mismatch.
func (p *Plan) Validate() error {
	var errs []error
	switch p.RestartPolicy {
	case RestartAlways, RestartOnFailure, RestartNever:
	case "":
		errs = append(errs, errors.New("restartPolicy: missing"))
	default:
		errs = append(errs, fmt.Errorf("restartPolicy: unknown value %q", p.RestartPolicy))
	}
	if p.GracePeriodSeconds < 0 {
		errs = append(errs, errors.New("gracePeriodSeconds: negative"))
	}
	if len(p.Containers) == 0 {
		errs = append(errs, errors.New("containers: none"))
	}
	seen := map[string]bool{}
	check := func(field string, i int, c *Container) {
		where := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case c.Name == "":
			errs = append(errs, fmt.Errorf("%s.name: missing", where))
		case strings.ContainsAny(c.Name, "/\x00") || c.Name == "." || c.Name == ".." || strings.HasPrefix(c.Name, "."):
			errs = append(errs, fmt.Errorf("%s.name: %q cannot name a status file", where, c.Name))
		case c.Name+".json" == PodStatusFile:
			// The status record would collide with pod.json.
			errs = append(errs, fmt.Errorf("%s.name: %q is reserved", where, c.Name))
		case seen[c.Name]:
			errs = append(errs, fmt.Errorf("%s.name: duplicate %q", where, c.Name))
		}
		seen[c.Name] = true
		if len(c.Args) == 0 || c.Args[0] == "" {
			errs = append(errs, fmt.Errorf("%s.args: no command", where))
		}
		if len(c.Layers) == 0 {
			errs = append(errs, fmt.Errorf("%s.layers: none", where))
		}
		for name, v := range map[string]string{"rootfs": c.Rootfs, "upper": c.Upper, "work": c.Work} {
			if !strings.HasPrefix(v, "/") {
				errs = append(errs, fmt.Errorf("%s.%s: %q is not an absolute path", where, name, v))
			}
		}
		for j, m := range c.Mounts {
			if !strings.HasPrefix(m.Target, "/") {
				errs = append(errs, fmt.Errorf("%s.mounts[%d].target: %q is not an absolute path", where, j, m.Target))
			}
			if !strings.HasPrefix(m.Source, "/") {
				errs = append(errs, fmt.Errorf("%s.mounts[%d].source: %q is not an absolute path", where, j, m.Source))
			}
		}
	}
	for i := range p.InitContainers {
		check("initContainers", i, &p.InitContainers[i])
	}
	for i := range p.Containers {
		check("containers", i, &p.Containers[i])
	}
	return errors.Join(errs...)
}
