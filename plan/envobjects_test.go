package plan

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/units"
)

// objectsRuntime serves one ConfigMap "cm" and one Secret "s".
func objectsRuntime() Runtime {
	objs := map[string]map[string][]byte{
		"ConfigMap/cm": {"b": []byte("from-cm-b"), "a": []byte("from-cm-a")},
		"Secret/s":     {"a": []byte("from-secret"), "token": []byte("t0k")},
	}
	return Runtime{Object: func(kind, name string) (map[string][]byte, bool, error) {
		v, ok := objs[kind+"/"+name]
		return v, ok, nil
	}}
}

func compileEnv(t *testing.T, container string) ([]string, []string, error) {
	t.Helper()
	pods, err := pod.Decode("p.yaml", strings.NewReader("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: img\n"+container))
	if err != nil {
		t.Fatal(err)
	}
	pl, err := Compile(pods[0], units.DefaultHost, units.Isolation{}, map[string]*Image{"img": {}}, objectsRuntime())
	if err != nil {
		return nil, nil, err
	}
	return pl.Containers[0].Env, pl.Containers[0].Args, nil
}

func TestEnvFromObjects(t *testing.T) {
	env, args, err := compileEnv(t, `    args: ["$(CM_a)", "$(TOKEN)"]
    envFrom:
    - {prefix: CM_, configMapRef: {name: cm}}
    - {secretRef: {name: s}}
    - {configMapRef: {name: none, optional: true}}
    env:
    - {name: TOKEN, valueFrom: {secretKeyRef: {name: s, key: token}}}
    - {name: REF, value: "$(CM_b)"}
    - {name: a, value: "env wins"}
    - {name: GONE, valueFrom: {configMapKeyRef: {name: cm, key: nokey, optional: true}}}
    - {name: GONE2, valueFrom: {secretKeyRef: {name: nosecret, key: k, optional: true}}}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CM_a=from-cm-a", "CM_b=from-cm-b", "a=env wins", "token=t0k", "TOKEN=t0k", "REF=from-cm-b"}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("env\n got %q\nwant %q", env, want)
	}
	if !reflect.DeepEqual(args, []string{"from-cm-a", "t0k"}) {
		t.Errorf("args %q", args)
	}
}

func TestEnvFromMissingObjects(t *testing.T) {
	for name, container := range map[string]string{
		`configmap "none" not found`:            "    env: [{name: X, valueFrom: {configMapKeyRef: {name: none, key: k}}}]\n",
		`couldn't find key nokey in Secret "s"`: "    env: [{name: X, valueFrom: {secretKeyRef: {name: s, key: nokey}}}]\n",
		`envFrom[0]: secret "none" not found`:   "    envFrom: [{secretRef: {name: none}}]\n",
	} {
		_, _, err := compileEnv(t, container)
		if !errors.Is(err, ErrContainerConfig) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
