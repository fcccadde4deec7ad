package pods

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/machined"
)

// PodStatus is everything podunit knows of one pod: the applied spec's
// identity, systemd's view of its unit, machined's view of its machine and
// podinit's records of its containers.
type PodStatus struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// UID is this incarnation of the pod (new on every apply).
	UID       string         `json:"uid,omitempty"`
	Status    string         `json:"status"` // Pending, Running, Succeeded, Failed, Stopped
	Unit      string         `json:"unit"`
	UnitState string         `json:"unitState"` // ActiveState/SubState
	Machine   *MachineStatus `json:"machine,omitempty"`
	StartedAt *time.Time     `json:"startedAt,omitempty"`
	// Restarts counts container restarts as kubectl's RESTARTS column
	// does; LastRestart is when the latest restarted instance ended.
	Restarts    int        `json:"restarts"`
	LastRestart *time.Time `json:"lastRestart,omitempty"`
	PodRestart  uint32     `json:"podRestarts"` // podinit restarts by systemd
	// Conditions are Kubernetes' pod conditions, derived from the records.
	Conditions []Condition         `json:"conditions"`
	Containers []ContainerStatus   `json:"containers"`
	Hash       string              `json:"specHash"`
	Origin     string              `json:"origin,omitempty"` // "generator" for pods from /etc/podunit/pods
	Phase      *contract.PodStatus `json:"phase,omitempty"`
	Init       []ContainerStatus   `json:"initContainers,omitempty"`
	// Network is the CNI network the pod joins, or "host"; PodIPs are
	// its addresses while it is attached (from the CNI result).
	Network string   `json:"network"`
	PodIPs  []string `json:"podIPs,omitempty"`
}

// MachineStatus is machined's record of the running pod.
type MachineStatus struct {
	Name    string `json:"name"`
	Class   string `json:"class"`
	Service string `json:"service"`
	Leader  uint32 `json:"leader"`
}

// ContainerStatus joins a container's spec with podinit's record of it,
// in Kubernetes' terms where they differ from the record's.
type ContainerStatus struct {
	contract.Status
	Image string `json:"image"`
	// Ready and Started are Kubernetes' containerStatuses[].ready and
	// .started, false while podinit is not running the pod.
	Ready   bool `json:"ready"`
	Started bool `json:"started"`
	// LastState is Kubernetes' lastState.terminated: while the container
	// waits to start again, the instance that just ended.
	LastState *contract.Termination `json:"lastState,omitempty"`
	// Usage is read from the container's own cgroup, where it has one
	// (cgroup v2 with the controllers delegated).
	Usage *Usage `json:"usage,omitempty"`
}

// Usage is a container's resource use as its cgroup counts it.
type Usage struct {
	MemoryBytes int64 `json:"memoryBytes"` // memory.current
	CPUUsec     int64 `json:"cpuUsec"`     // cpu.stat usage_usec since start
}

// List returns the status of every pod with state on this host.
func (m *Manager) List(ctx context.Context) ([]*PodStatus, error) {
	names, err := m.State.Names()
	if err != nil {
		return nil, err
	}
	v, err := m.viewer(ctx)
	if err != nil {
		return nil, err
	}
	defer v.close()
	// Each pod's status is a few D-Bus round trips and file reads: asked
	// side by side, a long list waits for the slowest, not for the sum.
	all := make([]*PodStatus, len(names))
	errs := make([]error, len(names))
	inOrder(len(names), func(i int) {
		all[i], errs[i] = m.status(ctx, v, names[i])
	}, func(int) {})
	out := make([]*PodStatus, 0, len(names))
	for i, s := range all {
		if errs[i] != nil {
			if errors.Is(errs[i], fs.ErrNotExist) {
				continue // deleted while we listed
			}
			return nil, errs[i]
		}
		out = append(out, s)
	}
	return out, nil
}

// Status returns one pod's status.
func (m *Manager) Status(ctx context.Context, name string) (*PodStatus, error) {
	v, err := m.viewer(ctx)
	if err != nil {
		return nil, err
	}
	defer v.close()
	return m.status(ctx, v, name)
}

type viewer struct {
	conn *sd.Conn
	mc   *machined.Client
}

func (m *Manager) viewer(ctx context.Context) (*viewer, error) {
	conn, err := sd.NewSystemConnectionContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to systemd: %w", err)
	}
	mc, err := machined.New()
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &viewer{conn: conn, mc: mc}, nil
}

func (v *viewer) close() {
	v.conn.Close()
	v.mc.Close()
}

func (m *Manager) status(ctx context.Context, v *viewer, name string) (*PodStatus, error) {
	applied, err := m.State.Load(name)
	if err != nil {
		return nil, err
	}
	p := applied.Pod
	s := &PodStatus{Name: name, Namespace: p.Metadata.Namespace, UID: applied.UID, Unit: applied.Unit, Hash: applied.Hash, Origin: applied.Origin}
	st, err := unitStateOf(ctx, v.conn, s.Unit)
	if err != nil {
		return nil, err
	}
	s.UnitState = st.Active + "/" + st.Sub
	s.PodRestart = st.Restarts
	if !st.Started.IsZero() && st.running() {
		t := st.Started
		s.StartedAt = &t
	}
	if mach, err := v.mc.Get(ctx, name); err == nil {
		s.Machine = &MachineStatus{Name: mach.Name, Class: mach.Class, Service: mach.Service, Leader: mach.Leader}
	}
	dir := m.Host.StatusDir(name)
	if ph, err := readJSON[contract.PodStatus](filepath.Join(dir, contract.PodStatusFile)); err == nil {
		s.Phase = ph
	}
	// podinit runs while the unit's main process (the stage) does.
	alive := st.MainPID != 0
	for _, c := range p.Spec.InitContainers {
		s.Init = append(s.Init, containerStatus(dir, c.Name, c.Image, true, alive))
	}
	for _, c := range p.Spec.Containers {
		cs := containerStatus(dir, c.Name, c.Image, false, alive)
		if alive {
			cs.Usage = usage(st.ControlGroup, c.Name)
		}
		s.Containers = append(s.Containers, cs)
	}
	s.Status = summarize(st, s.Phase)
	s.Restarts, s.LastRestart = restarts(s)
	s.Conditions = conditions(s)
	s.Network, s.PodIPs = networkOf(p), m.podAddresses(name)
	return s, nil
}

func containerStatus(dir, name, image string, init, alive bool) ContainerStatus {
	cs := ContainerStatus{Image: image}
	rec, err := readJSON[contract.Status](filepath.Join(dir, contract.StatusFileName(name)))
	if err != nil {
		cs.Name, cs.State, cs.Init = name, contract.StateWaiting, init
		return cs
	}
	cs.Status = *rec
	// The environment is exec's, not status': it holds the values of
	// Secrets (secretKeyRef, envFrom), which status never shows.
	cs.Status.Env = nil
	if !alive && cs.State == contract.StateRunning {
		// podinit died without recording the end (SIGKILL, machine
		// terminated): the record is stale, the container is not running.
		cs.Status.State, cs.Reason, cs.PID = contract.StateTerminated, "PodStopped", 0
	}
	// podinit's Started and Ready (startup probe, postStart, readiness
	// probe) hold only while it runs the container.
	running := alive && cs.Status.State == contract.StateRunning
	cs.Started = running && rec.Started
	cs.Ready = running && rec.Ready
	if init && !running {
		// The kubelet calls an init container ready once it completed;
		// a running sidecar is ready as its probes say.
		cs.Ready = completed(cs.Status)
	}
	cs.LastState = cs.Status.Previous()
	return cs
}

// summarize names the pod's state in kubectl's vocabulary, from systemd's
// view of the unit and podinit's phase record.
func summarize(st unitState, ph *contract.PodStatus) string {
	switch st.Active {
	case "active", "reloading":
		return "Running"
	case "activating":
		if st.Sub == "auto-restart" {
			return "CrashLoopBackOff"
		}
		return "Pending"
	case "deactivating":
		return "Terminating"
	case "failed":
		if ph != nil && ph.Phase == "Failed" {
			return "Failed"
		}
		return "Error"
	}
	if ph != nil && !ph.Stopped && (ph.Phase == "Succeeded" || ph.Phase == "Failed") {
		return ph.Phase
	}
	return "Stopped"
}

func readJSON[T any](path string) (*T, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// usage reads a container's cgroup (the stage puts the pod's cgroup
// namespace, where podinit makes one cgroup per container, at the unit's
// payload), or nil where it has none.
func usage(unitCgroup, container string) *Usage {
	if unitCgroup == "" {
		return nil
	}
	dir := filepath.Join("/sys/fs/cgroup", unitCgroup, "payload", container)
	mem, err := os.ReadFile(filepath.Join(dir, "memory.current"))
	if err != nil {
		return nil
	}
	u := &Usage{}
	u.MemoryBytes, _ = strconv.ParseInt(strings.TrimSpace(string(mem)), 10, 64)
	if stat, err := os.ReadFile(filepath.Join(dir, "cpu.stat")); err == nil {
		for _, l := range strings.Split(string(stat), "\n") {
			if v, ok := strings.CutPrefix(l, "usage_usec "); ok {
				u.CPUUsec, _ = strconv.ParseInt(v, 10, 64)
			}
		}
	}
	return u
}
