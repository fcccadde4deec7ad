package e2e

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// netPod is a busybox httpd serving its own name, with optional extra
// spec lines (indented two spaces) and container lines (four spaces).
func netPod(name, spec, container string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  terminationGracePeriodSeconds: 1
%s  containers:
  - name: web
    image: localhost/busybox:1.35
    command: ["sh", "-c", "mkdir -p /www && echo %s > /www/index.html && exec httpd -f -p 80 -h /www"]
%s`, name, spec, name, container)
}

// TestPodNetwork runs pods on the default CNI network, with hostPorts,
// on the host network and on broken networks, and checks after each way
// a pod ends that nothing of its network is left on the host.
func TestPodNetwork(t *testing.T) {
	e := boot(t)
	baseline := e.netTraces()

	t.Run("two pods reach each other", func(t *testing.T) {
		e.apply("a", netPod("a", "", ""))
		e.apply("b", netPod("b", "", ""))
		ipA, ipB := e.podIP("a"), e.podIP("b")
		if !strings.HasPrefix(ipA, "10.213.") || ipA == ipB {
			t.Fatalf("pod IPs a=%s b=%s", ipA, ipB)
		}
		e.eventually(10*time.Second, "b fetching a's page by IP", func() bool {
			out, _, code := e.run("podunit", "exec", "b", "--", "wget", "-q", "-O-", "http://"+ipA+"/")
			return code == 0 && strings.TrimSpace(out) == "a"
		})
		// Loopback is up in the pod's own namespace.
		if out := e.must("podunit", "exec", "a", "--", "wget", "-q", "-O-", "http://127.0.0.1/"); strings.TrimSpace(out) != "a" {
			t.Fatalf("a fetched %q from itself", out)
		}
		// Names and resolver files are the pod's.
		hosts := e.must("podunit", "exec", "a", "--", "cat", "/etc/hosts")
		if !strings.Contains(hosts, ipA+"\ta\n") {
			t.Errorf("/etc/hosts of a:\n%s", hosts)
		}
		if h := e.must("podunit", "exec", "a", "--", "cat", "/etc/hostname"); strings.TrimSpace(h) != "a" {
			t.Errorf("/etc/hostname of a: %q", h)
		}
		// The pod's interfaces are its own: lo and eth0, not the host's.
		if devs := e.must("podunit", "exec", "a", "--", "cat", "/proc/net/dev"); !strings.Contains(devs, "eth0:") || strings.Contains(devs, "podunit0:") {
			t.Errorf("/proc/net/dev of a:\n%s", devs)
		}
		if wide := e.must("podunit", "list", "-o", "wide"); !strings.Contains(wide, ipA) {
			t.Errorf("list -o wide lacks %s:\n%s", ipA, wide)
		}
		if st := e.must("podunit", "status", "a"); !strings.Contains(st, "IP:           "+ipA) {
			t.Errorf("status lacks the IP:\n%s", st)
		}
		if ms := e.must("machinectl", "status", "a", "--no-pager"); !strings.Contains(ms, ipA) {
			t.Errorf("machinectl status lacks %s:\n%s", ipA, ms)
		}
	})

	t.Run("delete leaves nothing", func(t *testing.T) {
		e.must("podunit", "delete", "a")
		e.assertNoTrace("a")
		e.assertNoNetTrace("a")
	})

	t.Run("systemctl stop leaves nothing", func(t *testing.T) {
		e.must("systemctl", "stop", "podunit-b.service")
		e.assertNoNetTrace("b")
		e.must("podunit", "delete", "b")
		e.assertNoTrace("b")
	})

	t.Run("kill -9 of nspawn leaves nothing behind", func(t *testing.T) {
		e.apply("k", netPod("k", "  restartPolicy: Never\n", "    ports: [{containerPort: 80, hostPort: 8081}]\n"))
		e.podIP("k")
		pid := strings.TrimSpace(e.must("systemctl", "show", "-p", "MainPID", "--value", "podunit-k.service"))
		e.must("kill", "-9", pid)
		// podinit's end restarts the unit (after ExecStopPost cleaned up):
		// the new instance holds one attachment, the killed one's is gone.
		e.eventually(30*time.Second, "the unit to restart", func() bool {
			out, _, _ := e.run("systemctl", "show", "-p", "NRestarts", "-p", "ActiveState", "--value", "podunit-k.service")
			return strings.Fields(out) != nil && strings.Join(strings.Fields(out), " ") == "1 active"
		})
		var mine []string
		for _, tr := range e.netTraces() {
			if strings.Contains(tr, "netns/k") || strings.HasPrefix(tr, "lease ") && strings.Contains(e.must("cat", "/var/lib/cni/networks/podunit/"+strings.TrimPrefix(tr, "lease ")), "podunit-k") {
				mine = append(mine, tr)
			}
		}
		if len(mine) != 2 {
			t.Errorf("after kill -9 and restart, k holds %v; want one netns and one lease", mine)
		}
		e.must("podunit", "delete", "k")
		e.assertNoTrace("k")
		e.assertNoNetTrace("k")
	})

	t.Run("hostPort", func(t *testing.T) {
		e.apply("pub", netPod("pub", "", "    ports: [{name: http, containerPort: 80, hostPort: 8080}]\n"))
		e.podIP("pub")
		// The host's own address on the default bridge, and one on an
		// interface of its own (the test host has only loopback).
		e.must("ip", "link", "add", "hostif0", "type", "veth", "peer", "name", "hostif1")
		e.must("ip", "addr", "add", "192.0.2.10/24", "dev", "hostif0")
		e.must("ip", "link", "set", "hostif0", "up")
		e.must("ip", "link", "set", "hostif1", "up")
		for _, addr := range []string{"10.213.0.1", "192.0.2.10"} {
			out := e.must("busybox", "wget", "-q", "-O-", "http://"+addr+":8080/")
			if strings.TrimSpace(out) != "pub" {
				t.Errorf("http://%s:8080/ gave %q", addr, out)
			}
		}
		if rules := e.must("iptables-save"); !strings.Contains(rules, `id: \"podunit-pub\"`) {
			t.Errorf("no portmap rule for pub:\n%s", rules)
		}
		errOut := e.fails("podunit", "apply", "-f", e.write("pub2.yaml", netPod("pub2", "", "    ports: [{containerPort: 80, hostPort: 8080}]\n")))
		if !strings.Contains(errOut, `host port 8080/TCP is already published by pod "pub"`) {
			t.Errorf("second claim of 8080: %s", errOut)
		}
		e.assertNoTrace("pub2")
		e.assertNoNetTrace("pub2")
		e.must("podunit", "delete", "pub")
		e.assertNoNetTrace("pub")
		e.must("ip", "link", "del", "hostif0")
	})

	t.Run("hostNetwork", func(t *testing.T) {
		// Port 80 of the host's own namespace is privileged for the pod's
		// user namespace: serve on 8088.
		e.apply("hn", strings.Replace(netPod("hn", "  hostNetwork: true\n  hostAliases: [{ip: 192.0.2.5, hostnames: [db]}]\n", ""), "-p 80 ", "-p 8088 ", 1))
		e.eventually(10*time.Second, "hn serving on the host's loopback", func() bool {
			out, _, code := e.run("busybox", "wget", "-q", "-O-", "http://127.0.0.1:8088/")
			return code == 0 && strings.TrimSpace(out) == "hn"
		})
		devs := e.must("podunit", "exec", "hn", "--", "cat", "/proc/net/dev")
		if !strings.Contains(devs, "podunit0:") || strings.Contains(devs, "eth0:") {
			t.Errorf("hostNetwork pod does not see the host's interfaces:\n%s", devs)
		}
		if hosts := e.must("podunit", "exec", "hn", "--", "cat", "/etc/hosts"); !strings.Contains(hosts, "192.0.2.5\tdb") {
			t.Errorf("hostAliases missing:\n%s", hosts)
		}
		if s := e.status("hn"); s.Status != "Running" {
			t.Errorf("status: %+v", s)
		}
		if _, _, code := e.run("test", "-e", "/run/podunit/netns/hn"); code == 0 {
			t.Errorf("hostNetwork pod got a namespace")
		}
		e.must("podunit", "delete", "hn")
		e.assertNoTrace("hn")
	})

	t.Run("broken networks fail apply and leave nothing", func(t *testing.T) {
		e.must("mkdir", "-p", "/etc/cni/net.d")
		confs := map[string]string{
			"missing": `{"cniVersion":"1.0.0","name":"missing","plugins":[{"type":"no-such-plugin"}]}`,
			"badipam": `{"cniVersion":"1.0.0","name":"badipam","plugins":[{"type":"bridge","bridge":"bad0","ipam":{"type":"host-local","ranges":[[{"subnet":"not-a-subnet"}]]}}]}`,
		}
		for name, conf := range confs {
			e.must("sh", "-c", fmt.Sprintf("cat > /etc/cni/net.d/50-%s.conflist <<'EOF'\n%s\nEOF", name, conf))
		}
		e.must("sh", "-c", "echo '{broken' > /etc/cni/net.d/60-broken.conflist")
		list := e.must("podunit", "network", "list")
		for _, want := range []string{"missing", "badipam", "60-broken.conflist", "podunit", "built-in"} {
			if !strings.Contains(list, want) {
				t.Errorf("network list lacks %s:\n%s", want, list)
			}
		}
		var nets []map[string]any
		if err := json.Unmarshal([]byte(e.must("podunit", "network", "list", "-o", "json")), &nets); err != nil || len(nets) != 4 {
			t.Errorf("network list -o json: %v %v", err, nets)
		}
		for net, want := range map[string]string{
			"missing": `failed to find plugin "no-such-plugin"`,
			"badipam": "not-a-subnet",
			"nowhere": `CNI network "nowhere" not found`,
		} {
			name := "bad-" + net
			manifest := strings.Replace(netPod(name, "", ""), "metadata: {name: "+name+"}",
				"metadata:\n  name: "+name+"\n  annotations: {podunit.io/network: "+net+"}", 1)
			errOut := e.fails("podunit", "apply", "-f", e.write(name+".yaml", manifest))
			if !strings.Contains(errOut, want) {
				t.Errorf("%s: error lacks %q:\n%s", net, want, errOut)
			}
			e.assertNoTrace(name)
			e.assertNoNetTrace(name)
		}
		e.must("sh", "-c", "rm /etc/cni/net.d/*.conflist")
		e.must("ip", "link", "del", "bad0")
	})

	t.Run("50 pods leave the pool as it was", func(t *testing.T) {
		for batch := range 5 {
			var names []string
			for i := range 10 {
				name := fmt.Sprintf("loop%d", batch*10+i)
				names = append(names, name)
				e.write(name+".yaml", fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n  terminationGracePeriodSeconds: 0\n  containers:\n  - {name: c, image: localhost/busybox:1.35, command: [sleep, '1000']}\n", name))
			}
			args := []string{"podunit", "apply"}
			for _, n := range names {
				args = append(args, "-f", "/scratch/"+n+".yaml")
			}
			e.must(args...)
			if n := len(e.leases()); n != 10 {
				t.Fatalf("batch %d: %d leases, want 10", batch, n)
			}
			e.must(append([]string{"podunit", "delete"}, names...)...)
		}
		if got := e.netTraces(); !slices.Equal(got, baseline) {
			t.Errorf("network traces after the loop:\n%v\nbefore:\n%v", got, baseline)
		}
	})

	t.Run("gc after a crash", func(t *testing.T) {
		e.apply("crash", netPod("crash", "", ""))
		ip := e.podIP("crash")
		// What a host crash leaves (the reboot wiped /run and the rules):
		// the lease and libcni's cache entry, kept aside while the pod is
		// deleted and put back; and a namespace a killed prepare left.
		lease := "/var/lib/cni/networks/podunit/" + ip
		cache := "/var/lib/podunit/cni/results/podunit-podunit-crash-eth0"
		e.must("cp", "-a", lease, cache, "/scratch/")
		e.must("podunit", "delete", "crash")
		e.must("cp", "-a", "/scratch/"+ip, lease)
		e.must("cp", "-a", "/scratch/podunit-podunit-crash-eth0", cache)
		e.must("sh", "-c", "touch /run/podunit/netns/crash && unshare --net=/run/podunit/netns/crash true")
		out := e.must("podunit", "gc")
		if !strings.Contains(out, "Removed the network of pod crash") {
			t.Errorf("gc: %s", out)
		}
		e.assertNoNetTrace("crash")
		if got := e.netTraces(); !slices.Equal(got, baseline) {
			t.Errorf("network traces after gc:\n%v\nbefore:\n%v", got, baseline)
		}
		if out := e.must("podunit", "gc"); strings.Contains(out, "network of pod") {
			t.Errorf("second gc: %s", out)
		}
	})

	t.Run("gc of rules nothing records", func(t *testing.T) {
		e.apply("orphan", netPod("orphan", "", "    ports: [{containerPort: 80, hostPort: 8091}]\n"))
		ip := e.podIP("orphan")
		// The record and libcni's cache are lost before the pod stops:
		// cleanup's DEL has nothing to go by, so the masquerade, portmap and
		// firewall rules and the lease outlive the pod.
		e.must("sh", "-c", "rm /var/lib/podunit/pods/orphan/network.json /var/lib/podunit/cni/results/podunit-podunit-orphan-eth0 && podunit delete orphan")
		if rules := e.must("iptables-save"); !strings.Contains(rules, `id: \"podunit-orphan\"`) {
			t.Fatalf("the simulation left no rules:\n%s", rules)
		}
		e.must("podunit", "gc")
		if rules := e.must("iptables-save"); strings.Contains(rules, "podunit-orphan") || strings.Contains(rules, "8091") || strings.Contains(rules, " "+ip+"/32 ") {
			t.Errorf("rules left after gc:\n%s", rules)
		}
		if got := e.netTraces(); !slices.Equal(got, baseline) {
			t.Errorf("network traces after gc:\n%v\nbefore:\n%v", got, baseline)
		}
	})
}

// podIP waits for the pod's IP in `podunit status -o json`.
func (e *env) podIP(pod string) string {
	e.t.Helper()
	var st struct {
		Status string   `json:"status"`
		PodIPs []string `json:"podIPs"`
	}
	e.eventually(30*time.Second, pod+" running with an IP", func() bool {
		out, _, code := e.run("podunit", "status", pod, "-o", "json")
		return code == 0 && json.Unmarshal([]byte(out), &st) == nil && st.Status == "Running" && len(st.PodIPs) > 0
	})
	return st.PodIPs[0]
}

// leases lists host-local's lease files of podunit's default network.
func (e *env) leases() []string {
	e.t.Helper()
	ents, _ := os.ReadDir(e.h.Path("/var/lib/cni/networks/podunit"))
	var out []string
	for _, d := range ents {
		if !strings.HasPrefix(d.Name(), "last_reserved_ip") && d.Name() != "lock" {
			out = append(out, d.Name())
		}
	}
	return out
}

// netTraces is everything pods' networks leave on the host: veths,
// namespaces, leases, CNI iptables rules and libcni cache entries.
func (e *env) netTraces() []string {
	e.t.Helper()
	var out []string
	for _, l := range strings.Split(e.must("ip", "-o", "link", "show", "type", "veth"), "\n") {
		if f := strings.Fields(l); len(f) > 1 && !strings.HasPrefix(f[1], "hostif") {
			out = append(out, "veth "+f[1])
		}
	}
	// /run is the running host's tmpfs, not in its rootfs: list it there.
	for _, dir := range []string{"/run/podunit/netns", "/var/lib/podunit/cni/results"} {
		ls, _, _ := e.run("ls", "-1", dir)
		for _, name := range strings.Fields(ls) {
			out = append(out, filepath.Join(dir, name))
		}
	}
	for _, l := range e.leases() {
		out = append(out, "lease "+l)
	}
	for _, r := range strings.Split(e.must("iptables-save"), "\n") {
		if strings.Contains(r, `id: \"podunit-`) || strings.HasPrefix(r, "-A CNI-DN-") || strings.HasPrefix(r, ":CNI-DN-") {
			out = append(out, "rule "+r)
		}
	}
	slices.Sort(out)
	return out
}

// assertNoNetTrace checks that nothing of a pod's network is left.
func (e *env) assertNoNetTrace(pod string) {
	e.t.Helper()
	if _, _, code := e.run("test", "-e", "/run/podunit/netns/"+pod); code == 0 {
		e.t.Errorf("netns of %s still exists", pod)
	}
	veths, netns := 0, 0
	for _, tr := range e.netTraces() {
		switch {
		case strings.HasPrefix(tr, "veth "):
			veths++
		case strings.HasPrefix(tr, "/run/podunit/netns/"):
			netns++
		}
		if strings.Contains(tr, "podunit-"+pod) {
			e.t.Errorf("network trace of %s left: %s", pod, tr)
		}
	}
	// Each running pod has one veth; more means one was left behind.
	if veths > netns {
		e.t.Errorf("%d veths for %d pod namespaces after %s ended", veths, netns, pod)
	}
	for _, l := range e.leases() {
		b, _ := os.ReadFile(e.h.Path("/var/lib/cni/networks/podunit/" + l))
		if strings.HasPrefix(string(b), "podunit-"+pod+"\r") || strings.HasPrefix(string(b), "podunit-"+pod+"\n") {
			e.t.Errorf("lease %s of %s left", l, pod)
		}
	}
	if mi := e.must("cat", "/proc/self/mountinfo"); strings.Contains(mi, "/run/podunit/netns/"+pod+" ") {
		e.t.Errorf("netns mount of %s left", pod)
	}
}

// TestConcurrentStarts: pods that systemd starts together on a fresh host
// (boot, a template's instances) race for the first bridge, chains and
// namespace directory; all come up with their own addresses and leave
// nothing behind.
func TestConcurrentStarts(t *testing.T) {
	e := boot(t)
	baseline := e.netTraces()
	e.write("tmpl.yaml", bootPod("burst", "up"))
	e.write("podunit-burst@.service", e.must("podunit", "unit", "--template", "-f", "/scratch/tmpl.yaml"))
	e.must("sh", "-c", "cp /scratch/podunit-burst@.service /etc/systemd/system/ && systemctl daemon-reload")
	var unitNames, pods []string
	for i := range 6 {
		unitNames = append(unitNames, fmt.Sprintf("podunit-burst@%d.service", i))
		pods = append(pods, fmt.Sprintf("burst-%d", i))
	}
	e.must(append([]string{"systemctl", "start"}, unitNames...)...)
	ips := map[string]string{}
	for _, p := range pods {
		ip := e.podIP(p)
		if other, ok := ips[ip]; ok {
			t.Fatalf("%s and %s share address %s", p, other, ip)
		}
		ips[ip] = p
	}
	e.must(append([]string{"podunit", "delete"}, pods...)...)
	if got := e.netTraces(); !slices.Equal(got, baseline) {
		t.Errorf("network traces after delete:\n%v\nbefore:\n%v", got, baseline)
	}
	if out, _, _ := e.run("findmnt", "-rn", "-o", "TARGET"); strings.Count(out, "/run/podunit/netns\n") > 1 {
		t.Errorf("namespace directory mounted more than once:\n%s", out)
	}
}

// onNetwork puts a netPod manifest on the CNI network net (the annotation).
func onNetwork(manifest, name, net string) string {
	return strings.Replace(manifest, "metadata: {name: "+name+"}",
		"metadata:\n  name: "+name+"\n  annotations: {podunit.io/network: "+net+"}", 1)
}

// podAddr checks from inside the pod that eth0 holds ip within subnet and
// that the default route goes through gw, and that the host reaches the
// pod's server at ip.
func (e *env) podAddr(pod, ip string, subnet netip.Prefix, gw string) {
	e.t.Helper()
	a, err := netip.ParseAddr(ip)
	if err != nil || !subnet.Contains(a) {
		e.t.Fatalf("pod %s has IP %q, want one in %s", pod, ip, subnet)
	}
	want := fmt.Sprintf("inet %s/%d ", ip, subnet.Bits())
	if out := e.must("podunit", "exec", pod, "--", "ip", "-o", "-4", "addr", "show", "dev", "eth0"); !strings.Contains(out, want) {
		e.t.Errorf("eth0 of %s lacks %q:\n%s", pod, want, out)
	}
	if out := e.must("podunit", "exec", pod, "--", "ip", "route"); !strings.Contains(out, "default via "+gw+" ") {
		e.t.Errorf("routes of %s lack the default via %s:\n%s", pod, gw, out)
	}
	e.eventually(10*time.Second, "the host fetching "+pod+"'s page at "+ip, func() bool {
		out, _, code := e.run("busybox", "wget", "-q", "-O-", "http://"+ip+"/")
		return code == 0 && strings.TrimSpace(out) == pod
	})
}

// networkByName is `podunit network list -o json`'s entry for name.
func (e *env) networkByName(name string) map[string]any {
	e.t.Helper()
	var nets []map[string]any
	out := e.must("podunit", "network", "list", "-o", "json")
	if err := json.Unmarshal([]byte(out), &nets); err != nil {
		e.t.Fatalf("network list -o json: %v\n%s", err, out)
	}
	for _, n := range nets {
		if n["name"] == name {
			return n
		}
	}
	return nil
}

// leasesOf lists host-local's lease files of network net.
func (e *env) leasesOf(net string) map[string]string {
	e.t.Helper()
	ents, _ := os.ReadDir(e.h.Path("/var/lib/cni/networks/" + net))
	out := map[string]string{}
	for _, d := range ents {
		if !strings.HasPrefix(d.Name(), "last_reserved_ip") && d.Name() != "lock" {
			b, _ := os.ReadFile(e.h.Path("/var/lib/cni/networks/" + net + "/" + d.Name()))
			out[d.Name()] = string(b)
		}
	}
	return out
}

// TestPodNetworkChoice puts pods on a custom network chosen by annotation
// and on the default network with its subnet changed by a conflist in
// /etc/cni/net.d, checking the address from inside the pod and that
// nothing is left after delete.
func TestPodNetworkChoice(t *testing.T) {
	e := boot(t)
	baseline := e.netTraces()
	e.must("mkdir", "-p", "/etc/cni/net.d")

	t.Run("custom network by annotation", func(t *testing.T) {
		const conf = `{"cniVersion":"1.0.0","name":"custom","plugins":[{"type":"bridge","bridge":"custom0","isGateway":true,"ipMasq":true,` +
			`"ipam":{"type":"host-local","ranges":[[{"subnet":"10.77.0.0/24","gateway":"10.77.0.1"}]],"routes":[{"dst":"0.0.0.0/0"}]}},{"type":"firewall"}]}`
		e.must("sh", "-c", "cat > /etc/cni/net.d/40-custom.conflist <<'EOF'\n"+conf+"\nEOF")
		n := e.networkByName("custom")
		if n == nil || n["file"] != "/etc/cni/net.d/40-custom.conflist" || n["error"] != nil || fmt.Sprint(n["plugins"]) != "[bridge firewall]" {
			t.Errorf("network list -o json entry of custom: %v", n)
		}
		if d := e.networkByName("podunit"); d == nil || d["file"] != nil {
			t.Errorf("the built-in default is not listed beside custom: %v", d)
		}
		list := e.must("podunit", "network", "list")
		if !strings.Contains(list, "custom") || !strings.Contains(list, "/etc/cni/net.d/40-custom.conflist") {
			t.Errorf("network list lacks custom:\n%s", list)
		}

		e.apply("cn", onNetwork(netPod("cn", "", ""), "cn", "custom"))
		ip := e.podIP("cn")
		e.podAddr("cn", ip, netip.MustParsePrefix("10.77.0.0/24"), "10.77.0.1")
		var st struct {
			Network string `json:"network"`
		}
		if err := json.Unmarshal([]byte(e.must("podunit", "status", "cn", "-o", "json")), &st); err != nil || st.Network != "custom" {
			t.Errorf("status network: %q (%v)", st.Network, err)
		}
		if l := e.leasesOf("custom"); !strings.HasPrefix(l[ip], "podunit-cn") || len(l) != 1 {
			t.Errorf("leases of custom: %v", l)
		}
		if l := e.leases(); len(l) != 0 {
			t.Errorf("a pod on custom holds leases of the default network: %v", l)
		}
		if devs := e.must("ip", "-o", "link", "show", "master", "custom0"); !strings.Contains(devs, "veth") {
			t.Errorf("no veth on the custom bridge:\n%s", devs)
		}

		e.must("podunit", "delete", "cn")
		e.assertNoTrace("cn")
		e.assertNoNetTrace("cn")
		if l := e.leasesOf("custom"); len(l) != 0 {
			t.Errorf("leases of custom left: %v", l)
		}
		if _, _, code := e.run("test", "-e", "/run/podunit/netns/cn"); code == 0 {
			t.Errorf("netns of cn left")
		}
		if got := e.netTraces(); !slices.Equal(got, baseline) {
			t.Errorf("network traces after delete:\n%v\nbefore:\n%v", got, baseline)
		}
		e.must("rm", "/etc/cni/net.d/40-custom.conflist")
		e.must("ip", "link", "del", "custom0")
		if n := e.networkByName("custom"); n != nil {
			t.Errorf("custom still listed after its conflist is gone: %v", n)
		}
	})

	t.Run("default network's subnet from a conflist", func(t *testing.T) {
		// The default network has been used: podunit0 exists with the
		// built-in address, and the edit must still take effect.
		e.apply("first", netPod("first", "", ""))
		e.podIP("first")
		e.must("podunit", "delete", "first")
		e.must("sh", "-c", "podunit network show podunit > /etc/cni/net.d/50-podunit.conflist")
		e.must("sed", "-i", "-e", `s#10\.213\.0\.0/16#10.214.7.0/24#`, "-e", `s#10\.213\.0\.1"#10.214.7.1"#`, "/etc/cni/net.d/50-podunit.conflist")
		if conf := e.must("cat", "/etc/cni/net.d/50-podunit.conflist"); strings.Contains(conf, "10.213.") || !strings.Contains(conf, "10.214.7.0/24") {
			t.Fatalf("edited conflist:\n%s", conf)
		}
		if n := e.networkByName("podunit"); n == nil || n["file"] != "/etc/cni/net.d/50-podunit.conflist" || n["error"] != nil {
			t.Errorf("network list -o json entry of podunit: %v", n)
		}
		if list := e.must("podunit", "network", "list"); strings.Contains(list, "built-in") {
			t.Errorf("the built-in default is still listed beside the conflist named podunit:\n%s", list)
		}
		e.apply("sub", netPod("sub", "", ""))
		ip := e.podIP("sub")
		e.podAddr("sub", ip, netip.MustParsePrefix("10.214.7.0/24"), "10.214.7.1")
		e.must("podunit", "delete", "sub")
		e.assertNoTrace("sub")
		e.assertNoNetTrace("sub")

		// Back to the built-in network, on the same bridge.
		e.must("rm", "/etc/cni/net.d/50-podunit.conflist")
		e.apply("back", netPod("back", "", ""))
		e.podAddr("back", e.podIP("back"), netip.MustParsePrefix("10.213.0.0/16"), "10.213.0.1")
		e.must("podunit", "delete", "back")
		e.assertNoTrace("back")
		e.assertNoNetTrace("back")
		if got := e.netTraces(); !slices.Equal(got, baseline) {
			t.Errorf("network traces at the end:\n%v\nbefore:\n%v", got, baseline)
		}
	})
}

// resolvConf is a parsed resolv.conf: the parts a pod's resolver uses.
type resolvConf struct {
	nameservers, searches, options []string
}

func parseResolvConf(s string) resolvConf {
	var r resolvConf
	for _, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "nameserver":
			if len(f) > 1 {
				r.nameservers = append(r.nameservers, f[1])
			}
		case "search", "domain":
			r.searches = f[1:]
		case "options":
			r.options = append(r.options, f[1:]...)
		}
	}
	return r
}

// podResolv is the pod's /etc/resolv.conf, read from inside it.
func (e *env) podResolv(pod string) (string, resolvConf) {
	e.t.Helper()
	s := e.must("podunit", "exec", pod, "--", "cat", "/etc/resolv.conf")
	return s, parseResolvConf(s)
}

// hostResolvForPods is what README says pods start from: the host's
// /etc/resolv.conf, or systemd-resolved's upstream file when that is the
// 127.0.0.53 stub, with loopback nameservers dropped.
func (e *env) hostResolvForPods() resolvConf {
	e.t.Helper()
	host := parseResolvConf(e.must("cat", "/etc/resolv.conf"))
	if slices.Contains(host.nameservers, "127.0.0.53") {
		if up, _, code := e.run("cat", "/run/systemd/resolve/resolv.conf"); code == 0 {
			host = parseResolvConf(up)
		}
	}
	host.nameservers = slices.DeleteFunc(host.nameservers, func(ns string) bool {
		a, err := netip.ParseAddr(ns)
		return err == nil && a.IsLoopback()
	})
	return host
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestPodDNS checks the resolver and name files pods see: the host's
// nameservers without loopback ones, dnsPolicy None and dnsConfig, and
// spec.hostname and hostAliases.
func TestPodDNS(t *testing.T) {
	e := boot(t)
	const dnsConfig = "  dnsConfig:\n    nameservers: [192.0.2.53]\n    searches: [example.test]\n    options: [{name: ndots, value: \"2\"}]\n"

	t.Run("host's resolv.conf", func(t *testing.T) {
		want := e.hostResolvForPods()
		e.apply("dns0", netPod("dns0", "", ""))
		e.podIP("dns0")
		raw, got := e.podResolv("dns0")
		if !slices.Equal(got.nameservers, want.nameservers) || !slices.Equal(got.searches, want.searches) || !slices.Equal(got.options, want.options) {
			t.Errorf("pod resolv.conf:\n%s\nwant %+v (host file:\n%s)", raw, want, e.must("cat", "/etc/resolv.conf"))
		}
		e.must("podunit", "delete", "dns0")
	})

	// A host file of our own, with loopback nameservers (IPv4 and IPv6)
	// among routable ones, searches and options.
	e.must("cp", "/etc/resolv.conf", "/scratch/resolv.conf.orig")
	e.must("sh", "-c", "cat > /etc/resolv.conf <<'EOF'\n# test host\nnameserver 127.0.0.1\nnameserver 198.51.100.1\nnameserver ::1\nnameserver 203.0.113.1\nsearch host.test corp.test\noptions ndots:5 timeout:2\nEOF")
	t.Cleanup(func() { e.must("cp", "/scratch/resolv.conf.orig", "/etc/resolv.conf") })

	t.Run("loopback nameservers dropped", func(t *testing.T) {
		want := e.hostResolvForPods()
		if !slices.Equal(want.nameservers, []string{"198.51.100.1", "203.0.113.1"}) {
			t.Fatalf("the test's own host file was not taken: %+v", want)
		}
		e.apply("dns1", netPod("dns1", "", ""))
		e.podIP("dns1")
		raw, got := e.podResolv("dns1")
		if !slices.Equal(got.nameservers, want.nameservers) || !slices.Equal(got.searches, []string{"host.test", "corp.test"}) || !sameSet(got.options, []string{"ndots:5", "timeout:2"}) {
			t.Errorf("pod resolv.conf:\n%s", raw)
		}
		e.must("podunit", "delete", "dns1")
	})

	t.Run("dnsPolicy None uses only dnsConfig", func(t *testing.T) {
		e.apply("dns2", netPod("dns2", "  dnsPolicy: None\n"+dnsConfig, ""))
		e.podIP("dns2")
		raw, got := e.podResolv("dns2")
		if !slices.Equal(got.nameservers, []string{"192.0.2.53"}) || !slices.Equal(got.searches, []string{"example.test"}) || !slices.Equal(got.options, []string{"ndots:2"}) {
			t.Errorf("pod resolv.conf:\n%s", raw)
		}
		if strings.Contains(raw, "198.51.100.1") || strings.Contains(raw, "host.test") || strings.Contains(raw, "timeout") {
			t.Errorf("host entries in a dnsPolicy None pod's resolv.conf:\n%s", raw)
		}
		e.must("podunit", "delete", "dns2")
	})

	// ClusterFirst (Kubernetes' default, also when unset) and Default
	// behave alike without cluster DNS: dnsConfig is appended to the
	// host's entries, and its options override the host's of that name.
	for _, policy := range []string{"", "ClusterFirst", "Default"} {
		t.Run("dnsConfig appended with policy "+cmp.Or(policy, "unset"), func(t *testing.T) {
			spec := dnsConfig
			if policy != "" {
				spec = "  dnsPolicy: " + policy + "\n" + spec
			}
			name := "dns3" + strings.ToLower(policy)
			e.apply(name, netPod(name, spec, ""))
			e.podIP(name)
			raw, got := e.podResolv(name)
			if !slices.Equal(got.nameservers, []string{"198.51.100.1", "203.0.113.1", "192.0.2.53"}) ||
				!slices.Equal(got.searches, []string{"host.test", "corp.test", "example.test"}) ||
				!sameSet(got.options, []string{"ndots:2", "timeout:2"}) {
				t.Errorf("pod resolv.conf:\n%s", raw)
			}
			e.must("podunit", "delete", name)
		})
	}

	t.Run("hostname and hostAliases", func(t *testing.T) {
		e.apply("named", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: named}
spec:
  terminationGracePeriodSeconds: 1
  hostname: web-1
  hostAliases:
  - {ip: 192.0.2.5, hostnames: [db, db.example.test]}
  - {ip: 127.0.0.1, hostnames: [self-alias]}
  containers:
  - name: web
    image: %s
    command: ["sh", "-c", "mkdir -p /www && echo named > /www/index.html && echo \"$HOSTNAME\" > /tmp/env-hostname && exec httpd -f -p 80 -h /www"]
  - name: side
    image: %s
    command: [sleep, "1000"]
`, testImage, testImage))
		ip := e.podIP("named")
		for _, c := range []string{"web", "side"} {
			if h := e.must("podunit", "exec", "named", "-c", c, "--", "hostname"); strings.TrimSpace(h) != "web-1" {
				t.Errorf("hostname in %s: %q", c, h)
			}
			if h := e.must("podunit", "exec", "named", "-c", c, "--", "cat", "/etc/hostname"); h != "web-1\n" {
				t.Errorf("/etc/hostname in %s: %q", c, h)
			}
			hosts := e.must("podunit", "exec", "named", "-c", c, "--", "cat", "/etc/hosts")
			for _, want := range []string{"127.0.0.1\tlocalhost\n", ip + "\tweb-1\n", "192.0.2.5\tdb\tdb.example.test\n", "127.0.0.1\tself-alias\n"} {
				if !strings.Contains(hosts, want) {
					t.Errorf("/etc/hosts in %s lacks %q:\n%s", c, want, hosts)
				}
			}
			// The hostname's entry comes before the aliases.
			if strings.Index(hosts, ip+"\tweb-1") > strings.Index(hosts, "192.0.2.5\tdb") {
				t.Errorf("/etc/hosts in %s: hostAliases before the pod's own entry:\n%s", c, hosts)
			}
			if strings.Contains(hosts, "\tnamed") {
				t.Errorf("/etc/hosts in %s names the pod, not its hostname:\n%s", c, hosts)
			}
		}
		if h := e.must("podunit", "exec", "named", "--", "cat", "/tmp/env-hostname"); strings.TrimSpace(h) != "web-1" {
			t.Errorf("$HOSTNAME of the container: %q", h)
		}
		// The resolver uses the file: the hostname and an alias reach the
		// pod's own server.
		for _, name := range []string{"web-1", "self-alias"} {
			out, errOut, code := e.run("podunit", "exec", "named", "-c", "side", "--", "wget", "-q", "-O-", "http://"+name+"/")
			if code != 0 || strings.TrimSpace(out) != "named" {
				t.Errorf("wget http://%s/ from the pod: %d %q %s", name, code, out, errOut)
			}
		}
		e.must("podunit", "delete", "named")
		e.assertNoTrace("named")
		e.assertNoNetTrace("named")
	})
}
