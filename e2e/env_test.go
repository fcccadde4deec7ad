package e2e

import (
	"encoding/json"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// envManifest holds the Kubernetes docs' dependent-environment-variables
// example, the downward API and requests, plus fields a single host only
// warns about. The container writes what it was given to files, so the
// test reads what the process saw, not podunit's records. Line numbers
// matter: the warnings name them.
const envManifest = `apiVersion: v1
kind: Pod
metadata:
  name: envpod
  labels: {app: envtest}
  annotations: {example.com/owner: team-a}
spec:
  nodeName: some-node
  serviceAccountName: robot
  readinessGates: [{conditionType: example.com/ready}]
  containers:
  - name: app
    image: ` + testImage + `
    command: ["sh", "-c"]
    args:
    - |
      env > /tmp/env
      echo $(SERVICE_ADDRESS) > /tmp/cmd
      echo "$$(echo escaped)" > /tmp/escaped
      exec sleep 100000
    resources:
      limits: {cpu: 500m, memory: 64Mi}
      requests: {cpu: 250m, memory: 32Mi}
    env:
    - {name: SERVICE_PORT, value: "80"}
    - {name: SERVICE_IP, value: "172.17.0.1"}
    - {name: UNCHANGED_REFERENCE, value: "$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"}
    - {name: PROTOCOL, value: "https"}
    - {name: SERVICE_ADDRESS, value: "$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"}
    - {name: ESCAPED_REFERENCE, value: "$$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"}
    - {name: UNKNOWN_REFERENCE, value: "$(NOPE)-$(SERVICE_PORT)"}
    - {name: UNTERMINATED, value: "$(SERVICE_PORT"}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: POD_UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}
    - {name: POD_IP, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: status.podIP}}}
    - {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}
    - {name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
    - {name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}
    - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
    - {name: OWNER, valueFrom: {fieldRef: {fieldPath: "metadata.annotations['example.com/owner']"}}}
    - {name: CPU_LIMIT_M, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}}
    - {name: CPU_REQUEST, valueFrom: {resourceFieldRef: {resource: requests.cpu}}}
    - {name: MEM_LIMIT_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: MEM_REQUEST_MI, valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: 1Mi}}}
    - {name: SIDE_CPU_LIMIT_M, valueFrom: {resourceFieldRef: {containerName: side, resource: limits.cpu, divisor: 1m}}}
  - name: side
    image: ` + testImage + `
    command: ["sleep", "100000"]
    resources:
      requests: {cpu: 100m, memory: 16Mi}
`

// TestEnv: $(VAR) expansion as the Kubernetes docs show it, the downward
// API from inside the container, requests as the unit's CPUWeight= and
// MemoryLow=, the warnings apply prints, and bad input refused.
func TestEnv(t *testing.T) {
	e := boot(t)
	file := e.write("envpod.yaml", envManifest)

	// podunit unit warns as apply does, and needs no running pod.
	_, unitErr, code := e.run("podunit", "unit", "-f", file)
	if code != 0 || !strings.Contains(unitErr, "Warning: "+file+":8:13: spec.nodeName: ") {
		t.Errorf("podunit unit: exit %d, stderr:\n%s", code, unitErr)
	}

	out, stderr, code := e.run("podunit", "apply", "-f", file)
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, stderr)
	}
	if out != "pod/envpod created\n" {
		t.Errorf("apply stdout %q", out)
	}
	for _, want := range []string{
		"Warning: " + file + ":8:13: spec.nodeName: there is no scheduler: the pod runs on this host whatever node it names; fieldRef spec.nodeName gives this host's name",
		"Warning: " + file + ":9:23: spec.serviceAccountName: there is no API server: no service account token is mounted; fieldRef spec.serviceAccountName gives the name",
		"Warning: " + file + ":10:19: spec.readinessGates: the gates are treated as satisfied: nothing on a single host sets pod conditions, so the pod is Ready when its containers are",
		"Warning: " + file + `:32:35: spec.containers[0].env[7].value: "$(" without a closing ")" is passed through as written (as Kubernetes does); write "$$(" for a literal "$("`,
	} {
		if strings.Count(stderr, want+"\n") != 1 {
			t.Errorf("apply stderr lacks (once) %q:\n%s", want, stderr)
		}
	}
	if n := strings.Count(stderr, "Warning: "); n != 4 {
		t.Errorf("apply printed %d warnings, want 4:\n%s", n, stderr)
	}

	var st struct {
		UID    string   `json:"uid"`
		PodIPs []string `json:"podIPs"`
	}
	if err := json.Unmarshal([]byte(e.must("podunit", "status", "envpod", "-o", "json")), &st); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(st.UID) {
		t.Errorf("status uid %q is not a random UUID", st.UID)
	}
	if len(st.PodIPs) == 0 {
		t.Fatal("status has no podIPs")
	}

	read := func(path string) string {
		var got string
		e.eventually(30*time.Second, path+" in the container", func() bool {
			o, _, code := e.run("podunit", "exec", "envpod", "-c", "app", "--", "cat", path)
			got = o
			return code == 0 && o != ""
		})
		return got
	}
	vars := map[string]string{}
	for _, line := range strings.Split(read("/tmp/env"), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			vars[k] = v
		}
	}
	hostname := strings.TrimSpace(e.must("hostname"))
	for name, want := range map[string]string{
		// The Kubernetes docs' example, and an unknown and an
		// unterminated reference, which stay as written.
		"UNCHANGED_REFERENCE": "$(PROTOCOL)://172.17.0.1:80",
		"SERVICE_ADDRESS":     "https://172.17.0.1:80",
		"ESCAPED_REFERENCE":   "$(PROTOCOL)://172.17.0.1:80",
		"UNKNOWN_REFERENCE":   "$(NOPE)-80",
		"UNTERMINATED":        "$(SERVICE_PORT",
		"POD_NAME":            "envpod",
		"POD_NAMESPACE":       "default",
		"POD_UID":             st.UID,
		"POD_IP":              st.PodIPs[0],
		"NODE_NAME":           strings.ToLower(hostname),
		"SA":                  "robot",
		"APP":                 "envtest",
		"OWNER":               "team-a",
		"CPU_LIMIT_M":         "500",
		"CPU_REQUEST":         "1", // 250m in whole CPUs, rounded up
		"MEM_LIMIT_MI":        "64",
		"MEM_REQUEST_MI":      "32",
		// side has no CPU limit: the host's CPUs, as node allocatable.
		"SIDE_CPU_LIMIT_M": strconv.Itoa(1000 * atoi(t, strings.TrimSpace(e.must("nproc")))),
	} {
		if vars[name] != want {
			t.Errorf("%s=%q in the container, want %q", name, vars[name], want)
		}
	}
	hostIP, err := netip.ParseAddr(vars["HOST_IP"])
	if err != nil {
		t.Errorf("HOST_IP=%q: %v", vars["HOST_IP"], err)
	} else if addrs := e.must("ip", "-o", "addr", "show"); !strings.Contains(addrs, " "+hostIP.String()+"/") {
		t.Errorf("HOST_IP %s is none of the host's addresses:\n%s", hostIP, addrs)
	}
	// command and args expand too; $$ reaches the shell as $.
	if got := read("/tmp/cmd"); got != "https://172.17.0.1:80\n" {
		t.Errorf("expanded args wrote %q", got)
	}
	if got := read("/tmp/escaped"); got != "escaped\n" {
		t.Errorf("escaped $$( reached the shell as %q", got)
	}

	// 250m+100m requested: 358 shares, weight 1+356*9999/262142 = 14;
	// 32Mi+16Mi protected.
	show := e.must("systemctl", "show", "-p", "CPUWeight", "-p", "MemoryLow", "podunit-envpod.service")
	if show != "CPUWeight=14\nMemoryLow=50331648\n" && show != "MemoryLow=50331648\nCPUWeight=14\n" {
		t.Errorf("systemctl show: %q", show)
	}

	// The UID is the pod's, kept across a restart of its unit.
	e.must("systemctl", "restart", "podunit-envpod.service")
	e.eventually(30*time.Second, "envpod running again", func() bool { return e.status("envpod").Status == "Running" })
	var again struct {
		UID string `json:"uid"`
	}
	if err := json.Unmarshal([]byte(e.must("podunit", "status", "envpod", "-o", "json")), &again); err != nil || again.UID != st.UID {
		t.Errorf("uid after restart %q (%v), want %q", again.UID, err, st.UID)
	}
	e.must("podunit", "delete", "envpod")
	e.assertNoTrace("envpod")

	// A hostNetwork pod's IP is the host's.
	e.apply("envhost", `apiVersion: v1
kind: Pod
metadata: {name: envhost}
spec:
  hostNetwork: true
  containers:
  - name: app
    image: `+testImage+`
    command: ["sh", "-c", "echo $(POD_IP)=$(HOST_IP) > /tmp/ips; exec sleep 100000"]
    env:
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}
`)
	var ips string
	e.eventually(30*time.Second, "envhost's /tmp/ips", func() bool {
		o, _, code := e.run("podunit", "exec", "envhost", "--", "cat", "/tmp/ips")
		ips = o
		return code == 0 && o != ""
	})
	if ip, _, _ := strings.Cut(strings.TrimSpace(ips), "="); ip == "" || strings.TrimSpace(ips) != ip+"="+ip {
		t.Errorf("hostNetwork pod: podIP=hostIP gave %q", ips)
	}
	e.must("podunit", "delete", "envhost")

	// A boot-time pod: the generator logs its warnings to the journal,
	// and the pod it starts has a UID too.
	e.installGenerator()
	e.write("genenv.yaml", `apiVersion: v1
kind: Pod
metadata: {name: genenv}
spec:
  nodeName: elsewhere
  containers:
  - name: main
    image: `+testImage+`
    command: ["sh", "-c", "echo $(POD_UID) > /tmp/uid; exec sleep 100000"]
    env:
    - {name: POD_UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}
`)
	e.must("cp", "/scratch/genenv.yaml", "/etc/podunit/pods/")
	e.waitRunning("genenv")
	if j := e.must("journalctl", "--no-pager", "-o", "cat", "-t", "podunit-generator", "-p", "warning"); !strings.Contains(j, "podunit-generator: warning: /etc/podunit/pods/genenv.yaml:5:13: spec.nodeName: there is no scheduler") {
		t.Errorf("generator warning not in the journal:\n%s", j)
	}
	var gen struct {
		UID string `json:"uid"`
	}
	if err := json.Unmarshal([]byte(e.must("podunit", "status", "genenv", "-o", "json")), &gen); err != nil || gen.UID == "" {
		t.Fatalf("generated pod's uid %q (%v)", gen.UID, err)
	}
	e.eventually(30*time.Second, "genenv's /tmp/uid", func() bool {
		o, _, code := e.run("podunit", "exec", "genenv", "--", "cat", "/tmp/uid")
		return code == 0 && o == gen.UID+"\n"
	})
	e.must("rm", "/etc/podunit/pods/genenv.yaml")
	e.eventually(60*time.Second, "genenv removed", func() bool { return len(e.podsOnHost()) == 0 })

	// Bad input: file:line:column and the field, nothing changed.
	bad := e.write("badenv.yaml", `apiVersion: v1
kind: Pod
metadata: {name: badenv}
spec:
  containers:
  - name: app
    image: `+testImage+`
    resources:
      limits: {cpu: 500m}
      requests: {cpu: "1"}
    env:
    - {name: A, valueFrom: {fieldRef: {fieldPath: spec.hostname}}}
    - {name: B, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 3}}}
`)
	errOut := e.fails("podunit", "apply", "-f", bad)
	for _, want := range []string{
		bad + `:10:23: spec.containers[0].resources.requests.cpu: request 1 must be less than or equal to the cpu limit 500m`,
		bad + `:12:51: spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: unsupported value "spec.hostname"`,
		bad + `:13:82: spec.containers[0].env[1].valueFrom.resourceFieldRef.divisor: divisor "3" is not supported`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("apply of bad env: stderr lacks %q:\n%s", want, errOut)
		}
	}
	if units := e.unitsOnHost(); strings.Contains(units, "podunit-badenv") {
		t.Errorf("unit left after a refused apply: %s", units)
	}
	if pods := e.podsOnHost(); len(pods) != 0 {
		t.Errorf("pod state left: %v", pods)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}
