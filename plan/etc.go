package plan

import "github.com/podunit/podunit/contract"

// EtcFiles are the pod's name and resolver files, written by prepare into
// the pod's run directory and bound over the same paths in every
// container, as the kubelet does.
var EtcFiles = []string{"hosts", "hostname", "resolv.conf"}

// EtcDir is where prepare writes EtcFiles, relative to the run directory.
const EtcDir = "etc"

func etcMounts() []contract.Mount {
	out := make([]contract.Mount, 0, len(EtcFiles))
	for _, f := range EtcFiles {
		out = append(out, contract.Mount{Source: contract.RunDir + "/" + EtcDir + "/" + f, Target: "/etc/" + f})
	}
	return out
}
