package pod

import (
	"strings"
	"testing"
)

func TestDefaults(t *testing.T) {
	p := &Pod{Spec: PodSpec{
		InitContainers: []Container{{Name: "i", Image: "busybox@sha256:abcd"}},
		Containers: []Container{
			{Name: "a", Image: "busybox"},
			{Name: "b", Image: "busybox:latest"},
			{Name: "c", Image: "busybox:1.36"},
			{Name: "d", Image: "localhost:5000/busybox"},
			{Name: "e", Image: "localhost:5000/busybox:1"},
			{Name: "f", Image: "busybox", ImagePullPolicy: PullNever},
			{Name: "g"},
		},
	}}
	p.Default()
	if p.Metadata.Namespace != "default" || p.Spec.RestartPolicy != RestartAlways ||
		p.Spec.TerminationGracePeriodSeconds == nil || *p.Spec.TerminationGracePeriodSeconds != 30 {
		t.Errorf("pod defaults: %+v", p)
	}
	want := map[string]string{
		"i": PullIfNotPresent, "a": PullAlways, "b": PullAlways, "c": PullIfNotPresent,
		"d": PullAlways, "e": PullIfNotPresent, "f": PullNever, "g": "",
	}
	for _, c := range append(p.Spec.InitContainers, p.Spec.Containers...) {
		if c.ImagePullPolicy != want[c.Name] {
			t.Errorf("container %s (%s): pull policy %q, want %q", c.Name, c.Image, c.ImagePullPolicy, want[c.Name])
		}
	}

	zero := int64(0)
	q := &Pod{Metadata: ObjectMeta{Namespace: "x"}, Spec: PodSpec{RestartPolicy: RestartNever, TerminationGracePeriodSeconds: &zero}}
	q.Default()
	if q.Metadata.Namespace != "x" || q.Spec.RestartPolicy != RestartNever || *q.Spec.TerminationGracePeriodSeconds != 0 {
		t.Errorf("defaults overrode explicit values: %+v", q)
	}
}

func mustDecodeOne(t *testing.T, in string) *Pod {
	t.Helper()
	pods, err := Decode("t.yaml", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(pods) != 1 {
		t.Fatalf("got %d pods", len(pods))
	}
	return pods[0]
}

func mustHash(t *testing.T, p *Pod) string {
	t.Helper()
	h, err := p.Hash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashStability(t *testing.T) {
	a := `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web, tier: front}
spec:
  containers:
  - name: httpd
    image: busybox:1.36
    command: [httpd, -f]
    resources:
      limits: {cpu: 500m}
`
	// Same pod: other key order, comments, flow style, quoting, explicit
	// defaults and empty values.
	b := `# the web pod
kind: "Pod"
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 30
  volumes: []
  containers:
    - resources: {limits: {cpu: "500m"}, }
      imagePullPolicy: IfNotPresent   # the default for a fixed tag
      command:
        - httpd
        - "-f"
      image: 'busybox:1.36'
      name: httpd
      env: []
metadata: {labels: {tier: front, app: web}, name: web, namespace: default, annotations: {}}
apiVersion: v1
`
	ha, hb := mustHash(t, mustDecodeOne(t, a)), mustHash(t, mustDecodeOne(t, b))
	if ha != hb {
		ca, _ := mustDecodeOne(t, a).Canonical()
		cb, _ := mustDecodeOne(t, b).Canonical()
		t.Errorf("equivalent manifests hash differently:\n%s\n%s", ca, cb)
	}

	const want = `{"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"app":"web","tier":"front"},"name":"web","namespace":"default"},"spec":{"containers":[{"command":["httpd","-f"],"image":"busybox:1.36","imagePullPolicy":"IfNotPresent","name":"httpd","resources":{"limits":{"cpu":"500m"}}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30}}`
	if c, _ := mustDecodeOne(t, a).Canonical(); string(c) != want {
		t.Errorf("canonical form changed (this changes every applied pod's hash):\n got %s\nwant %s", c, want)
	}

	for _, change := range []string{
		strings.Replace(a, "500m", "0.5", 1), // same value, different spelling: a different manifest
		strings.Replace(a, "[httpd, -f]", "[-f, httpd]", 1),
		strings.Replace(a, "name: web", "name: web2", 1),
		strings.Replace(a, "spec:", "spec:\n  restartPolicy: Never", 1),
	} {
		if mustHash(t, mustDecodeOne(t, change)) == ha {
			t.Errorf("different manifest, same hash:\n%s", change)
		}
	}
}

func TestCanonicalDoesNotModify(t *testing.T) {
	p := &Pod{APIVersion: "v1", Kind: "Pod", Metadata: ObjectMeta{Name: "p"},
		Spec: PodSpec{Containers: []Container{{Name: "c", Image: "busybox"}}}}
	undefaulted, err := p.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if p.Metadata.Namespace != "" || p.Spec.Containers[0].ImagePullPolicy != "" {
		t.Errorf("Canonical defaulted its receiver: %+v", p)
	}
	p.Default()
	defaulted, _ := p.Canonical()
	if string(undefaulted) != string(defaulted) {
		t.Errorf("canonical form depends on Default:\n%s\n%s", undefaulted, defaulted)
	}
}

func TestCanonicalRoundTripsOddStrings(t *testing.T) {
	// Characters JSON writes raw but YAML rejects or reads as a line
	// break; and ones JSON must escape.
	in := head + one + `    env:
    - {name: A, value: "\x7f\x85\u2028\ufeff\t\"<&>\U0001F600 é"}
`
	p := mustDecodeOne(t, in)
	c, err := p.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	again := mustDecodeOne(t, string(c))
	if got, want := again.Spec.Containers[0].Env[0].Value, p.Spec.Containers[0].Env[0].Value; got != want {
		t.Errorf("round trip: got %q, want %q", got, want)
	}
	if mustHash(t, again) != mustHash(t, p) {
		t.Error("hash changed on round trip")
	}
}

func TestValidateWithoutPositions(t *testing.T) {
	p := &Pod{APIVersion: "v1", Kind: "Pod", Metadata: ObjectMeta{Name: "p"},
		Spec:   PodSpec{Containers: []Container{{Name: "c"}}},
		Source: Source{File: "p.yaml", Line: 3}}
	err := p.Validate()
	if got, want := errorLines(err), []string{"p.yaml:3: spec.containers[0].image: required value"}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("got %q, want %q", got, want)
	}
	p.Spec.Containers[0].Image = "busybox"
	if err := p.Validate(); err != nil {
		t.Errorf("valid, undefaulted pod: %v", err)
	}
}
