package e2e

import (
	"encoding/json"
	"fmt"
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
