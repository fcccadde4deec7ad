package pod

import (
	"strings"
	"testing"
)

func TestNetworkFields(t *testing.T) {
	const good = `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  dnsPolicy: None
  dnsConfig:
    nameservers: [192.0.2.1]
    searches: [example.com]
    options: [{name: ndots, value: "2"}]
  hostAliases: [{ip: 192.0.2.9, hostnames: [db]}]
  containers:
  - name: app
    image: busybox
    ports: [{name: http, containerPort: 80, hostPort: 8080, protocol: TCP, hostIP: 127.0.0.1}]
`
	pods, err := Decode("good.yaml", strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if hp := pods[0].Spec.HostPorts(); len(hp) != 1 || hp[0].HostPort != 8080 || hp[0].Proto() != "TCP" {
		t.Fatalf("host ports: %+v", hp)
	}

	const bad = `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  hostNetwork: true
  dnsPolicy: Sometimes
  hostAliases: [{ip: nope, hostnames: [Bad_Name]}]
  containers:
  - name: app
    image: busybox
    ports:
    - {containerPort: 80, hostPort: 8080}
    - {containerPort: 0, protocol: SCTP}
  - name: two
    image: busybox
    ports: [{containerPort: 8080, hostPort: 8080}]
`
	_, err = Decode("bad.yaml", strings.NewReader(bad))
	if err == nil {
		t.Fatal("bad manifest accepted")
	}
	for _, want := range []string{
		"bad.yaml:12:", "spec.containers[0].ports[0].hostPort: must equal containerPort (80)",
		"spec.containers[0].ports[1].containerPort: must be between 1 and 65535",
		"spec.containers[0].ports[1].protocol: SCTP is not supported",
		"spec.containers[1].ports[0].hostPort: host port 8080/TCP is already published by spec.containers[0].ports[0]",
		"spec.dnsPolicy: unsupported value \"Sometimes\"",
		"spec.hostAliases[0].ip: invalid IP address",
		"spec.hostAliases[0].hostnames[0]: invalid value",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
