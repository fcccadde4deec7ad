package nspawn

import (
	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/stage"
)

// Nsenter runs nspawn in the pod's network namespace (util-linux).
const Nsenter = "/usr/bin/nsenter"

// podinit is where the podunit binary is bound inside the pod.
const podinit = "/podinit"

// Start is systemd-nspawn running podinit in the pod's directory.
func (s Stage) Start(p *pod.Pod) (stage.Start, error) {
	name := p.Metadata.Name
	return stage.Start{
		Argv:   s.args(p),
		Expand: []string{SELinuxArgsVar},
		// SYSTEMD_SECCOMP=0 turns nspawn's own syscall filter off: each
		// container gets the filter its securityContext asks for from
		// podinit, and `podunit exec`, which starts from the host, can
		// carry exactly that filter. With nspawn's filter stacked on top,
		// a container would be filtered more than a command exec'd into
		// it, and Unconfined would not mean unconfined.
		Environment:      []string{"SYSTEMD_NSPAWN_CONTAINER_SERVICE=podunit", "SYSTEMD_SECCOMP=0"},
		EnvironmentFiles: []string{s.Layout.NspawnEnvFile(name)},
		// SIGTERM reaches nspawn only; nspawn hands it to podinit, which
		// runs the pod's grace period. The rest of the cgroup is killed
		// only if that fails.
		KillMode: "mixed",
	}, nil
}

func (s Stage) args(p *pod.Pod) []string {
	name := p.Metadata.Name
	hostname := p.Spec.Hostname
	if hostname == "" {
		hostname = name
	}
	args := []string{
		s.Nspawn,
		"--quiet",
		"--keep-unit",
		"--register=yes",
		"--machine=" + name,
		"--directory=" + s.Layout.RootDir(name),
		"--hostname=" + hostname,
		"--notify-ready=yes",
		// podinit owns the grace period, so it must get SIGTERM, not the
		// SIGKILL nspawn sends by default to a non-booted container.
		"--kill-signal=SIGTERM",
		"--link-journal=no",
		"--bind=" + s.Layout.RunDir(name) + ":" + contract.RunDir,
		"--bind-ro=" + s.Layout.ImagesDir() + ":" + contract.ImagesDir,
		// Container output is written to the host journal natively, so
		// journald attributes it to this unit through podinit's cgroup.
		"--bind-ro=/run/systemd/journal/socket",
		"--bind-ro=" + s.Binary + ":" + podinit,
	}
	if !p.Spec.HostNetwork {
		// prepare creates the namespace and attaches it with CNI; the
		// path is fixed, so the unit stays a function of the pod. nspawn
		// starts inside it through nsenter (which execs nspawn, so the
		// main PID stays nspawn's): --network-namespace-path joins only
		// after nspawn made the pod's user namespace, and a namespace
		// owned by the host's cannot be joined from there.
		args = append([]string{Nsenter, "--net=" + s.Layout.NetnsPath(name), "--"}, args...)
	}
	for _, v := range p.Spec.Volumes {
		if v.HostPath != nil {
			args = append(args, "--bind="+v.HostPath.Path+":"+contract.HostPathDir(v.Name))
		}
	}
	if p.HasProjected() {
		args = append(args, "--bind="+s.Layout.ProjectedDir(name)+":"+contract.ProjectedDir)
	}
	args = append(args, securityArgs(p)...)
	return append(args, podinit)
}
