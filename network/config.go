// Package network gives pods their network through CNI (libcni and the
// standard plugins): a named network namespace per pod, CNI ADD/DEL with
// the pod's attachment recorded on disk so DEL works after any crash, the
// pod's /etc/hosts and /etc/resolv.conf, and reconciliation of what a crash
// left behind.
package network

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/podunit/podunit/internal/layout"
)

// Annotation selects the CNI network (a conflist's name) a pod joins.
const Annotation = "podunit.io/network"

// The default network. Its subnet avoids the defaults of Podman
// (10.88.0.0/16, 10.89.x.0/24), CRI-O (10.85.0.0/16), Docker (172.17.0.0/16
// and up), flannel (10.244.0.0/16), k3s (10.42/10.43), Calico
// (192.168.0.0/16) and Kubernetes services (10.96.0.0/12).
const (
	DefaultName    = "podunit"
	DefaultBridge  = "podunit0"
	DefaultSubnet  = "10.213.0.0/16"
	DefaultGateway = "10.213.0.1"
)

// Config is where CNI lives on this host.
type Config struct {
	// ConfDir holds the host's conflists (/etc/cni/net.d).
	ConfDir string
	// PluginDirs are searched for plugin binaries, in order.
	PluginDirs []string
	// CacheDir is libcni's cache of ADD results, podunit's own so that
	// every entry in it belongs to a pod.
	CacheDir string
	// NetnsDir holds the pods' network namespaces, bind-mounted.
	NetnsDir string
	// LeaseDir is host-local's allocation store (fixed by the plugin).
	LeaseDir string
	// LockFile serialises podunit's CNI operations host-wide.
	LockFile string
	// Warnings, if set, hears of failed ADDs that are tried again.
	Warnings io.Writer
}

// Default is the layout on a Debian host with containernetworking-plugins.
var Default = Config{
	ConfDir:    "/etc/cni/net.d",
	PluginDirs: []string{"/usr/lib/cni", "/opt/cni/bin"},
	CacheDir:   layout.Default.CNICacheDir(),
	NetnsDir:   layout.Default.NetnsDir(),
	LeaseDir:   "/var/lib/cni/networks",
	LockFile:   layout.Default.NetworkLock(),
}

// ContainerID is the CNI container ID of a pod: pod names are unique per
// host, and a fixed ID lets a restart DEL what a crashed run added.
func ContainerID(pod string) string { return "podunit-" + pod }

// PodOf is the pod of a CNI container ID, "" if podunit did not make it.
func PodOf(containerID string) string {
	const prefix = "podunit-"
	if len(containerID) > len(prefix) && containerID[:len(prefix)] == prefix {
		return containerID[len(prefix):]
	}
	return ""
}

// NetnsPath is the pod's network namespace: deterministic, so the pod's
// unit can name it before it exists.
func (c Config) NetnsPath(pod string) string { return filepath.Join(c.NetnsDir, pod) }

// DefaultConflist is the default network: a bridge with host-local
// addresses and masquerade, portmap for hostPorts and firewall so that
// forwarding works where the FORWARD policy is DROP (as Docker sets it).
func DefaultConflist() []byte {
	list := map[string]any{
		"cniVersion": "1.0.0",
		"name":       DefaultName,
		"plugins": []any{
			map[string]any{
				"type":        "bridge",
				"bridge":      DefaultBridge,
				"isGateway":   true,
				"ipMasq":      true,
				"hairpinMode": true,
				// An edited subnet re-addresses the existing bridge
				// instead of failing every ADD on it.
				"forceAddress": true,
				"ipam": map[string]any{
					"type":   "host-local",
					"ranges": [][]map[string]string{{{"subnet": DefaultSubnet, "gateway": DefaultGateway}}},
					"routes": []map[string]string{{"dst": "0.0.0.0/0"}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
			map[string]any{"type": "firewall"},
		},
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("default conflist: %v", err)) // maps of strings always marshal
	}
	return append(b, '\n')
}
