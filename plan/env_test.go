package plan

import (
	"reflect"
	"strings"
	"testing"

	"github.com/podunit/podunit/images"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/units"
)

const envManifest = `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: ns
  labels: {app: web}
  annotations: {example.com/owner: me}
spec:
  serviceAccountName: robot
  containers:
  - name: a
    image: img
    command: ["sh", "-c", "echo $(SERVICE_ADDRESS) $$(PROTOCOL) $(PATH) $(NOPE)"]
    args: ["$(POD_IP)"]
    resources:
      limits: {cpu: 1500m, memory: 100Mi}
      requests: {cpu: 250m}
    env:
    - {name: SERVICE_PORT, value: "80"}
    - {name: SERVICE_IP, value: "172.17.0.1"}
    - {name: UNCHANGED_REFERENCE, value: "$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"}
    - {name: PROTOCOL, value: "https"}
    - {name: SERVICE_ADDRESS, value: "$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"}
    - {name: ESCAPED_REFERENCE, value: "$$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"}
    - {name: FROM_IMAGE, value: "$(PATH)"}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: NOT_EXPANDED, value: "$(POD_IP)"}
    - {name: NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: UID, valueFrom: {fieldRef: {fieldPath: metadata.uid, apiVersion: v1}}}
    - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
    - {name: NO_LABEL, valueFrom: {fieldRef: {fieldPath: "metadata.labels['none']"}}}
    - {name: OWNER, valueFrom: {fieldRef: {fieldPath: "metadata.annotations['example.com/owner']"}}}
    - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
    - {name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}
    - {name: POD_IPS, valueFrom: {fieldRef: {fieldPath: status.podIPs}}}
    - {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}
    - {name: HOST_IPS, valueFrom: {fieldRef: {fieldPath: status.hostIPs}}}
    - {name: CPU_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
    - {name: CPU_LIMIT_M, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}}
    - {name: CPU_REQUEST, valueFrom: {resourceFieldRef: {resource: requests.cpu}}}
    - {name: CPU_REQUEST_M, valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}}
    - {name: MEM_LIMIT_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: MEM_LIMIT_M, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1M}}}
    - {name: MEM_REQUEST, valueFrom: {resourceFieldRef: {resource: requests.memory}}}
    - {name: B_CPU, valueFrom: {resourceFieldRef: {resource: limits.cpu, containerName: b, divisor: 1m}}}
    - {name: B_MEM, valueFrom: {resourceFieldRef: {resource: limits.memory, containerName: b}}}
    - {name: B_MEM_REQUEST, valueFrom: {resourceFieldRef: {resource: requests.memory, containerName: b}}}
    - {name: STORAGE, valueFrom: {resourceFieldRef: {resource: limits.ephemeral-storage, divisor: 1Gi}}}
    - {name: STORAGE_REQUEST, valueFrom: {resourceFieldRef: {resource: requests.ephemeral-storage}}}
  - name: b
    image: img
`

func TestEnv(t *testing.T) {
	pods, err := pod.Decode("p.yaml", strings.NewReader(envManifest))
	if err != nil {
		t.Fatal(err)
	}
	img := &Image{Config: images.Config{Entrypoint: []string{"/entry"}, Env: []string{"PATH=/bin"}}}
	rt := Runtime{
		UID:         "5f1e0c62-0000-4000-8000-000000000001",
		NodeName:    "host1",
		PodIPs:      []string{"10.213.0.5", "fd00::5"},
		HostIPs:     []string{"192.168.1.2"},
		Allocatable: Allocatable{CPUMillis: 4000, MemoryBytes: 8 << 30, EphemeralStorageBytes: 100<<30 + 1},
	}
	pl, err := Compile(pods[0], units.DefaultHost, units.Isolation{}, map[string]*Image{"img": img}, rt)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"PATH=/bin",
		"SERVICE_PORT=80",
		"SERVICE_IP=172.17.0.1",
		"UNCHANGED_REFERENCE=$(PROTOCOL)://172.17.0.1:80",
		"PROTOCOL=https",
		"SERVICE_ADDRESS=https://172.17.0.1:80",
		"ESCAPED_REFERENCE=$(PROTOCOL)://172.17.0.1:80",
		// The kubelet does not see the image's variables.
		"FROM_IMAGE=$(PATH)",
		"POD_IP=10.213.0.5",
		"NOT_EXPANDED=10.213.0.5",
		"NAME=p",
		"NAMESPACE=ns",
		"UID=5f1e0c62-0000-4000-8000-000000000001",
		"APP=web",
		"NO_LABEL=",
		"OWNER=me",
		"NODE=host1",
		"SA=robot",
		"POD_IPS=10.213.0.5,fd00::5",
		"HOST_IP=192.168.1.2",
		"HOST_IPS=192.168.1.2",
		// 1.5 cores round up to 2.
		"CPU_LIMIT=2",
		"CPU_LIMIT_M=1500",
		"CPU_REQUEST=1",
		"CPU_REQUEST_M=250",
		"MEM_LIMIT_MI=100",
		// 104857600 bytes are 104.8576 M, rounded up.
		"MEM_LIMIT_M=105",
		// The request defaults to the limit.
		"MEM_REQUEST=104857600",
		// b sets no limits: the host's capacity; no request: 0.
		"B_CPU=4000",
		"B_MEM=8589934592",
		"B_MEM_REQUEST=0",
		"STORAGE=101",
		"STORAGE_REQUEST=0",
	}
	if got := pl.Containers[0].Env; !reflect.DeepEqual(got, want) {
		t.Errorf("env:\n got %q\nwant %q", got, want)
	}
	wantArgs := []string{"sh", "-c", "echo https://172.17.0.1:80 $(PROTOCOL) $(PATH) $(NOPE)", "10.213.0.5"}
	if got := pl.Containers[0].Args; !reflect.DeepEqual(got, wantArgs) {
		t.Errorf("args:\n got %q\nwant %q", got, wantArgs)
	}
}

// TestImageCommandNotExpanded: only the pod's command and args expand, as
// under the kubelet; the image's Entrypoint and Cmd run as written.
func TestImageCommandNotExpanded(t *testing.T) {
	pods, err := pod.Decode("p.yaml", strings.NewReader(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: img
    env: [{name: A, value: x}]
`))
	if err != nil {
		t.Fatal(err)
	}
	img := &Image{Config: images.Config{Entrypoint: []string{"/entry", "$(A)"}, Cmd: []string{"$(A)"}}}
	pl, err := Compile(pods[0], units.DefaultHost, units.Isolation{}, map[string]*Image{"img": img}, Runtime{})
	if err != nil {
		t.Fatal(err)
	}
	if got := pl.Containers[0].Args; !reflect.DeepEqual(got, []string{"/entry", "$(A)", "$(A)"}) {
		t.Errorf("args %q", got)
	}
}

func TestEnvDuplicateNames(t *testing.T) {
	pods, err := pod.Decode("p.yaml", strings.NewReader(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: img
    args: ["$(A)"]
    env: [{name: A, value: one}, {name: B, value: "$(A)"}, {name: A, value: "$(A)-two"}]
`))
	if err != nil {
		t.Fatal(err)
	}
	pl, err := Compile(pods[0], units.DefaultHost, units.Isolation{}, map[string]*Image{"img": {}}, Runtime{})
	if err != nil {
		t.Fatal(err)
	}
	// A later definition replaces the earlier one and sees it.
	if got := pl.Containers[0].Env; !reflect.DeepEqual(got, []string{"A=one-two", "B=one"}) {
		t.Errorf("env %q", got)
	}
	if got := pl.Containers[0].Args; !reflect.DeepEqual(got, []string{"one-two"}) {
		t.Errorf("args %q", got)
	}
}
