package pod

import (
	"reflect"
	"strings"
	"testing"
)

// probed is a container at spec level (lines 6-10) with a named port;
// probe fields follow from line 11 at container level.
const probed = `  containers:
  - name: c
    image: busybox
    ports: [{name: web, containerPort: 8080}]
`

func TestProbeErrors(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     []string
	}{
		{"unknown named port", "    livenessProbe:\n      httpGet: {port: nope}\n",
			[]string{`t.yaml:11:23: spec.containers[0].livenessProbe.httpGet.port: invalid value "nope": names no port of this container (ports[].name)`}},
		{"port out of range", "    readinessProbe:\n      tcpSocket: {port: 70000}\n",
			[]string{`t.yaml:11:25: spec.containers[0].readinessProbe.tcpSocket.port: must be between 1 and 65535, got 70000`}},
		{"negative threshold", "    readinessProbe:\n      tcpSocket: {port: web}\n      failureThreshold: -1\n",
			[]string{`t.yaml:12:25: spec.containers[0].readinessProbe.failureThreshold: must be greater than or equal to 0`}},
		{"liveness successThreshold", "    livenessProbe:\n      exec: {command: ['true']}\n      successThreshold: 2\n",
			[]string{`t.yaml:12:25: spec.containers[0].livenessProbe.successThreshold: must be 1`}},
		{"two handlers", "    startupProbe:\n      exec: {command: ['true']}\n      grpc: {port: 9000}\n",
			[]string{`t.yaml:11:7: spec.containers[0].startupProbe: may not specify more than 1 handler type`}},
		{"no handler", "    startupProbe: {periodSeconds: 1}\n",
			[]string{`t.yaml:10:19: spec.containers[0].startupProbe: must specify a handler type: exec, httpGet, tcpSocket or grpc`}},
		{"readiness grace", "    readinessProbe:\n      grpc: {port: 9000}\n      terminationGracePeriodSeconds: 5\n",
			[]string{`t.yaml:12:38: spec.containers[0].readinessProbe.terminationGracePeriodSeconds: must not be set for readinessProbes`}},
		{"bad scheme and header", "    livenessProbe:\n      httpGet: {port: 80, scheme: FTP, httpHeaders: [{name: 'a b', value: x}]}\n",
			[]string{
				`t.yaml:11:35: spec.containers[0].livenessProbe.httpGet.scheme: unsupported value "FTP" (want HTTP or HTTPS)`,
				`t.yaml:11:61: spec.containers[0].livenessProbe.httpGet.httpHeaders[0].name: invalid value "a b": must be an HTTP header name`,
			}},
		{"hook sleep", "    lifecycle:\n      preStop: {sleep: {seconds: 0}}\n      stopSignal: SIGFOO\n",
			[]string{
				`t.yaml:11:34: spec.containers[0].lifecycle.preStop.sleep.seconds: must be greater than 0`,
				`t.yaml:12:19: spec.containers[0].lifecycle.stopSignal: unsupported value "SIGFOO" (want a signal name such as SIGTERM, SIGINT or SIGQUIT)`,
				`t.yaml:12:19: spec.containers[0].lifecycle.stopSignal: may only be set when spec.os.name is set (to linux), as in Kubernetes`,
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode("t.yaml", strings.NewReader(head+probed+tt.in))
			if got := errorLines(err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestProbesRefusedOnInitContainers(t *testing.T) {
	in := head + probed + "  initContainers:\n  - name: i\n    image: busybox\n    livenessProbe: {exec: {command: ['true']}}\n"
	_, err := Decode("t.yaml", strings.NewReader(in))
	want := []string{`t.yaml:13:20: spec.initContainers[0].livenessProbe: may not be set for init containers without restartPolicy: Always`}
	if got := errorLines(err); !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n got %q\nwant %q", got, want)
	}
}

func TestProbePorts(t *testing.T) {
	in := head + probed + "    livenessProbe: {httpGet: {port: web}}\n    readinessProbe: {tcpSocket: {port: 81}}\n"
	pods, err := Decode("t.yaml", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	c := &pods[0].Spec.Containers[0]
	if n, ok := c.PortNumber(c.LivenessProbe.HTTPGet.Port); !ok || n != 8080 {
		t.Errorf("named port: %d %v", n, ok)
	}
	if c.ReadinessProbe.TCPSocket.Port != "81" {
		t.Errorf("numeric port decoded as %q", c.ReadinessProbe.TCPSocket.Port)
	}
}

func TestSidecarValidation(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"  initContainers:\n  - {name: i, image: busybox, restartPolicy: Never}\n",
			`t.yaml:11:46: spec.initContainers[0].restartPolicy: unsupported value "Never" (want Always, the only value an init container takes)`},
		{"  initContainers:\n  - {name: i, image: busybox, restartPolicy: Always, readinessProbe: {tcpSocket: {port: 80}}}\n", ""},
	} {
		_, err := Decode("t.yaml", strings.NewReader(head+probed+tt.in))
		if got := strings.Join(errorLines(err), "\n"); got != tt.want {
			t.Errorf("got %q\nwant %q", got, tt.want)
		}
	}
	_, err := Decode("t.yaml", strings.NewReader(head+probed+"    restartPolicy: Always\n"))
	if want := `t.yaml:10:20: spec.containers[0].restartPolicy: may only be set on init containers`; strings.Join(errorLines(err), "\n") != want {
		t.Errorf("got %v", err)
	}
}

func TestPodOS(t *testing.T) {
	ok := head + "  os: {name: linux}\n" + probed + "    lifecycle: {stopSignal: SIGQUIT}\n"
	if _, err := Decode("t.yaml", strings.NewReader(ok)); err != nil {
		t.Errorf("linux with a stopSignal: %v", err)
	}
	_, err := Decode("t.yaml", strings.NewReader(head+"  os: {name: windows}\n"+probed))
	if want := `t.yaml:6:14: spec.os.name: unsupported value "windows": podunit runs linux pods`; strings.Join(errorLines(err), "\n") != want {
		t.Errorf("got %v", err)
	}
}
