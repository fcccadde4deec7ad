package pods

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/machined"
)

// PodStatus is everything podunit knows of one pod: the applied spec's
// identity, systemd's view of its unit, machined's view of its machine and
// podinit's records of its containers.
type PodStatus struct {
	Name       string              `json:"name"`
	Namespace  string              `json:"namespace"`
	Status     string              `json:"status"` // Pending, Running, Succeeded, Failed, Stopped
	Unit       string              `json:"unit"`
	UnitState  string              `json:"unitState"` // ActiveState/SubState
	Machine    *MachineStatus      `json:"machine,omitempty"`
	StartedAt  *time.Time          `json:"startedAt,omitempty"`
	Restarts   int                 `json:"restarts"`    // container restarts by podinit
	PodRestart uint32              `json:"podRestarts"` // podinit restarts by systemd
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

// ContainerStatus joins a container's spec with podinit's record of it.
type ContainerStatus struct {
	contract.Status
	Image string `json:"image"`
	Ready bool   `json:"ready"`
}

// Ready counts ready containers, for kubectl's "1/2"-style display.
func (s *PodStatus) Ready() int {
	n := 0
	for _, c := range s.Containers {
		if c.Ready {
			n++
		}
	}
	return n
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
	out := make([]*PodStatus, 0, len(names))
	for _, n := range names {
		s, err := m.status(ctx, v, n)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted while we listed
			}
			return nil, err
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
	s := &PodStatus{Name: name, Namespace: p.Metadata.Namespace, Unit: applied.Unit, Hash: applied.Hash, Origin: applied.Origin}
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
	// podinit runs (and its records are current) while the unit is
	// active, and while it is still starting its main process: init
	// containers, containers that are not ready yet.
	running := st.Active == "active" || (st.Active == "activating" && st.Sub == "start")
	for _, c := range p.Spec.InitContainers {
		s.Init = append(s.Init, containerStatus(dir, c.Name, c.Image, true, running))
	}
	for _, c := range p.Spec.Containers {
		cs := containerStatus(dir, c.Name, c.Image, false, running)
		s.Restarts += cs.RestartCount
		s.Containers = append(s.Containers, cs)
	}
	s.Status = summarize(st, s.Phase)
	s.Network, s.PodIPs = networkOf(p), m.podAddresses(name)
	return s, nil
}

func containerStatus(dir, name, image string, init, podRunning bool) ContainerStatus {
	cs := ContainerStatus{Image: image}
	rec, err := readJSON[contract.Status](filepath.Join(dir, name+".json"))
	if err != nil {
		cs.Name, cs.State, cs.Init = name, contract.StateWaiting, init
		return cs
	}
	cs.Status = *rec
	if !podRunning && cs.State == contract.StateRunning {
		// podinit died without recording the end (SIGKILL, machine
		// terminated): the record is stale, the container is not running.
		cs.State, cs.Reason, cs.PID = contract.StateTerminated, "PodStopped", 0
	}
	// podinit's Ready (started, readiness passing) holds only while the
	// pod runs.
	cs.Ready = podRunning && cs.State == contract.StateRunning && rec.Ready
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
