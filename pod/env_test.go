package pod

import (
	"reflect"
	"strings"
	"testing"
)

func warningLines(p *Pod) []string {
	var out []string
	for _, w := range p.Warnings {
		out = append(out, w.String())
	}
	return out
}

func TestWarnings(t *testing.T) {
	in := head + `  nodeName: n1
  nodeSelector: {disk: ssd}
  affinity:
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 1
        podAffinityTerm: {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: a}}}
  tolerations: [{key: k, operator: Exists, effect: NoExecute, tolerationSeconds: 5}]
  schedulerName: s
  priority: 10
  priorityClassName: high
  preemptionPolicy: Never
  topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]
  schedulingGates: [{name: g}]
  readinessGates: [{conditionType: www.example.com/feature-1}]
  serviceAccountName: sa
  serviceAccount: sa
  automountServiceAccountToken: false
  enableServiceLinks: false
  dnsPolicy: ClusterFirst
  containers:
  - name: c
    image: busybox
    command: ["sh", "$(A"]
    args: ["$(B)", "x$("]
    env:
    - {name: A, value: "$(oops"}
    - {name: B, value: "$$(fine"}
`
	pods, err := Decode("t.yaml", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	const sched = "there is no scheduler: the pod runs on this host"
	const api = "there is no API server"
	want := []string{
		`t.yaml:6:13: spec.nodeName: ` + sched + ` whatever node it names; fieldRef spec.nodeName gives this host's name`,
		`t.yaml:7:17: spec.nodeSelector: ` + sched + ` whatever its labels`,
		`t.yaml:9:5: spec.affinity: ` + sched + `, beside whatever other pods`,
		`t.yaml:13:16: spec.tolerations: this host has no taints to tolerate: the pod runs here and is never evicted for a taint`,
		`t.yaml:14:18: spec.schedulerName: ` + sched + `, started by systemd`,
		`t.yaml:15:13: spec.priority: ` + sched + `: no pod is preempted for another`,
		`t.yaml:16:22: spec.priorityClassName: ` + sched + `: no pod is preempted for another`,
		`t.yaml:17:21: spec.preemptionPolicy: ` + sched + `: no pod is preempted for another`,
		`t.yaml:18:30: spec.topologySpreadConstraints: ` + sched + `, which is the whole topology`,
		`t.yaml:19:20: spec.schedulingGates: the gates are treated as removed: nothing on a single host could remove them, so the pod starts at once`,
		`t.yaml:20:19: spec.readinessGates: the gates are treated as satisfied: nothing on a single host sets pod conditions, so the pod is Ready when its containers are`,
		`t.yaml:21:23: spec.serviceAccountName: ` + api + `: no service account token is mounted; fieldRef spec.serviceAccountName gives the name`,
		`t.yaml:22:19: spec.serviceAccount: ` + api + `: no service account token is mounted; fieldRef spec.serviceAccountName gives the name`,
		`t.yaml:23:33: spec.automountServiceAccountToken: ` + api + `: no service account token is ever mounted`,
		`t.yaml:24:23: spec.enableServiceLinks: there are no Services: no service environment variables are set either way`,
		`t.yaml:25:14: spec.dnsPolicy: there is no cluster DNS: ClusterFirst uses the host's resolvers, as Default does`,
	}
	unterminated := `: "$(" without a closing ")" is passed through as written (as Kubernetes does); write "$$(" for a literal "$("`
	want = append(want,
		`t.yaml:29:21: spec.containers[0].command[1]`+unterminated,
		`t.yaml:30:20: spec.containers[0].args[1]`+unterminated,
		`t.yaml:32:24: spec.containers[0].env[0].value`+unterminated,
	)
	if got := warningLines(pods[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n got %q\nwant %q", got, want)
	}
	if got := pods[0].Spec.ServiceAccount(); got != "sa" {
		t.Errorf("service account %q", got)
	}
}

func TestNoWarnings(t *testing.T) {
	pods, err := Decode("t.yaml", strings.NewReader(head+one+"  dnsPolicy: Default\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w := warningLines(pods[0]); w != nil {
		t.Errorf("warnings %q", w)
	}
	if got := pods[0].Spec.ServiceAccount(); got != "default" {
		t.Errorf("service account %q", got)
	}
}

func TestSplitFieldPath(t *testing.T) {
	for in, want := range map[string][2]string{
		"metadata.name":                         {"metadata.name", ""},
		"metadata.labels['app']":                {"metadata.labels", "app"},
		"metadata.annotations['a.io/b']":        {"metadata.annotations", "a.io/b"},
		"metadata.labels['x":                    {"metadata.labels['x", ""},
		"metadata.labels['a']['b']":             {"metadata.labels", "a']['b"},
		"metadata.annotations['it''s']":         {"metadata.annotations", "it''s"},
		"status.podIP":                          {"status.podIP", ""},
		"metadata.labels['']":                   {"metadata.labels", ""},
		"metadata.annotations['example.com/x']": {"metadata.annotations", "example.com/x"},
	} {
		p, k := SplitFieldPath(in)
		if p != want[0] || k != want[1] {
			t.Errorf("SplitFieldPath(%q) = %q, %q; want %q, %q", in, p, k, want[0], want[1])
		}
	}
}

func TestDivisorUnits(t *testing.T) {
	for _, tc := range []struct {
		resource, divisor string
		want              int64
	}{
		{LimitsCPU, "", 1000},
		{LimitsCPU, "0", 1000},
		{LimitsCPU, "1", 1000},
		{RequestsCPU, "1m", 1},
		{RequestsCPU, "0.001", 1},
		{RequestsCPU, "1000m", 1000},
		{LimitsMemory, "", 1},
		{LimitsMemory, "1Mi", 1 << 20},
		{RequestsMemory, "1k", 1000},
		{LimitsEphemeralStorage, "1Gi", 1 << 30},
		{LimitsMemory, "1024", 1 << 10},
	} {
		r := ResourceFieldSelector{Resource: tc.resource, Divisor: tc.divisor}
		got, err := r.DivisorUnits()
		if err != nil || got != tc.want {
			t.Errorf("%s divisor %q = %d, %v; want %d", tc.resource, tc.divisor, got, err, tc.want)
		}
	}
	for _, bad := range []ResourceFieldSelector{
		{Resource: LimitsCPU, Divisor: "1Mi"},
		{Resource: LimitsCPU, Divisor: "2"},
		{Resource: LimitsMemory, Divisor: "1m"},
		{Resource: LimitsMemory, Divisor: "x"},
	} {
		if _, err := bad.DivisorUnits(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestRequested(t *testing.T) {
	r := ResourceRequirements{Limits: ResourceList{CPU: "2", Memory: "1Gi"}, Requests: ResourceList{CPU: "250m"}}
	got := r.Requested()
	if got != (ResourceList{CPU: "250m", Memory: "1Gi"}) {
		t.Errorf("Requested() = %+v", got)
	}
	if m, err := got.RequestedCPUMillis(); m != 250 || err != nil {
		t.Errorf("cpu %d %v", m, err)
	}
	if b, err := got.RequestedMemoryBytes(); b != 1<<30 || err != nil {
		t.Errorf("memory %d %v", b, err)
	}
	if m, err := (ResourceList{CPU: "0"}).RequestedCPUMillis(); m != 0 || err != nil {
		t.Errorf("zero request: %d %v", m, err)
	}
	if m, err := (ResourceList{CPU: "0.1m"}).RequestedCPUMillis(); m != 1 || err != nil {
		t.Errorf("a tenth of a millicore rounds up: %d %v", m, err)
	}
}
