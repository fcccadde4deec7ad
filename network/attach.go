package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"

	"github.com/podunit/podunit/internal/atomicfile"
	"github.com/podunit/podunit/internal/crashpoint"
	"github.com/podunit/podunit/internal/flock"
)

// IfName is the pod's interface on its network.
const IfName = "eth0"

// PortMapping is one hostPort, in the portmap plugin's runtimeConfig form.
type PortMapping struct {
	HostPort      int64  `json:"hostPort"`
	ContainerPort int64  `json:"containerPort"`
	Protocol      string `json:"protocol"` // tcp or udp
	HostIP        string `json:"hostIP,omitempty"`
}

// Attachment records a pod's attachment to its network. It is written
// before CNI ADD runs, so whatever a crash interrupts can still be DELeted
// with the exact configuration ADD used, even if the conflist changed.
type Attachment struct {
	Pod          string          `json:"pod"`
	Namespace    string          `json:"namespace"`
	ContainerID  string          `json:"containerID"`
	Network      string          `json:"network"`
	NetNS        string          `json:"netns"`
	Conflist     json.RawMessage `json:"conflist"`
	PortMappings []PortMapping   `json:"portMappings,omitempty"`
	// IPs (CIDR notation) and Result are filled in when ADD succeeded.
	IPs    []string        `json:"ips,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
}

// Addresses are the pod's IP addresses without prefix length.
func (a *Attachment) Addresses() []string {
	out := make([]string, 0, len(a.IPs))
	for _, ip := range a.IPs {
		addr, _, _ := strings.Cut(ip, "/")
		out = append(out, addr)
	}
	return out
}

// lock takes the host's network lock. CNI operations run one at a time:
// the plugins share the bridge, the iptables chains and the namespace
// directory, and not all of them survive a concurrent ADD or DEL (the
// firewall and portmap chain races Podman and Nomad met, iptables-nft
// transactions, the first pod's shared mount of the namespace directory).
// One ADD takes tens of milliseconds, so waiting costs little.
func (c Config) lock() (unlock func(), err error) {
	l, err := flock.Acquire(c.LockFile, true)
	if err != nil {
		return nil, fmt.Errorf("network lock: %w", err)
	}
	return l.Unlock, nil
}

func (c Config) cni() *libcni.CNIConfig {
	return libcni.NewCNIConfigWithCacheDir(c.PluginDirs, c.CacheDir, nil)
}

func (a *Attachment) runtimeConf(ifName string) *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{
		ContainerID: a.ContainerID,
		NetNS:       a.NetNS,
		IfName:      ifName,
		Args: [][2]string{
			{"IgnoreUnknown", "1"},
			{"K8S_POD_NAMESPACE", a.Namespace},
			{"K8S_POD_NAME", a.Pod},
		},
	}
	if len(a.PortMappings) > 0 {
		rt.CapabilityArgs = map[string]any{"portMappings": a.PortMappings}
	}
	return rt
}

// addAttempts is how often Setup runs ADD, with a full DEL after each
// failure: Debian 12's iptables-nft now and then refuses to create a chain
// that already exists with "CHAIN_USER_ADD failed (File exists)" (exit
// status 4), which the firewall plugin does not take for "exists", even
// with every ADD on the host serialised. A broken network fails all
// attempts and reports the last error.
const addAttempts = 3

// Setup creates the pod's network namespace and attaches it to the
// network: its namespace (loopback up), then the network's plugins. The
// record is saved at recordPath before anything is created. On failure
// everything made so far is torn down again.
func (c Config) Setup(ctx context.Context, pod, namespace string, n *Network, ports []PortMapping, recordPath string) (*Attachment, error) {
	a := &Attachment{
		Pod: pod, Namespace: namespace, ContainerID: ContainerID(pod), Network: n.Name,
		NetNS: c.NetnsPath(pod), Conflist: n.Bytes, PortMappings: ports,
	}
	var res types.Result
	for attempt := 1; ; attempt++ {
		if err := saveRecord(recordPath, a); err != nil {
			return nil, err
		}
		crashpoint.Hit("network/setup/recorded")
		var err error
		if res, err = c.add(ctx, a); err == nil {
			crashpoint.Hit("network/setup/added")
			break
		}
		err = fmt.Errorf("attach pod %q to CNI network %q: %w", pod, n.Name, err)
		if terr := c.teardown(ctx, a, recordPath); terr != nil || attempt == addAttempts || ctx.Err() != nil {
			return nil, errors.Join(err, terr)
		}
		if c.Warnings != nil {
			fmt.Fprintf(c.Warnings, "warning: %v; trying again\n", err)
		}
		time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
	}
	r, err := types100.NewResultFromResult(res)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("CNI network %q: result: %w", n.Name, err), c.teardown(ctx, a, recordPath))
	}
	for _, ip := range r.IPs {
		a.IPs = append(a.IPs, ip.Address.String())
	}
	if a.Result, err = json.Marshal(r); err == nil {
		err = saveRecord(recordPath, a)
	}
	if err != nil {
		return nil, errors.Join(err, c.teardown(ctx, a, recordPath))
	}
	return a, nil
}

func (c Config) add(ctx context.Context, a *Attachment) (types.Result, error) {
	list, err := libcni.NetworkConfFromBytes(a.Conflist)
	if err != nil {
		return nil, err
	}
	if err := createNetns(a.NetNS); err != nil {
		return nil, err
	}
	crashpoint.Hit("network/setup/netns")
	return c.cni().AddNetworkList(ctx, list, a.runtimeConf(IfName))
}

// teardown runs CNI DEL (which frees the address, the host's veth end,
// masquerade and port rules) and removes the namespace and the record.
// DEL is idempotent, so teardown is safe on a partial or absent setup.
func (c Config) teardown(ctx context.Context, a *Attachment, recordPath string) error {
	var errs []error
	list, err := libcni.NetworkConfFromBytes(a.Conflist)
	if err == nil {
		if derr := c.cni().DelNetworkList(ctx, list, a.runtimeConf(IfName)); derr != nil {
			errs = append(errs, fmt.Errorf("CNI DEL of pod %q from network %q: %w", a.Pod, a.Network, derr))
		}
		crashpoint.Hit("network/teardown/deleted")
	} else {
		errs = append(errs, fmt.Errorf("recorded configuration of network %q: %w", a.Network, err))
	}
	if err := removeNetns(a.NetNS); err != nil {
		errs = append(errs, err)
	}
	crashpoint.Hit("network/teardown/netns")
	if len(errs) == 0 && recordPath != "" {
		if err := os.Remove(recordPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove network record: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Release tears down whatever a pod's record says it has, and a namespace
// left at the pod's path without a record. Nothing there is not an error.
func (c Config) Release(ctx context.Context, pod, recordPath string) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return c.release(ctx, pod, recordPath)
}

func (c Config) release(ctx context.Context, pod, recordPath string) error {
	a, err := LoadRecord(recordPath)
	if err != nil {
		return err
	}
	if a == nil {
		return removeNetns(c.NetnsPath(pod))
	}
	return c.teardown(ctx, a, recordPath)
}

// LoadRecord reads an attachment record; nil, nil if there is none.
func LoadRecord(path string) (*Attachment, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read network record: %w", err)
	}
	a := &Attachment{}
	if err := json.Unmarshal(b, a); err != nil {
		return nil, fmt.Errorf("network record %s: %w", path, err)
	}
	return a, nil
}

func saveRecord(path string, a *Attachment) error {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("encode network record: %w", err)
	}
	if err := atomicfile.Write(path, append(b, '\n'), atomicfile.Options{Perm: 0o600}); err != nil {
		return fmt.Errorf("network record: %w", err)
	}
	return nil
}
