package pod

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// DNS policies, as in Kubernetes. There is no cluster DNS on a podunit
// host, so ClusterFirst and ClusterFirstWithHostNet behave as Default.
const (
	DNSClusterFirst            = "ClusterFirst"
	DNSClusterFirstWithHostNet = "ClusterFirstWithHostNet"
	DNSDefault                 = "Default"
	DNSNone                    = "None"
)

// Protocols of a container port.
const (
	ProtocolTCP = "TCP"
	ProtocolUDP = "UDP"
)

// ContainerPort is a port a container listens on; HostPort publishes it
// on the host (HostIP, default all addresses). Ports are int64 like every
// integer of the manifest types; validation keeps them in 1-65535.
type ContainerPort struct {
	Name          string `json:"name,omitempty" yaml:"name,omitempty"`
	ContainerPort int64  `json:"containerPort" yaml:"containerPort"`
	HostPort      int64  `json:"hostPort,omitempty" yaml:"hostPort,omitempty"`
	Protocol      string `json:"protocol,omitempty" yaml:"protocol,omitempty"`
	HostIP        string `json:"hostIP,omitempty" yaml:"hostIP,omitempty"`
}

// Proto is the port's protocol, TCP when unset (Kubernetes' default, left
// out of the stored spec so that adding ports kept old hashes stable).
func (p ContainerPort) Proto() string {
	if p.Protocol == "" {
		return ProtocolTCP
	}
	return p.Protocol
}

type PodDNSConfig struct {
	Nameservers []string             `json:"nameservers,omitempty" yaml:"nameservers,omitempty"`
	Searches    []string             `json:"searches,omitempty" yaml:"searches,omitempty"`
	Options     []PodDNSConfigOption `json:"options,omitempty" yaml:"options,omitempty"`
}

type PodDNSConfigOption struct {
	Name  string  `json:"name" yaml:"name"`
	Value *string `json:"value,omitempty" yaml:"value,omitempty"`
}

type HostAlias struct {
	IP        string   `json:"ip" yaml:"ip"`
	Hostnames []string `json:"hostnames,omitempty" yaml:"hostnames,omitempty"`
}

// HostPorts lists every published port of the pod (init containers cannot
// publish ports, as in Kubernetes).
func (s *PodSpec) HostPorts() []ContainerPort {
	var out []ContainerPort
	for _, c := range s.Containers {
		for _, p := range c.Ports {
			if p.HostPort != 0 {
				out = append(out, p)
			}
		}
	}
	return out
}

// PortsConflict reports whether two published ports claim the same host
// socket: same protocol and port, and addresses that overlap (an unset or
// unspecified hostIP means every address).
func PortsConflict(a, b ContainerPort) bool {
	if a.HostPort != b.HostPort || a.Proto() != b.Proto() {
		return false
	}
	return anyAddr(a.HostIP) || anyAddr(b.HostIP) || a.HostIP == b.HostIP
}

func anyAddr(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return ip == "" || (err == nil && a.IsUnspecified())
}

var portName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

const (
	maxNameservers = 3  // what glibc reads
	maxSearches    = 32 // Kubernetes' limit
)

func (s *PodSpec) validateNetwork(v *validator) {
	var published []ContainerPort
	var where []string
	names := map[string]string{}
	for i := range s.Containers {
		for j, p := range s.Containers[i].Ports {
			f := fmt.Sprintf("spec.containers[%d].ports[%d]", i, j)
			s.validatePort(v, f, p)
			if p.Name != "" {
				if first, dup := names[p.Name]; dup {
					v.errorf(f+".name", "duplicate port name %q (also %s)", p.Name, first)
				}
				names[p.Name] = f
			}
			if p.HostPort == 0 {
				continue
			}
			for k, q := range published {
				if PortsConflict(p, q) {
					v.errorf(f+".hostPort", "host port %d/%s is already published by %s", p.HostPort, p.Proto(), where[k])
				}
			}
			published, where = append(published, p), append(where, f)
		}
	}
	for i := range s.InitContainers {
		if len(s.InitContainers[i].Ports) > 0 {
			v.errorf(fmt.Sprintf("spec.initContainers[%d].ports", i), "init containers cannot have ports")
		}
	}

	switch s.DNSPolicy {
	case "", DNSClusterFirst, DNSClusterFirstWithHostNet, DNSDefault:
	case DNSNone:
		if s.DNSConfig == nil || len(s.DNSConfig.Nameservers) == 0 {
			v.errorf("spec.dnsConfig.nameservers", "at least one nameserver is required when dnsPolicy is None")
		}
	default:
		v.errorf("spec.dnsPolicy", "unsupported value %q (want ClusterFirst, ClusterFirstWithHostNet, Default or None)", truncate(s.DNSPolicy))
	}
	if c := s.DNSConfig; c != nil {
		if len(c.Nameservers) > maxNameservers {
			v.errorf("spec.dnsConfig.nameservers", "at most %d nameservers, got %d", maxNameservers, len(c.Nameservers))
		}
		for i, ns := range c.Nameservers {
			if _, err := netip.ParseAddr(ns); err != nil {
				v.errorf(fmt.Sprintf("spec.dnsConfig.nameservers[%d]", i), "invalid IP address %q", truncate(ns))
			}
		}
		if len(c.Searches) > maxSearches {
			v.errorf("spec.dnsConfig.searches", "at most %d search domains, got %d", maxSearches, len(c.Searches))
		}
		for i, d := range c.Searches {
			if !isDNSSubdomain(strings.TrimSuffix(d, ".")) {
				v.errorf(fmt.Sprintf("spec.dnsConfig.searches[%d]", i), "invalid value %q: must be a lowercase DNS subdomain", truncate(d))
			}
		}
		for i, o := range c.Options {
			if o.Name == "" || strings.ContainsAny(o.Name, " \t\n:") {
				v.errorf(fmt.Sprintf("spec.dnsConfig.options[%d].name", i), "must be a resolv.conf option name (no spaces or ':')")
			}
			if o.Value != nil && strings.ContainsAny(*o.Value, " \t\n") {
				v.errorf(fmt.Sprintf("spec.dnsConfig.options[%d].value", i), "must not contain whitespace")
			}
		}
	}
	for i, a := range s.HostAliases {
		f := fmt.Sprintf("spec.hostAliases[%d]", i)
		if _, err := netip.ParseAddr(a.IP); err != nil {
			v.errorf(f+".ip", "invalid IP address %q", truncate(a.IP))
		}
		if len(a.Hostnames) == 0 {
			v.errorf(f+".hostnames", "at least one hostname is required")
		}
		for j, h := range a.Hostnames {
			if !isDNSSubdomain(h) {
				v.errorf(fmt.Sprintf("%s.hostnames[%d]", f, j), "invalid value %q: must be a lowercase DNS subdomain", truncate(h))
			}
		}
	}
}

func (s *PodSpec) validatePort(v *validator, f string, p ContainerPort) {
	if p.Name != "" && (len(p.Name) > 15 || !portName.MatchString(p.Name) || !strings.ContainsAny(p.Name, "abcdefghijklmnopqrstuvwxyz")) {
		v.errorf(f+".name", "invalid value %q: must be an IANA service name: at most 15 characters a-z, 0-9 and '-', with at least one letter", truncate(p.Name))
	}
	if p.ContainerPort < 1 || p.ContainerPort > 65535 {
		v.errorf(f+".containerPort", "must be between 1 and 65535, got %d", p.ContainerPort)
	}
	if p.HostPort < 0 || p.HostPort > 65535 {
		v.errorf(f+".hostPort", "must be between 1 and 65535 (or 0, not published), got %d", p.HostPort)
	}
	if s.HostNetwork && p.HostPort != 0 && p.HostPort != p.ContainerPort {
		v.errorf(f+".hostPort", "must equal containerPort (%d) when hostNetwork is true", p.ContainerPort)
	}
	switch p.Protocol {
	case "", ProtocolTCP, ProtocolUDP:
	case "SCTP":
		v.errorf(f+".protocol", "SCTP is not supported by podunit (want TCP or UDP)")
	default:
		v.errorf(f+".protocol", "unsupported value %q (want TCP or UDP)", truncate(p.Protocol))
	}
	if p.HostIP != "" {
		if _, err := netip.ParseAddr(p.HostIP); err != nil {
			v.errorf(f+".hostIP", "invalid IP address %q", truncate(p.HostIP))
		} else if p.HostPort == 0 {
			v.errorf(f+".hostIP", "requires hostPort")
		}
	}
}

func isDNSSubdomain(s string) bool { return len(s) <= 253 && dns1123Sub.MatchString(s) }
