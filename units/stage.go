package units

import (
	"fmt"

	"github.com/podunit/podunit/nspawn"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/stage"
)

// Stage is the stage that runs the pod, by spec.runtimeClassName: unset
// is nspawn. Validation refuses every other name with its position; this
// refuses it again for a pod built without validation.
func (h Host) Stage(p *pod.Pod) (stage.Stage, error) {
	switch c := p.Spec.RuntimeClassName; c {
	case "":
		return nspawn.Stage{Layout: h.Layout, Binary: h.Binary, Nspawn: h.Nspawn}, nil
	default:
		return nil, fmt.Errorf("spec.runtimeClassName: %s", pod.RuntimeClassProblem(c))
	}
}
