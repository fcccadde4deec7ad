package network

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/podunit/podunit/pod"
)

// Host resolver files. systemd-resolved's stub (127.0.0.53) is only
// reachable from the host's own network namespace, so pods get the file
// listing resolved's upstream servers instead, as the kubelet does.
const (
	hostResolvConf     = "/etc/resolv.conf"
	resolvedResolvConf = "/run/systemd/resolve/resolv.conf"
	hostHosts          = "/etc/hosts"
	resolvedStub       = "127.0.0.53"
)

// HostResolvConf reads the host's resolver configuration for pods.
func HostResolvConf() ([]byte, error) {
	b, err := os.ReadFile(hostResolvConf)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read host resolver configuration: %w", err)
	}
	if slices.Contains(parseResolv(b).nameservers, resolvedStub) {
		if up, err := os.ReadFile(resolvedResolvConf); err == nil {
			return up, nil
		}
	}
	return b, nil
}

// HostHosts reads the host's /etc/hosts, which hostNetwork pods share.
func HostHosts() ([]byte, error) {
	b, err := os.ReadFile(hostHosts)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read host /etc/hosts: %w", err)
	}
	return b, nil
}

type resolv struct {
	nameservers, searches, options []string
}

func parseResolv(b []byte) resolv {
	var r resolv
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		switch f[0] {
		case "nameserver":
			if len(f) > 1 {
				r.nameservers = append(r.nameservers, f[1])
			}
		case "search", "domain":
			// The last of search and domain wins, as in glibc.
			r.searches = append([]string{}, f[1:]...)
		case "options":
			r.options = append(r.options, f[1:]...)
		}
	}
	return r
}

// ResolvConf renders a pod's /etc/resolv.conf as Kubernetes does with no
// cluster DNS: the host's configuration (none for dnsPolicy None), then
// dnsConfig's nameservers and searches appended and its options merged
// by name. A pod with its own network cannot reach the host's loopback,
// so loopback nameservers are dropped for it.
func ResolvConf(host []byte, spec *pod.PodSpec) []byte {
	var r resolv
	if spec.DNSPolicy != pod.DNSNone {
		r = parseResolv(host)
	}
	if !spec.HostNetwork {
		r.nameservers = slices.DeleteFunc(r.nameservers, func(ns string) bool {
			a, err := netip.ParseAddr(ns)
			return err == nil && a.IsLoopback()
		})
	}
	if c := spec.DNSConfig; c != nil {
		r.nameservers = appendNew(r.nameservers, c.Nameservers...)
		r.searches = appendNew(r.searches, c.Searches...)
		for _, o := range c.Options {
			opt := o.Name
			if o.Value != nil {
				opt += ":" + *o.Value
			}
			r.options = slices.DeleteFunc(r.options, func(s string) bool {
				name, _, _ := strings.Cut(s, ":")
				return name == o.Name
			})
			r.options = append(r.options, opt)
		}
	}
	var b bytes.Buffer
	for _, ns := range r.nameservers[:min(len(r.nameservers), 3)] {
		fmt.Fprintf(&b, "nameserver %s\n", ns)
	}
	if len(r.searches) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(r.searches, " "))
	}
	if len(r.options) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(r.options, " "))
	}
	return b.Bytes()
}

func appendNew(list []string, add ...string) []string {
	for _, s := range add {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

// Hosts renders a pod's /etc/hosts. A pod with its own network gets
// Kubernetes' file: localhost entries and its hostname at each pod
// address; a hostNetwork pod gets the host's file. hostAliases follow.
func Hosts(host []byte, spec *pod.PodSpec, hostname string, addrs []string) []byte {
	var b bytes.Buffer
	if spec.HostNetwork {
		b.Write(host)
		if len(host) > 0 && host[len(host)-1] != '\n' {
			b.WriteByte('\n')
		}
	} else {
		b.WriteString("# Managed by podunit.\n" +
			"127.0.0.1\tlocalhost\n" +
			"::1\tlocalhost ip6-localhost ip6-loopback\n" +
			"fe00::0\tip6-localnet\n" +
			"fe00::0\tip6-mcastprefix\n" +
			"fe00::1\tip6-allnodes\n" +
			"fe00::2\tip6-allrouters\n")
		for _, a := range addrs {
			fmt.Fprintf(&b, "%s\t%s\n", a, hostname)
		}
	}
	if len(spec.HostAliases) > 0 {
		b.WriteString("\n# Entries added by hostAliases.\n")
		for _, a := range spec.HostAliases {
			fmt.Fprintf(&b, "%s\t%s\n", a.IP, strings.Join(a.Hostnames, "\t"))
		}
	}
	return b.Bytes()
}
