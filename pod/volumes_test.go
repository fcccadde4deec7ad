package pod

import (
	"slices"
	"strings"
	"testing"
)

func TestProjectedVolumeErrors(t *testing.T) {
	vol := func(s string) string { return head + one + "  volumes:\n  - name: v\n" + s }
	tests := []struct {
		name, in string
		want     []string
	}{
		{"configMap without name", vol("    configMap: {}\n"),
			[]string{`t.yaml:11:16: spec.volumes[0].configMap.name: required value`}},
		{"bad item path", vol("    configMap:\n      name: c\n      items: [{key: k, path: /abs}, {key: k, path: a/../b}, {key: k, path: ..x}, {key: 'a b', path: c}]\n"),
			[]string{
				`t.yaml:13:30: spec.volumes[0].configMap.items[0].path: must be a relative path`,
				`t.yaml:13:52: spec.volumes[0].configMap.items[1].path: must not contain ".."`,
				`t.yaml:13:76: spec.volumes[0].configMap.items[2].path: must not start with ".."`,
				`t.yaml:13:88: spec.volumes[0].configMap.items[3].key: invalid value "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
			}},
		{"bad modes", vol("    secret:\n      secretName: s\n      defaultMode: 01000\n      items: [{key: k, path: p, mode: -1}]\n"),
			[]string{
				`t.yaml:13:20: spec.volumes[0].secret.defaultMode: invalid value 512: must be a number between 0 and 0777 (octal), both inclusive`,
				`t.yaml:14:39: spec.volumes[0].secret.items[0].mode: invalid value -1: must be a number between 0 and 0777 (octal), both inclusive`,
			}},
		{"duplicate paths across sources", vol("    projected:\n      sources:\n      - configMap: {name: a, items: [{key: k, path: same}]}\n      - secret: {name: b, items: [{key: k, path: same}]}\n"),
			[]string{`t.yaml:14:50: spec.volumes[0].projected.sources[1].secret.items[0].path: conflicting duplicate paths: "same" is also written by spec.volumes[0].projected.sources[0].configMap.items[0].path`}},
		{"same path spelled twice", vol("    configMap:\n      name: c\n      items: [{key: a, path: x}, {key: b, path: ./x}, {key: c, path: .}]\n"),
			[]string{
				`t.yaml:13:49: spec.volumes[0].configMap.items[1].path: conflicting duplicate paths: "./x" is also written by spec.volumes[0].configMap.items[0].path`,
				`t.yaml:13:70: spec.volumes[0].configMap.items[2].path: must name a file inside the volume`,
			}},
		{"two sources in one projection", vol("    projected:\n      sources:\n      - {configMap: {name: a}, secret: {name: b}}\n"),
			[]string{`t.yaml:13:9: spec.volumes[0].projected.sources[0]: may not specify more than one source`}},
		{"serviceAccountToken", vol("    projected:\n      sources:\n      - serviceAccountToken: {path: token}\n"),
			[]string{
				`t.yaml:13:9: spec.volumes[0].projected.sources[0].serviceAccountToken: field is not supported by podunit: there is no API server to issue service account tokens`,
				`t.yaml:13:9: spec.volumes[0].projected.sources[0]: must specify exactly one source: configMap, secret or downwardAPI`,
			}},
		{"downward field", vol("    downwardAPI:\n      items:\n      - {path: a, fieldRef: {fieldPath: spec.nodeName}}\n      - {path: b}\n      - {path: c, resourceFieldRef: {resource: limits.cpu}}\n      - {path: d, resourceFieldRef: {containerName: c, resource: limits.cpu, divisor: 1Mi}}\n"),
			[]string{
				`t.yaml:13:41: spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath: unsupported value "spec.nodeName" (want one of metadata.name, metadata.namespace, metadata.labels, metadata.annotations, metadata.uid, or metadata.labels['key'] or metadata.annotations['key'])`,
				`t.yaml:14:9: spec.volumes[0].downwardAPI.items[1]: must specify one of fieldRef or resourceFieldRef`,
				`t.yaml:15:37: spec.volumes[0].downwardAPI.items[2].resourceFieldRef.containerName: required value`,
				`t.yaml:16:87: spec.volumes[0].downwardAPI.items[3].resourceFieldRef.divisor: divisor "1Mi" is not supported with the cpu resource (want one of 1m, 1)`,
			}},
		{"downward unknown container", vol("    downwardAPI:\n      items: [{path: a, resourceFieldRef: {containerName: x, resource: limits.memory}}]\n"),
			[]string{`t.yaml:12:59: spec.volumes[0].downwardAPI.items[0].resourceFieldRef.containerName: container "x" not found in the pod`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode("t.yaml", strings.NewReader(tt.in))
			if got := errorLines(err); !slices.Equal(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestProjectedVolumesDecode(t *testing.T) {
	in := head + one + `  volumes:
  - name: a
    configMap: {name: c, defaultMode: 0400, optional: true, items: [{key: k, path: dir/k, mode: 0600}]}
  - name: b
    projected:
      defaultMode: 0440
      sources:
      - secret: {name: s}
      - downwardAPI: {items: [{path: l, fieldRef: {fieldPath: "metadata.labels['app']"}}, {path: m, resourceFieldRef: {containerName: c, resource: requests.memory, divisor: 1Ki}}]}
`
	pods, err := Decode("t.yaml", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	v := pods[0].Spec.Volumes
	if *v[0].ConfigMap.DefaultMode != 0o400 || *v[0].ConfigMap.Items[0].Mode != 0o600 || !v[0].IsProjected() || v[0].HoldsSecrets() {
		t.Errorf("configMap volume: %+v", v[0].ConfigMap)
	}
	if !v[1].HoldsSecrets() || v[1].Projected.Sources[1].DownwardAPI.Items[1].ResourceFieldRef.Divisor != "1Ki" {
		t.Errorf("projected volume: %+v", v[1].Projected)
	}
	// The canonical form decodes to the same pod.
	c, err := pods[0].Canonical()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Decode("c.json", strings.NewReader(string(c)))
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := again[0].Canonical()
	if string(c) != string(c2) {
		t.Errorf("canonical round trip:\n%s\n%s", c, c2)
	}
}
