package objects

import (
	"slices"
	"strings"
	"testing"

	"github.com/podunit/podunit/pod"
)

func decode(t *testing.T, text string) ([]*pod.Pod, []Object, error) {
	t.Helper()
	pods, objs, err := pod.DecodeAll([]string{"-"}, strings.NewReader(text), Kinds)
	if err != nil {
		return pods, nil, err
	}
	out := make([]Object, len(objs))
	for i, o := range objs {
		out[i] = o.(Object)
	}
	return pods, out, err
}

func TestDecodeObjects(t *testing.T) {
	pods, objs, err := decode(t, `apiVersion: v1
kind: Secret
metadata: {name: s}
data: {a: YWI=}
stringData: {b: c, a: over}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: other}
data: {k: v}
binaryData: {bin: AAH/}
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(pods) != 1 || len(objs) != 2 {
		t.Fatalf("%d pods, %d objects", len(pods), len(objs))
	}
	s := objs[0].(*Secret)
	if s.Type != SecretOpaque || s.Metadata.Namespace != "default" {
		t.Errorf("defaults: %+v", s)
	}
	if got := s.Values(); string(got["a"]) != "over" || string(got["b"]) != "c" {
		t.Errorf("secret values: %q", got)
	}
	n := normalize(s).(*Secret)
	if n.StringData != nil || n.Data["a"] != "b3Zlcg==" || n.Data["b"] != "Yw==" {
		t.Errorf("normalized: %+v", n)
	}
	cm := objs[1].(*ConfigMap)
	if got := cm.Values(); string(got["bin"]) != "\x00\x01\xff" || string(got["k"]) != "v" {
		t.Errorf("configmap values: %q", got)
	}
}

func TestDecodeObjectErrors(t *testing.T) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
	sec := "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
	tests := []struct {
		name, in string
		want     []string
	}{
		{"unknown field", cm + "date: {a: b}\n", []string{`<stdin>:4:1: date: unknown field "date"`}},
		{"unknown kind", "apiVersion: v1\nkind: Service\n", []string{`<stdin>:2:7: kind: unsupported value "Service" (want Pod, ConfigMap or Secret)`}},
		{"bad base64", cm + "binaryData:\n  k: not base64!\n", []string{`<stdin>:5:3: binaryData["k"]: illegal base64 data: illegal base64 data at input byte 3`}},
		{"bad secret base64", sec + "data: {k: YWJ}\n", []string{`<stdin>:4:8: data["k"]: illegal base64 data: illegal base64 data at input byte 0`}},
		{"bad key", cm + "data: {\"a b\": x, .., ..x: y, ok: z}\n", []string{
			`<stdin>:4:8: data["a b"]: invalid key "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
			`<stdin>:4:18: data[".."]: invalid key "..": must not be '..'`,
			`<stdin>:4:22: data["..x"]: invalid key "..x": must not start with '..'`,
		}},
		{"dot key", cm + "data: {.: x}\n", []string{`<stdin>:4:8: data["."]: invalid key ".": must not be '.'`}},
		{"long key", cm + "data: {" + strings.Repeat("k", 254) + ": x}\n", []string{`<stdin>:4:8: data["` + strings.Repeat("k", 254) + `"]: invalid key "` + strings.Repeat("k", 40) + `…": must be no more than 253 characters`}},
		{"key in data and binaryData", cm + "data: {k: v}\nbinaryData: {k: AA==}\n", []string{`<stdin>:5:14: binaryData["k"]: duplicate of key "k" present in data`}},
		{"number value", cm + "data: {k: 1}\n", []string{`<stdin>:4:11: data["k"]: expected a string, got number 1 (quote it)`}},
		{"bad name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n", []string{`<stdin>:3:18: metadata.name: invalid value "Bad_Name": must be a lowercase RFC 1123 subdomain: at most 253 characters a-z, 0-9, '-' and '.', starting and ending with a letter or digit`}},
		{"no name", "apiVersion: v1\nkind: Secret\nmetadata: {}\n", []string{`<stdin>:3:11: metadata.name: required value`}},
		{"wrong apiVersion", "apiVersion: apps/v1\nkind: ConfigMap\nmetadata: {name: cm}\n", []string{`<stdin>:1:13: apiVersion: unsupported value "apps/v1" (want v1)`}},
		{"immutable not a bool", cm + "immutable: yes\n", []string{`<stdin>:4:12: immutable: expected a boolean (true or false), got string "yes"`}},
		{"dockerconfigjson missing", sec + "type: kubernetes.io/dockerconfigjson\n", []string{`<stdin>:4:7: type: kubernetes.io/dockerconfigjson needs the key ".dockerconfigjson" in data or stringData`}},
		{"dockerconfigjson bad", sec + "type: kubernetes.io/dockerconfigjson\nstringData: {.dockerconfigjson: '{\"auths\": []}'}\n", []string{`<stdin>:5:14: stringData[".dockerconfigjson"]: invalid .dockerconfigjson: json: cannot unmarshal array into Go struct field .auths of type map[string]objects.dockerConfigEntry`}},
		{"dockercfg bad", sec + "type: kubernetes.io/dockercfg\nstringData: {.dockercfg: 'x'}\n", []string{`<stdin>:5:14: stringData[".dockercfg"]: invalid .dockercfg: invalid character 'x' looking for beginning of value`}},
		{"tls", sec + "type: kubernetes.io/tls\nstringData: {tls.crt: x}\n", []string{`<stdin>:4:7: type: kubernetes.io/tls needs the key "tls.key" in data or stringData`}},
		{"basic-auth", sec + "type: kubernetes.io/basic-auth\nstringData: {user: x}\n", []string{`<stdin>:4:7: type: kubernetes.io/basic-auth needs the key username or password in data or stringData`}},
		{"ssh-auth", sec + "type: kubernetes.io/ssh-auth\n", []string{`<stdin>:4:7: type: kubernetes.io/ssh-auth needs the key "ssh-privatekey" in data or stringData`}},
		{"service account token", sec + "type: kubernetes.io/service-account-token\n", []string{`<stdin>:4:7: type: kubernetes.io/service-account-token Secrets are not supported by podunit: it has no API server to issue tokens`}},
		{"too big", cm + "data: {k: " + strings.Repeat("x", 1<<20) + ", l: y}\n", []string{`<stdin>:4:7: data: too long: must have at most 1048576 bytes`}},
		{"duplicate", cm + "---\n" + cm, []string{`<stdin>:7:18: metadata.name: ConfigMap "cm" in namespace "default" is already defined at <stdin>:3:18`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pods, objs, err := decode(t, tt.in)
			if err == nil {
				t.Fatalf("no error (%d pods, %d objects)", len(pods), len(objs))
			}
			if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestValidSecretTypes(t *testing.T) {
	for typ, data := range map[string]string{
		SecretDockerConfigJSON: `{.dockerconfigjson: '{"auths": {"r.example": {"auth": "eDp5"}}}'}`,
		SecretDockercfg:        `{.dockercfg: '{"r.example": {"auth": "eDp5"}}'}`,
		SecretTLS:              `{tls.crt: a, tls.key: b}`,
		SecretBasicAuth:        `{password: p}`,
		SecretSSHAuth:          `{ssh-privatekey: k}`,
		"example.com/custom":   `{anything: x}`,
	} {
		_, _, err := decode(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: "+typ+"\nstringData: "+data+"\n")
		if err != nil {
			t.Errorf("%s: %v", typ, err)
		}
	}
}
