package plan

import (
	"reflect"
	"strings"
	"testing"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/images"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/units"
)

const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations: {podunit.io/restart-backoff: 250ms}
spec:
  volumes:
  - {name: data, emptyDir: {}}
  - {name: mem, emptyDir: {medium: Memory, sizeLimit: 1Mi}}
  - {name: host, hostPath: {path: /srv}}
  containers:
  - name: a
    image: img
    args: ["x"]
    env: [{name: MODE, value: pod}, {name: NEW, value: "1"}]
    volumeMounts:
    - {name: data, mountPath: /data, subPath: sub}
    - {name: mem, mountPath: /mem}
    - {name: host, mountPath: /host, readOnly: true}
`

func TestCompile(t *testing.T) {
	pods, err := pod.Decode("p.yaml", strings.NewReader(manifest))
	if err != nil {
		t.Fatal(err)
	}
	img := &Image{
		Layers: []string{"/var/lib/podunit/images/layers/aa/diff", "/var/lib/podunit/images/layers/bb/diff"},
		Config: images.Config{Entrypoint: []string{"/entry"}, Cmd: []string{"cmd"}, Env: []string{"PATH=/bin", "MODE=image"}, WorkingDir: "/w", User: "app"},
	}
	pl, err := Compile(pods[0], units.DefaultHost, units.Isolation{}, map[string]*Image{"img": img}, Runtime{})
	if err != nil {
		t.Fatal(err)
	}
	c := pl.Containers[0]
	if !reflect.DeepEqual(c.Args, []string{"/entry", "x"}) {
		t.Errorf("args %v", c.Args)
	}
	if !reflect.DeepEqual(c.Env, []string{"PATH=/bin", "MODE=pod", "NEW=1"}) {
		t.Errorf("env %v", c.Env)
	}
	if c.WorkingDir != "/w" || c.User != "app" {
		t.Errorf("defaults from the image: %+v", c)
	}
	if !reflect.DeepEqual(c.Layers, []string{"/.podunit/images/layers/aa/diff", "/.podunit/images/layers/bb/diff"}) {
		t.Errorf("layers %v", c.Layers)
	}
	byTarget := map[string]contract.Mount{}
	for _, m := range c.Mounts {
		byTarget[m.Target] = m
	}
	if d := byTarget["/data"]; d.Source != "/.podunit/volumes/data" || d.SubPath != "sub" || byTarget["/host"].Source != "/.podunit/hostpath/host" || !byTarget["/host"].ReadOnly {
		t.Errorf("mounts %+v", c.Mounts)
	}
	if len(pl.MemoryVolumes) != 1 || pl.MemoryVolumes[0].Path != "/.podunit/volumes/mem" || pl.MemoryVolumes[0].SizeBytes != 1<<20 {
		t.Errorf("memory volumes %+v", pl.MemoryVolumes)
	}
	if pl.BackoffBaseMillis != 250 || pl.GracePeriodSeconds != 30 || pl.Hostname != "p" {
		t.Errorf("pod settings %+v", pl)
	}
}

func TestCompileErrors(t *testing.T) {
	pods, err := pod.Decode("p.yaml", strings.NewReader(manifest))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(pods[0], units.DefaultHost, units.Isolation{}, map[string]*Image{"img": {Layers: []string{"/elsewhere/l"}}}, Runtime{}); err == nil || !strings.Contains(err.Error(), "outside the image store") {
		t.Errorf("layer outside the store: %v", err)
	}
	p := pods[0]
	p.Spec.Containers[0].Args = nil
	if _, err := Compile(p, units.DefaultHost, units.Isolation{}, map[string]*Image{"img": {}}, Runtime{}); err == nil || !strings.Contains(err.Error(), "no command") {
		t.Errorf("no command: %v", err)
	}
	p.Metadata.Annotations[AnnotationRestartBackoff] = "soon"
	if _, err := Compile(p, units.DefaultHost, units.Isolation{}, map[string]*Image{"img": {}}, Runtime{}); err == nil || !strings.Contains(err.Error(), AnnotationRestartBackoff) {
		t.Errorf("bad backoff: %v", err)
	}
}

// TestResources: limits as they are, requests defaulted to limits, the
// CPU request as the kubelet's weight.
func TestResources(t *testing.T) {
	c := &pod.Container{Name: "a", Resources: pod.ResourceRequirements{
		Limits:   pod.ResourceList{CPU: "500m", Memory: "64Mi"},
		Requests: pod.ResourceList{CPU: "100m"},
	}}
	r, err := resources(c)
	if err != nil {
		t.Fatal(err)
	}
	want := contract.Resources{MemoryMax: 64 << 20, MemoryLow: 64 << 20, CPUMaxMillis: 500, CPUWeight: units.CPUWeight(100)}
	if *r != want {
		t.Errorf("resources = %+v, want %+v", *r, want)
	}
	r, _ = resources(&pod.Container{Name: "b"})
	if (*r != contract.Resources{CPUWeight: 1}) {
		t.Errorf("no resources: %+v", *r)
	}
}
