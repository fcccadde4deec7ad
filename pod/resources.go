package pod

import "fmt"

// Requested is what the container requests after Kubernetes' defaulting:
// a resource it limits without requesting is requested at its limit. The
// stored spec keeps what the manifest says, so this is computed, not set
// by Default.
func (r ResourceRequirements) Requested() ResourceList {
	req := r.Requests
	if req.CPU == "" {
		req.CPU = r.Limits.CPU
	}
	if req.Memory == "" {
		req.Memory = r.Limits.Memory
	}
	return req
}

// RequestedCPUMillis is a CPU request in thousandths of a CPU, rounded
// up; 0 when unset. Unlike a limit, a request may be zero.
func (r ResourceList) RequestedCPUMillis() (int64, error) {
	return nonNegativeCeil(r.CPU, 1000)
}

// RequestedMemoryBytes is a memory request in bytes, rounded up; 0 when
// unset.
func (r ResourceList) RequestedMemoryBytes() (int64, error) {
	return nonNegativeCeil(r.Memory, 1)
}

func nonNegativeCeil(s string, unit int64) (int64, error) {
	if s == "" {
		return 0, nil
	}
	v, err := ParseQuantity(s)
	switch {
	case err != nil:
		return 0, err
	case v.Sign() < 0:
		return 0, fmt.Errorf("quantity %q must not be negative", truncate(s))
	case v.Sign() == 0:
		return 0, nil
	}
	n, _, err := positiveCeil(s, unit)
	return n, err
}

func (r *ResourceRequirements) validate(v *validator, f string) {
	lf, rf := f+".limits", f+".requests"
	cpuLimit, cpuLimited, err := r.Limits.CPUMillis()
	if err != nil {
		v.errorf(lf+".cpu", "%v", err)
	}
	memLimit, memLimited, err := r.Limits.MemoryBytes()
	if err != nil {
		v.errorf(lf+".memory", "%v", err)
	}
	if cpu, err := r.Requests.RequestedCPUMillis(); err != nil {
		v.errorf(rf+".cpu", "%v", err)
	} else if cpuLimited && cpu > cpuLimit {
		v.errorf(rf+".cpu", "request %s must be less than or equal to the cpu limit %s", truncate(r.Requests.CPU), truncate(r.Limits.CPU))
	}
	if mem, err := r.Requests.RequestedMemoryBytes(); err != nil {
		v.errorf(rf+".memory", "%v", err)
	} else if memLimited && mem > memLimit {
		v.errorf(rf+".memory", "request %s must be less than or equal to the memory limit %s", truncate(r.Requests.Memory), truncate(r.Limits.Memory))
	}
}
