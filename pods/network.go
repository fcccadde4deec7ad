package pods

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/podunit/podunit/internal/atomicfile"
	"github.com/podunit/podunit/network"
	"github.com/podunit/podunit/plan"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/units"
)

// netConfig keeps libcni's result cache with podunit's state, so it
// survives reboots and every entry in it is a pod's.
func netConfig(h units.Host) network.Config {
	c := network.Default
	c.CacheDir = h.CNICacheDir()
	return c
}

// networkRecord is the pod's CNI attachment record (network.Attachment).
func (m *Manager) networkRecord(name string) string {
	return m.Host.NetworkRecord(name)
}

// checkNetwork makes sure the pod's network can be joined before anything
// changes: a hostNetwork pod has none; any other pod joins the network
// its annotation names, or the default one. With validate, every plugin is
// asked for its version too (a process each): apply does that once; the
// start path only finds the network, and ADD reports a plugin it lacks.
func (m *Manager) checkNetwork(ctx context.Context, p *pod.Pod, validate bool) (*network.Network, error) {
	name, chosen := p.Metadata.Annotations[network.Annotation]
	if p.Spec.HostNetwork {
		if chosen {
			return nil, fmt.Errorf("metadata.annotations[%s]: a hostNetwork pod joins no CNI network", network.Annotation)
		}
		return nil, nil
	}
	if !chosen {
		name = network.DefaultName
	}
	find := m.Net.Find
	if validate {
		find = func(name string) (*network.Network, error) { return m.Net.Check(ctx, name) }
	}
	n, err := find(name)
	if err != nil && chosen {
		return nil, fmt.Errorf("metadata.annotations[%s]: %w", network.Annotation, err)
	}
	return n, err
}

// setupNetwork attaches the pod to its network and returns its addresses.
func (m *Manager) setupNetwork(ctx context.Context, p *pod.Pod) ([]string, error) {
	n, err := m.checkNetwork(ctx, p, false)
	if err != nil || n == nil {
		return nil, err
	}
	a, err := m.Net.Setup(ctx, p.Metadata.Name, p.Metadata.Namespace, n, portMappings(p), m.networkRecord(p.Metadata.Name))
	if err != nil {
		return nil, err
	}
	return a.Addresses(), nil
}

// releaseNetwork undoes setupNetwork, also after a crash.
func (m *Manager) releaseNetwork(ctx context.Context, name string) error {
	if err := m.Net.Release(ctx, name, m.networkRecord(name)); err != nil {
		return fmt.Errorf("release the network of pod %q: %w", name, err)
	}
	return nil
}

// podAddresses are the pod's IPs from its record, nil without one.
func (m *Manager) podAddresses(name string) []string {
	a, err := network.LoadRecord(m.networkRecord(name))
	if err != nil || a == nil {
		return nil
	}
	return a.Addresses()
}

func portMappings(p *pod.Pod) []network.PortMapping {
	var out []network.PortMapping
	for _, hp := range p.Spec.HostPorts() {
		out = append(out, network.PortMapping{
			HostPort: hp.HostPort, ContainerPort: hp.ContainerPort,
			Protocol: strings.ToLower(hp.Proto()), HostIP: hp.HostIP,
		})
	}
	return out
}

// writeEtcFiles writes the pod's /etc/hosts, /etc/hostname and
// /etc/resolv.conf, which podinit binds into every container.
func (m *Manager) writeEtcFiles(p *pod.Pod, hostname string, addrs []string) error {
	resolv, err := network.HostResolvConf()
	if err != nil {
		return err
	}
	var hosts []byte
	if p.Spec.HostNetwork {
		if hosts, err = network.HostHosts(); err != nil {
			return err
		}
	}
	dir := filepath.Join(m.Host.RunDir(p.Metadata.Name), plan.EtcDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string][]byte{
		"hosts":       network.Hosts(hosts, &p.Spec, hostname, addrs),
		"hostname":    []byte(hostname + "\n"),
		"resolv.conf": network.ResolvConf(resolv, &p.Spec),
	}
	for _, f := range plan.EtcFiles {
		if err := atomicfile.Write(filepath.Join(dir, f), files[f], atomicfile.Options{Perm: 0o644}); err != nil {
			return err
		}
	}
	return nil
}

// networkOf names the network a pod joins, "host" for hostNetwork.
func networkOf(p *pod.Pod) string {
	switch name, ok := p.Metadata.Annotations[network.Annotation]; {
	case p.Spec.HostNetwork:
		return "host"
	case ok:
		return name
	}
	return network.DefaultName
}
