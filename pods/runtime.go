package pods

import (
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/plan"
	"github.com/podunit/podunit/podstate"
)

// runtimeFacts gathers what the downward API reads at start; podIPs are
// the pod's addresses from CNI (nil for hostNetwork, which has the host's).
func (m *Manager) runtimeFacts(a *podstate.Applied, podIPs []string) plan.Runtime {
	rt := plan.Runtime{
		UID:         a.UID,
		NodeName:    nodeName(),
		HostIPs:     hostIPs(),
		PodIPs:      podIPs,
		Allocatable: allocatable(m.Host.StateDir),
	}
	if a.Pod.Spec.HostNetwork {
		rt.PodIPs = rt.HostIPs
	}
	return rt
}

// nodeName is the host's name as the kubelet names its node: lowercased.
func nodeName() string {
	h, err := os.Hostname()
	if err != nil {
		return "localhost"
	}
	return strings.ToLower(h)
}

// hostIPs are the host's addresses as the kubelet picks a node IP: the
// source address of the default route, IPv4 first; without a default
// route the global addresses of the host's interfaces; at worst loopback.
func hostIPs() []string {
	var out []string
	for _, probe := range []string{"udp4", "udp6"} {
		target := "192.0.2.1:9" // TEST-NET-1: routed like any address, never sent to
		if probe == "udp6" {
			target = "[2001:db8::1]:9"
		}
		// A UDP "connection" only asks the kernel for a route; nothing is sent.
		c, err := net.Dial(probe, target)
		if err != nil {
			continue
		}
		out = append(out, c.LocalAddr().(*net.UDPAddr).IP.String())
		c.Close()
	}
	if len(out) > 0 {
		return out
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().IsGlobalUnicast() {
				out = append(out, ip.Unmap().String())
			}
		}
	}
	if len(out) == 0 {
		out = []string{"127.0.0.1"}
	}
	return out
}

// allocatable is the host's capacity, the kubelet's node allocatable
// without reservations: every CPU, all memory, the size of the file system
// holding podunit's state (where container layers are written).
func allocatable(stateDir string) plan.Allocatable {
	a := plan.Allocatable{CPUMillis: int64(runtime.NumCPU()) * 1000}
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		a.MemoryBytes = int64(si.Totalram) * int64(si.Unit)
	}
	var st unix.Statfs_t
	if unix.Statfs(stateDir, &st) == nil || unix.Statfs("/", &st) == nil {
		a.EphemeralStorageBytes = int64(st.Blocks) * st.Bsize
	}
	return a
}
