package units

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/internal/layout"
	"github.com/podunit/podunit/pod"
)

// Host describes the host paths a compiled unit refers to. They are inputs,
// not looked up, so that compiling stays pure and golden-testable.
type Host struct {
	layout.Layout
	Binary string // the podunit binary, also bound into the pod as podinit
	Nspawn string // systemd-nspawn
}

// DefaultHost is the layout of an installed podunit.
var DefaultHost = Host{
	Layout: layout.Default,
	Binary: "/usr/local/bin/podunit",
	Nspawn: "/usr/bin/systemd-nspawn",
}

const (
	// Annotation that sets TasksMax= for the pod; Kubernetes has no Pod
	// field for a PID limit (the kubelet sets one host-wide).
	AnnotationTasksMax = "podunit.io/tasks-max"
	defaultTasksMax    = 4096

	// Margin on top of the grace period for the stage and ExecStopPost.
	stopMargin = 15
)

// Compile turns a validated, defaulted Pod into its unit.
func Compile(p *pod.Pod, h Host) (*Unit, error) {
	name := p.Metadata.Name
	limits, err := podLimits(p)
	if err != nil {
		return nil, err
	}
	tasks := uint64(defaultTasksMax)
	if v, ok := p.Metadata.Annotations[AnnotationTasksMax]; ok {
		tasks, err = strconv.ParseUint(v, 10, 64)
		if err != nil || tasks == 0 {
			return nil, fmt.Errorf("metadata.annotations[%s]: want a positive integer, got %q", AnnotationTasksMax, v)
		}
	}
	grace := uint64(30)
	if g := p.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = uint64(*g)
	}
	spec, err := Spec(p)
	if err != nil {
		return nil, err
	}
	st, err := h.Stage(p)
	if err != nil {
		return nil, err
	}
	start, err := st.Start(p)
	if err != nil {
		return nil, err
	}
	u := &Unit{
		Name:             Name(name),
		Description:      fmt.Sprintf("podunit pod %s/%s", p.Metadata.Namespace, name),
		Documentation:    []string{"https://github.com/podunit/podunit"},
		Type:             "notify",
		Slice:            "machine.slice",
		Delegate:         true,
		KillMode:         start.KillMode,
		Environment:      start.Environment,
		EnvironmentFiles: start.EnvironmentFiles,
		// The unit carries its pod: prepare (re)creates the pod's state from
		// this spec whenever it differs, so a unit file copied to another
		// host, generated at boot or started transiently runs the same pod.
		// It travels as a credential, not on prepare's command line, where
		// `systemctl status` and every process listing would show it.
		Credentials: []Credential{{ID: SpecCredential, Data: spec}},
		ExecStartPre: []Command{
			{Argv: h.internal("prepare", name)},
		},
		ExecStart: Command{Argv: start.Argv, Expand: start.Expand},
		ExecStopPost: []Command{
			{Argv: h.internal("cleanup", name)},
		},
		Restart:    "on-failure",
		RestartSec: 5,
		// A pod that completed with a failed container: restarting the
		// unit would only re-run a finished pod.
		RestartPreventExitStatus: []int{contract.ExitPodFailed},
		TimeoutStartSec:          300,
		TimeoutStopSec:           grace + stopMargin,
		MemoryMax:                limits.memory,
		CPUQuotaPercent:          limits.cpuPercent,
		TasksMax:                 tasks,
	}
	return u, nil
}

// SpecCredential is the credential that carries the pod's spec: prepare
// reads it from $CREDENTIALS_DIRECTORY.
const SpecCredential = "podunit.pod"

// MaxSpecBytes bounds a pod's spec as its unit carries it (canonical JSON,
// or in a unit file its escaped form, the larger). systemd 252 keeps a
// unit's credentials in unswappable memory and refuses more than 1 MiB of
// them, and a unit file line holds at most 1 MiB; half of that leaves
// room for other credentials. Kubernetes' own bound on a whole object is
// 1.5 MiB, on its annotations 256 KiB.
const MaxSpecBytes = 512 << 10

// Spec is the pod's canonical JSON, the data of its SpecCredential.
func Spec(p *pod.Pod) ([]byte, error) {
	b, err := p.Canonical()
	if err != nil {
		return nil, fmt.Errorf("canonical form of pod %q: %w", p.Metadata.Name, err)
	}
	if n := max(len(b), len(credentialText(b))); n > MaxSpecBytes {
		return nil, fmt.Errorf("pod %q is %d KiB as its unit carries it; podunit runs pods of at most %d KiB (the spec travels to the unit as a systemd credential, which systemd caps at 1 MiB per unit)", p.Metadata.Name, (n+1023)>>10, MaxSpecBytes>>10)
	}
	return b, nil
}

// DecodeSpec reads a pod back from Spec's bytes.
func DecodeSpec(b []byte) (*pod.Pod, error) {
	pods, err := pod.Decode("<unit spec>", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if len(pods) != 1 {
		return nil, fmt.Errorf("pod spec in the unit holds %d pods", len(pods))
	}
	return pods[0], nil
}

// internal is the command line of one of the unit's own podunit steps. A
// state directory other than the default travels with it, so the steps
// work on the state the unit was compiled for.
func (h Host) internal(step string, args ...string) []string {
	argv := []string{h.Binary, "internal", step}
	if h.StateDir != DefaultHost.StateDir {
		argv = append(argv, "--state-dir="+h.StateDir)
	}
	return append(argv, args...)
}

type limits struct {
	memory     uint64
	cpuPercent uint64
}

// podLimits sums the containers' limits, as the kubelet sizes a pod's
// cgroup. A resource is limited for the pod only if every container limits
// it: one unlimited container makes the pod unlimited.
func podLimits(p *pod.Pod) (limits, error) {
	var l limits
	memAll, cpuAll := true, true
	var cpuMillis uint64
	for i, c := range p.Spec.Containers {
		m, ok, err := c.Resources.Limits.MemoryBytes()
		if err != nil {
			return l, fmt.Errorf("spec.containers[%d].resources.limits.memory: %w", i, err)
		}
		if ok {
			l.memory += uint64(m)
		} else {
			memAll = false
		}
		cpu, ok, err := c.Resources.Limits.CPUMillis()
		if err != nil {
			return l, fmt.Errorf("spec.containers[%d].resources.limits.cpu: %w", i, err)
		}
		if ok {
			cpuMillis += uint64(cpu)
		} else {
			cpuAll = false
		}
	}
	if !memAll {
		l.memory = 0
	}
	if cpuAll {
		// CPUQuota= has percent resolution; round up so a tiny limit
		// never becomes "no limit".
		l.cpuPercent = (cpuMillis + 9) / 10
	}
	return l, nil
}
