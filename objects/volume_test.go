package objects

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/podunit/podunit/plan"
)

// store is a Getter over the objects of a manifest.
func store(objs []Object) Getter {
	return func(kind, name string) (Object, error) {
		for _, o := range objs {
			if o.Kind() == kind && o.Meta().Name == name {
				return o, nil
			}
		}
		return nil, fmt.Errorf("%s %q %w", strings.ToLower(kind), name, ErrNotFound)
	}
}

const volumeObjects = `apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {a: "1", b: "2"}
---
apiVersion: v1
kind: Secret
metadata: {name: s}
stringData: {a: secret}
`

func payloadOf(t *testing.T, volumes string) (map[string]string, map[string]fs.FileMode, error) {
	t.Helper()
	pods, objs, err := decode(t, volumeObjects+`---
apiVersion: v1
kind: Pod
metadata: {name: p, labels: {b: "2", a: x}, annotations: {q: "say \"hi\""}}
spec:
  containers: [{name: c, image: busybox, resources: {limits: {cpu: 250m, memory: 100Mi}}}]
  volumes:
`+volumes)
	if err != nil {
		t.Fatal(err)
	}
	rt := plan.Runtime{UID: "u-1", Allocatable: plan.Allocatable{CPUMillis: 4000, MemoryBytes: 8 << 30}}
	files, err := Payload(pods[0], 0, rt, store(objs))
	if err != nil {
		return nil, nil, err
	}
	data, modes := map[string]string{}, map[string]fs.FileMode{}
	for p, f := range files {
		data[p], modes[p] = string(f.Data), f.Mode
	}
	return data, modes, nil
}

func TestPayload(t *testing.T) {
	data, modes, err := payloadOf(t, "  - {name: v, configMap: {name: cm, defaultMode: 0400, items: [{key: b, path: x/b, mode: 0600}]}}\n")
	if err != nil || len(data) != 1 || data["x/b"] != "2" || modes["x/b"] != 0o600 {
		t.Errorf("items: %q %v %v", data, modes, err)
	}
	data, _, err = payloadOf(t, "  - {name: v, configMap: {name: cm, items: [{key: a, path: ./d//a}]}}\n")
	if err != nil || data["d/a"] != "1" {
		t.Errorf("a path is cleaned: %q %v", data, err)
	}
	data, modes, err = payloadOf(t, "  - {name: v, configMap: {name: cm, defaultMode: 0440}}\n")
	if err != nil || data["a"] != "1" || data["b"] != "2" || modes["a"] != 0o440 {
		t.Errorf("all keys: %q %v %v", data, modes, err)
	}
	data, _, err = payloadOf(t, "  - {name: v, configMap: {name: gone, optional: true}}\n")
	if err != nil || len(data) != 0 {
		t.Errorf("optional missing object: %q %v", data, err)
	}
	data, _, err = payloadOf(t, "  - {name: v, secret: {secretName: s, optional: true, items: [{key: a, path: a}, {key: nokey, path: n}]}}\n")
	if err != nil || len(data) != 1 || data["a"] != "secret" {
		t.Errorf("optional missing key: %q %v", data, err)
	}
	data, modes, err = payloadOf(t, `  - name: v
    downwardAPI:
      defaultMode: 0444
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: a, fieldRef: {fieldPath: "metadata.labels['a']"}}
      - {path: ann, fieldRef: {fieldPath: metadata.annotations}}
      - {path: uid, fieldRef: {fieldPath: metadata.uid}}
      - {path: cpu, resourceFieldRef: {containerName: c, resource: limits.cpu, divisor: 1m}}
      - {path: cores, resourceFieldRef: {containerName: c, resource: limits.cpu}}
      - {path: mem, resourceFieldRef: {containerName: c, resource: requests.memory, divisor: 1Mi}}
      - {path: storage, resourceFieldRef: {containerName: c, resource: requests.ephemeral-storage}}
`)
	want := map[string]string{"labels": "a=\"x\"\nb=\"2\"", "a": "x", "ann": `q="say \"hi\""`, "uid": "u-1", "cpu": "250", "cores": "1", "mem": "100", "storage": "0"}
	if err != nil || fmt.Sprint(data) != fmt.Sprint(want) || modes["uid"] != 0o444 {
		t.Errorf("downwardAPI:\n got %q %v\nwant %q", data, err, want)
	}
}

func TestPayloadErrors(t *testing.T) {
	for name, tt := range map[string]struct{ vol, want string }{
		"missing object": {"  - {name: v, configMap: {name: gone}}\n",
			`<stdin>:17:33: spec.volumes[0].configMap.name: configmap "gone" not found`},
		"missing key": {"  - {name: v, secret: {secretName: s, items: [{key: nokey, path: n}]}}\n",
			`<stdin>:17:53: spec.volumes[0].secret.items[0].key: secret "s" has no key "nokey"`},
		"projected collision": {"  - name: v\n    projected:\n      sources:\n      - configMap: {name: cm}\n      - secret: {name: s}\n",
			`<stdin>:21:17: spec.volumes[0].projected.sources[1].secret: conflicting duplicate paths: "a" is also written by spec.volumes[0].projected.sources[0].configMap`},
	} {
		_, _, err := payloadOf(t, tt.vol)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s:\n got %v\nwant %s", name, err, tt.want)
		}
	}
}

func TestReferences(t *testing.T) {
	pods, _, err := decode(t, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: busybox}]\n  volumes:\n  - {name: a, configMap: {name: cm}}\n  - {name: b, projected: {sources: [{secret: {name: s, optional: true}}]}}\n")
	if err != nil {
		t.Fatal(err)
	}
	if !Uses(pods[0], KindConfigMap, "cm") || !Uses(pods[0], KindSecret, "s") || Uses(pods[0], KindSecret, "cm") {
		t.Errorf("references: %+v", References(pods[0]))
	}
	if !errors.Is(fmt.Errorf("x: %w", ErrNotFound), ErrNotFound) {
		t.Fatal("wrapping")
	}
}
