package plan

import (
	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/units"
)

// resources are what the kubelet writes into a container's own cgroup:
// its limits, and its requests after Kubernetes' defaulting (a limited
// resource without a request is requested at its limit). The pod's unit
// gets the sums (units.Compile); podinit gives each container these.
func resources(c *pod.Container) (*contract.Resources, error) {
	var r contract.Resources
	var err error
	if r.MemoryMax, _, err = c.Resources.Limits.MemoryBytes(); err != nil {
		return nil, err
	}
	if r.CPUMaxMillis, _, err = c.Resources.Limits.CPUMillis(); err != nil {
		return nil, err
	}
	req := c.Resources.Requested()
	if r.MemoryLow, err = req.RequestedMemoryBytes(); err != nil {
		return nil, err
	}
	cpu, err := req.RequestedCPUMillis()
	if err != nil {
		return nil, err
	}
	r.CPUWeight = units.CPUWeight(cpu)
	return &r, nil
}
