package plan

import "github.com/podunit/podunit/podinit"

// EtcFiles are the pod's name and resolver files, written by prepare into
// the pod's run directory and bound over the same paths in every
// container, as the kubelet does.
var EtcFiles = []string{"hosts", "hostname", "resolv.conf"}

// EtcDir is where prepare writes EtcFiles, relative to the run directory.
const EtcDir = "etc"

func etcMounts() []podinit.Mount {
	out := make([]podinit.Mount, 0, len(EtcFiles))
	for _, f := range EtcFiles {
		out = append(out, podinit.Mount{Source: podinit.RunDir + "/" + EtcDir + "/" + f, Target: "/etc/" + f})
	}
	return out
}
