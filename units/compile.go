package units

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

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

	// AnnotationLogRateLimit sets journald's rate limit for the pod's
	// unit as "BURST/INTERVAL" (e.g. "10000/30s"), or "off".
	AnnotationLogRateLimit = "podunit.io/log-rate-limit"
	// The default keeps a burst of a million lines whole (journald's own
	// default, 10000 per 30 s scaled by free disk space, dropped a quarter
	// of a 50,000-line burst; the kubelet's file logs drop nothing),
	// while a pod that logs over ~33,000 lines/s for longer still loses
	// lines, counted by journald, rather than rotating every other unit's
	// logs out of the journal.
	defaultLogBurst    = 1000000
	defaultLogInterval = 30 * time.Second
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
	logLimit, err := logRateLimit(p)
	if err != nil {
		return nil, err
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
		CPUWeight:                limits.cpuWeight,
		MemoryLow:                limits.memoryLow,
		LogRateLimit:             logLimit,
	}
	return u, nil
}

// logRateLimit reads AnnotationLogRateLimit, or gives podunit's default.
func logRateLimit(p *pod.Pod) (LogRateLimit, error) {
	v, ok := p.Metadata.Annotations[AnnotationLogRateLimit]
	if !ok {
		return LogRateLimit{Interval: defaultLogInterval, Burst: defaultLogBurst}, nil
	}
	if v == "off" {
		return LogRateLimit{}, nil
	}
	burst, interval, _ := strings.Cut(v, "/")
	b, berr := strconv.ParseUint(burst, 10, 32)
	d, derr := time.ParseDuration(interval)
	if berr != nil || derr != nil || b == 0 || d < time.Second {
		return LogRateLimit{}, fmt.Errorf("metadata.annotations[%s]: want BURST/INTERVAL such as 10000/30s (an interval of at least 1s), or off; got %q", AnnotationLogRateLimit, v)
	}
	return LogRateLimit{Interval: d, Burst: uint32(b)}, nil
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
	// From the requests.
	cpuWeight uint64
	memoryLow uint64
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
	cpu, mem, err := podRequests(p)
	if err != nil {
		return l, err
	}
	l.cpuWeight = CPUWeight(cpu)
	l.memoryLow = uint64(mem)
	return l, nil
}

// podRequests are the pod's requests as the kubelet sizes its cgroup: the
// containers' sum, or the largest init container's if that is more (init
// containers run one at a time, before the others).
func podRequests(p *pod.Pod) (cpuMillis, memBytes int64, err error) {
	var initCPU, initMem int64
	for _, list := range []struct {
		name string
		cs   []pod.Container
	}{{"initContainers", p.Spec.InitContainers}, {"containers", p.Spec.Containers}} {
		for i, c := range list.cs {
			req := c.Resources.Requested()
			cpu, err := req.RequestedCPUMillis()
			if err != nil {
				return 0, 0, fmt.Errorf("spec.%s[%d].resources.requests.cpu: %w", list.name, i, err)
			}
			mem, err := req.RequestedMemoryBytes()
			if err != nil {
				return 0, 0, fmt.Errorf("spec.%s[%d].resources.requests.memory: %w", list.name, i, err)
			}
			if list.name == "initContainers" {
				initCPU, initMem = max(initCPU, cpu), max(initMem, mem)
			} else {
				cpuMillis, memBytes = cpuMillis+cpu, memBytes+mem
			}
		}
	}
	return max(cpuMillis, initCPU), max(memBytes, initMem), nil
}

// The kubelet's CPU shares (cgroup v1 cpu.shares) and their cgroup v2
// weight: 1024 shares per requested CPU, clamped to [2, 262144].
const (
	minShares = 2
	maxShares = 262144
)

// CPUWeight converts requested millicores to CPUWeight= exactly as the
// kubelet converts them for a pod's cgroup: shares = m*1024/1000 (at
// least 2, so a pod without requests gets the least weight, 1, as a
// BestEffort pod does), then weight = 1 + (shares-2)*9999/262142.
func CPUWeight(milliCPU int64) uint64 {
	shares := milliCPU * 1024 / 1000
	shares = min(max(shares, minShares), maxShares)
	return uint64(1 + (shares-minShares)*9999/(maxShares-minShares))
}
