package network

import (
	"strings"
	"testing"

	"github.com/podunit/podunit/pod"
)

func TestResolvConf(t *testing.T) {
	host := []byte("# comment\nnameserver 127.0.0.53\nnameserver 192.0.2.1\nsearch example.com\noptions edns0 ndots:2\n")
	two := "2"
	tests := []struct {
		name string
		spec pod.PodSpec
		want string
	}{
		{"own network drops loopback", pod.PodSpec{}, "nameserver 192.0.2.1\nsearch example.com\noptions edns0 ndots:2\n"},
		{"host network keeps it", pod.PodSpec{HostNetwork: true}, "nameserver 127.0.0.53\nnameserver 192.0.2.1\nsearch example.com\noptions edns0 ndots:2\n"},
		{"dnsConfig merges", pod.PodSpec{DNSConfig: &pod.PodDNSConfig{
			Nameservers: []string{"198.51.100.1", "192.0.2.1"},
			Searches:    []string{"pods.local"},
			Options:     []pod.PodDNSConfigOption{{Name: "ndots", Value: &two}, {Name: "rotate"}},
		}}, "nameserver 192.0.2.1\nnameserver 198.51.100.1\nsearch example.com pods.local\noptions edns0 ndots:2 rotate\n"},
		{"None ignores the host", pod.PodSpec{DNSPolicy: pod.DNSNone, DNSConfig: &pod.PodDNSConfig{Nameservers: []string{"203.0.113.9"}}},
			"nameserver 203.0.113.9\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(ResolvConf(host, &tc.spec)); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestHosts(t *testing.T) {
	spec := pod.PodSpec{HostAliases: []pod.HostAlias{{IP: "192.0.2.7", Hostnames: []string{"db", "db.local"}}}}
	got := string(Hosts(nil, &spec, "web", []string{"10.213.0.5"}))
	for _, want := range []string{"127.0.0.1\tlocalhost\n", "10.213.0.5\tweb\n", "192.0.2.7\tdb\tdb.local\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("hosts lacks %q:\n%s", want, got)
		}
	}
	spec.HostNetwork = true
	got = string(Hosts([]byte("127.0.0.1 localhost\n10.0.0.1 myhost"), &spec, "web", nil))
	if !strings.HasPrefix(got, "127.0.0.1 localhost\n10.0.0.1 myhost\n") || strings.Contains(got, "\tweb\n") || !strings.Contains(got, "192.0.2.7\tdb") {
		t.Errorf("hostNetwork hosts:\n%s", got)
	}
}
