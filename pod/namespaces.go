package pod

// Process namespaces. As under the kubelet, each container has its own
// PID namespace unless spec.shareProcessNamespace is true; every
// container shares the pod's IPC namespace.
//
// hostPID and hostIPC are refused: systemd-nspawn always gives the pod new
// PID and IPC namespaces, and podinit, inside them, has no way back. A
// process can only enter a PID namespace below its own, so no container
// can join the host's; the host's IPC namespace could only be joined
// through a handle the host passes into the pod, which the nspawn stage
// does not do.
func (s *PodSpec) validateNamespaces(v *validator) {
	if s.HostPID {
		v.errorf("spec.hostPID", "not supported by podunit: systemd-nspawn gives every pod its own PID namespace, and a process inside it cannot enter the host's (a PID namespace can only be entered from above)")
	}
	if s.HostIPC {
		v.errorf("spec.hostIPC", "not supported by podunit: systemd-nspawn gives every pod its own IPC namespace, and the pod has no handle on the host's")
	}
}
