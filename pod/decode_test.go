package pod

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// head is a valid pod up to spec: lines 1-5, so spec fields start at line 6.
const head = `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
`

// one is a valid single container at spec level, lines 6-8.
const one = `  containers:
  - name: c
    image: busybox
`

// errorLines splits a joined error into its messages.
func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"not a mapping", "- a\n- b\n",
			[]string{`t.yaml:1:1: expected a Pod manifest (a mapping), got a list`}},
		{"unclosed flow list", "apiVersion: v1\nkind: [Pod\n",
			[]string{`t.yaml:2: invalid YAML: did not find expected ',' or ']'`}},
		{"bad indentation", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n labels: {}\n",
			[]string{`t.yaml:5: invalid YAML: did not find expected key`}},
		{"unclosed flow list at end of input", "[a\n",
			[]string{`t.yaml:2: invalid YAML: did not find expected ',' or ']'`}},
		{"unknown anchor", "apiVersion: *v\n",
			[]string{`t.yaml: invalid YAML: unknown anchor 'v' referenced`}},
		{"syntax error after a valid document", head + one + "---\nkind: Pod\n  x: y\n",
			[]string{`t.yaml:11: invalid YAML: mapping values are not allowed in this context`}},
		{"tab indentation", "apiVersion: v1\nmetadata:\n\tname: x\n",
			[]string{`t.yaml:3: invalid YAML: found character that cannot start any token`}},
		{"wrong apiVersion", "apiVersion: apps/v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" + one,
			[]string{`t.yaml:1:13: apiVersion: unsupported value "apps/v1" (want v1)`}},
		{"missing apiVersion and kind", "metadata: {name: p}\nspec:\n" + one,
			[]string{`t.yaml:1: apiVersion: required value (want v1)`, `t.yaml:1: kind: required value (want Pod)`}},
		{"other kind reports only kind", "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 3\n",
			[]string{`t.yaml:2:7: kind: unsupported value "Deployment" (want Pod)`}},
		{"unknown field", head + one + "    foo: bar\n",
			[]string{`t.yaml:9:5: spec.containers[0].foo: unknown field "foo"`}},
		{"unknown top-level field", "foo: 1\n" + head + one,
			[]string{`t.yaml:1:1: foo: unknown field "foo"`}},
		{"unsupported spec field", head + "  ephemeralContainers: []\n" + one,
			[]string{`t.yaml:6:3: spec.ephemeralContainers: field is not supported by podunit`}},
		{"unsupported container fields", head + one + "    tty: true\n    stdin: true\n",
			[]string{
				`t.yaml:9:5: spec.containers[0].tty: field is not supported by podunit`,
				`t.yaml:10:5: spec.containers[0].stdin: field is not supported by podunit`,
			}},
		{"unsupported env valueFrom source", head + one + "    env:\n    - name: A\n      valueFrom: {fileKeyRef: {path: p, key: k}}\n",
			[]string{
				`t.yaml:11:18: spec.containers[0].env[0].valueFrom: must specify one of: fieldRef, resourceFieldRef, configMapKeyRef or secretKeyRef`,
				`t.yaml:11:19: spec.containers[0].env[0].valueFrom.fileKeyRef: field is not supported by podunit`,
			}},
		{"env from objects", head + one + "    env:\n    - {name: A, valueFrom: {configMapKeyRef: {key: 'a b'}}}\n    - {name: B, valueFrom: {secretKeyRef: {name: s}, configMapKeyRef: {name: c, key: k}}}\n" +
			"    envFrom:\n    - {prefix: 'X=', configMapRef: {name: Bad}}\n    - {}\n",
			[]string{
				`t.yaml:10:46: spec.containers[0].env[0].valueFrom.configMapKeyRef.name: required value`,
				`t.yaml:10:52: spec.containers[0].env[0].valueFrom.configMapKeyRef.key: invalid value "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
				`t.yaml:11:28: spec.containers[0].env[1].valueFrom: may not have more than one field specified at a time`,
				`t.yaml:11:43: spec.containers[0].env[1].valueFrom.secretKeyRef.key: required value`,
				`t.yaml:13:16: spec.containers[0].envFrom[0].prefix: invalid environment variable name prefix "X=": must be printable ASCII characters other than '='`,
				`t.yaml:13:43: spec.containers[0].envFrom[0].configMapRef.name: invalid value "Bad": must be a lowercase RFC 1123 subdomain`,
				`t.yaml:14:7: spec.containers[0].envFrom[1]: must specify one of: configMapRef or secretRef`,
			}},
		{"empty valueFrom", head + one + "    env:\n    - name: A\n      valueFrom: {}\n",
			[]string{`t.yaml:11:18: spec.containers[0].env[0].valueFrom: must specify one of: fieldRef, resourceFieldRef, configMapKeyRef or secretKeyRef`}},
		{"value and valueFrom", head + one + "    env:\n    - name: A\n      value: x\n      valueFrom: {fieldRef: {fieldPath: metadata.name}}\n",
			[]string{`t.yaml:12:18: spec.containers[0].env[0].valueFrom: may not be specified when value is not empty`}},
		{"two valueFrom sources", head + one + "    env:\n    - name: A\n      valueFrom:\n        fieldRef: {fieldPath: metadata.name}\n        resourceFieldRef: {resource: limits.cpu}\n",
			[]string{`t.yaml:12:9: spec.containers[0].env[0].valueFrom: may not have more than one field specified at a time`}},
		{"bad fieldPath", head + one + "    env:\n    - name: A\n      valueFrom: {fieldRef: {fieldPath: spec.hostname}}\n" +
			"    - name: B\n      valueFrom: {fieldRef: {fieldPath: metadata.labels}}\n" +
			"    - name: C\n      valueFrom: {fieldRef: {fieldPath: \"metadata.annotations['-x']\", apiVersion: v2}}\n",
			[]string{
				`t.yaml:11:41: spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: unsupported value "spec.hostname" (want one of metadata.name, metadata.namespace, metadata.uid, spec.nodeName, spec.serviceAccountName, status.podIP, status.podIPs, status.hostIP, status.hostIPs, metadata.labels['key'] or metadata.annotations['key'])`,
				`t.yaml:13:41: spec.containers[0].env[1].valueFrom.fieldRef.fieldPath: metadata.labels needs a key in an env variable, as metadata.labels['key']`,
				`t.yaml:15:41: spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: invalid key "-x": name must be at most 63 characters a-z, A-Z, 0-9, '-', '_' or '.', starting and ending with a letter or digit`,
				`t.yaml:15:83: spec.containers[0].env[2].valueFrom.fieldRef.apiVersion: unsupported value "v2" (want v1)`,
			}},
		{"bad resourceFieldRef", head + one + "    env:\n    - name: A\n      valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1Mi}}\n" +
			"    - name: B\n      valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: 2}}\n" +
			"    - name: C\n      valueFrom: {resourceFieldRef: {resource: limits.nvidia.com/gpu, containerName: x}}\n",
			[]string{
				`t.yaml:11:69: spec.containers[0].env[0].valueFrom.resourceFieldRef.divisor: divisor "1Mi" is not supported with the cpu resource (want one of 1m, 1)`,
				`t.yaml:13:74: spec.containers[0].env[1].valueFrom.resourceFieldRef.divisor: divisor "2" is not supported with the memory and ephemeral-storage resources (want one of 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei)`,
				`t.yaml:15:48: spec.containers[0].env[2].valueFrom.resourceFieldRef.resource: unsupported value "limits.nvidia.com/gpu" (want one of limits.cpu, limits.memory, limits.ephemeral-storage, requests.cpu, requests.memory, requests.ephemeral-storage)`,
				`t.yaml:15:86: spec.containers[0].env[2].valueFrom.resourceFieldRef.containerName: container "x" not found in the pod`,
			}},
		{"request above limit", head + one + "    resources:\n      limits: {cpu: 500m, memory: 1Gi}\n      requests: {cpu: 1, memory: 2Gi}\n",
			[]string{
				`t.yaml:11:23: spec.containers[0].resources.requests.cpu: request 1 must be less than or equal to the cpu limit 500m`,
				`t.yaml:11:34: spec.containers[0].resources.requests.memory: request 2Gi must be less than or equal to the memory limit 1Gi`,
			}},
		{"bad requests", head + one + "    resources:\n      requests: {cpu: -1, memory: 1x, ephemeral-storage: 1Gi}\n",
			[]string{
				`t.yaml:10:23: spec.containers[0].resources.requests.cpu: quantity "-1" must not be negative`,
				`t.yaml:10:35: spec.containers[0].resources.requests.memory: invalid quantity "1x": unknown suffix "x" (want m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3)`,
				`t.yaml:10:39: spec.containers[0].resources.requests.ephemeral-storage: field is not supported by podunit`,
			}},
		{"invalid scheduling values", head + one + "  nodeName: Bad_Node\n  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchExpressions: [{key: k, operator: Inn}]}]\n" +
			"  tolerations: [{operator: Exists, value: v, effect: Never}]\n  topologySpreadConstraints: [{maxSkew: 0, topologyKey: z, whenUnsatisfiable: Maybe}]\n  preemptionPolicy: Always\n",
			[]string{
				`t.yaml:9:13: spec.nodeName: invalid value "Bad_Node": must be a lowercase DNS subdomain`,
				`t.yaml:13:68: spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: unsupported value "Inn" (want In, NotIn, Exists, DoesNotExist, Gt or Lt)`,
				`t.yaml:14:43: spec.tolerations[0].value: must be empty when operator is Exists`,
				`t.yaml:14:54: spec.tolerations[0].effect: unsupported value "Never" (want NoSchedule, PreferNoSchedule or NoExecute)`,
				`t.yaml:15:41: spec.topologySpreadConstraints[0].maxSkew: must be greater than zero`,
				`t.yaml:15:79: spec.topologySpreadConstraints[0].whenUnsatisfiable: unsupported value "Maybe" (want DoNotSchedule or ScheduleAnyway)`,
				`t.yaml:16:21: spec.preemptionPolicy: unsupported value "Always" (want PreemptLowerPriority or Never)`,
			}},
		{"typo inside a scheduling field", head + one + "  affinity:\n    nodeAffinity:\n      requiredDuringScheduling: {}\n  tolerations: [{key: k, effekt: NoSchedule}]\n",
			[]string{
				`t.yaml:11:7: spec.affinity.nodeAffinity.requiredDuringScheduling: unknown field "requiredDuringScheduling"`,
				`t.yaml:12:26: spec.tolerations[0].effekt: unknown field "effekt"`,
			}},
		{"unsupported volume source", head + one + "  volumes:\n  - name: v\n    nfs: {server: x}\n",
			[]string{
				`t.yaml:10:5: spec.volumes[0]: must specify exactly one volume source: emptyDir, hostPath, configMap, secret, downwardAPI or projected`,
				`t.yaml:11:5: spec.volumes[0].nfs: field is not supported by podunit`,
			}},
		{"unsupported metadata and status", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  generateName: p-\nspec:\n" + one + "status: {}\n",
			[]string{
				`t.yaml:5:3: metadata.generateName: field is not supported by podunit`,
				`t.yaml:10:1: status: field is not supported by podunit`,
			}},
		{"bad enum", head + one + "    imagePullPolicy: Sometimes\n",
			[]string{`t.yaml:9:22: spec.containers[0].imagePullPolicy: unsupported value "Sometimes" (want Always, IfNotPresent or Never)`}},
		{"string where list expected", head + "  containers: busybox\n",
			[]string{`t.yaml:6:15: spec.containers: expected a list, got string "busybox"`}},
		{"list where string expected", head + "  containers:\n  - name: [c]\n    image: busybox\n",
			[]string{`t.yaml:7:11: spec.containers[0].name: expected a string, got a list`}},
		{"number where string expected", head + one + "    env:\n    - name: PORT\n      value: 8080\n",
			[]string{`t.yaml:11:14: spec.containers[0].env[0].value: expected a string, got number 8080 (quote it)`}},
		{"bool as yes", head + one + "    volumeMounts:\n    - {name: v, mountPath: /v, readOnly: yes}\n  volumes:\n  - {name: v, emptyDir: {}}\n",
			[]string{`t.yaml:10:42: spec.containers[0].volumeMounts[0].readOnly: expected a boolean (true or false), got string "yes"`}},
		{"integer wanted", head + one + "  terminationGracePeriodSeconds: 1.5\n",
			[]string{`t.yaml:9:34: spec.terminationGracePeriodSeconds: expected an integer, got number 1.5`}},
		{"integer out of range", head + one + "  terminationGracePeriodSeconds: 99999999999999999999\n",
			[]string{`t.yaml:9:34: spec.terminationGracePeriodSeconds: integer 99999999999999999999 is out of range`}},
		{"negative grace period", head + one + "  terminationGracePeriodSeconds: -1\n",
			[]string{`t.yaml:9:34: spec.terminationGracePeriodSeconds: must be greater than or equal to 0`}},
		{"duplicate key", head + one + "    image: nginx\n",
			[]string{`t.yaml:9:5: spec.containers[0].image: duplicate key (first at line 8)`}},
		{"non-scalar key", head + one + "    ? [a]\n    : b\n",
			[]string{`t.yaml:9:7: spec.containers[0]: mapping key must be a string, got a list`}},
		{"all errors in a document", head + "  restartPolicy: Sometimes\n  containers:\n  - name: Web\n    image: ''\n",
			[]string{
				`t.yaml:6:18: spec.restartPolicy: unsupported value "Sometimes" (want Always, OnFailure or Never)`,
				`t.yaml:8:11: spec.containers[0].name: invalid value "Web": ` + labelMsg,
				`t.yaml:9:12: spec.containers[0].image: required value`,
			}},
		{"pod name required", "apiVersion: v1\nkind: Pod\nmetadata: {}\nspec:\n" + one,
			[]string{`t.yaml:3:11: metadata.name: required value`}},
		{"pod name too long", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + strings.Repeat("a", 64) + "\nspec:\n" + one,
			[]string{`t.yaml:4:9: metadata.name: invalid value "` + strings.Repeat("a", 40) + `…": ` + labelMsg}},
		{"pod name with dot", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a.b\nspec:\n" + one,
			[]string{`t.yaml:4:9: metadata.name: invalid value "a.b": ` + labelMsg}},
		{"bad namespace", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: A\nspec:\n" + one,
			[]string{`t.yaml:5:14: metadata.namespace: invalid value "A": ` + labelMsg}},
		{"bad label key and value", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    Example.com/a: x\n    b: -x\nspec:\n" + one,
			[]string{
				`t.yaml:6:5: metadata.labels["Example.com/a"]: invalid key: prefix must be a lowercase DNS subdomain (example.com)`,
				`t.yaml:7:5: metadata.labels["b"]: invalid value "-x": must be empty or at most 63 characters a-z, A-Z, 0-9, '-', '_' or '.', starting and ending with a letter or digit`,
			}},
		{"bad annotation key", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    'a b': x\nspec:\n" + one,
			[]string{`t.yaml:6:5: metadata.annotations["a b"]: invalid key: name must be at most 63 characters a-z, A-Z, 0-9, '-', '_' or '.', starting and ending with a letter or digit`}},
		{"no containers", head + "  restartPolicy: Never\n",
			[]string{`t.yaml:6:3: spec.containers: at least one container is required`}},
		{"null spec", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n",
			[]string{`t.yaml:4:1: spec.containers: at least one container is required`}},
		{"duplicate container names", head + "  initContainers:\n  - {name: c, image: busybox}\n" + one,
			[]string{`t.yaml:9:11: spec.containers[0].name: duplicate container name "c" (also spec.initContainers[0].name)`}},
		{"bad env name", head + one + "    env:\n    - name: A=B\n    - value: x\n",
			[]string{
				`t.yaml:10:13: spec.containers[0].env[0].name: invalid environment variable name "A=B": must be printable ASCII characters other than '='`,
				`t.yaml:11:7: spec.containers[0].env[1].name: required value`,
			}},
		{"relative workingDir", head + one + "    workingDir: src\n",
			[]string{`t.yaml:9:17: spec.containers[0].workingDir: must be an absolute path`}},
		{"bad hostname", head + one + "  hostname: my_host\n",
			[]string{`t.yaml:9:13: spec.hostname: invalid value "my_host": ` + labelMsg}},
		{"bad quantities", head + one + "    resources:\n      limits:\n        cpu: 0\n        memory: 1Gb\n",
			[]string{
				`t.yaml:11:14: spec.containers[0].resources.limits.cpu: quantity "0" must be greater than zero`,
				`t.yaml:12:17: spec.containers[0].resources.limits.memory: invalid quantity "1Gb": unknown suffix "Gb" (want m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3)`,
			}},
		{"unsupported limit", head + one + "    resources:\n      limits: {nvidia.com/gpu: 1}\n",
			[]string{`t.yaml:10:16: spec.containers[0].resources.limits.nvidia.com/gpu: unknown field "nvidia.com/gpu"`}},
		{"volume mount errors", head + `  containers:
  - name: c
    image: busybox
    volumeMounts:
    - {name: x, mountPath: /a}
    - {name: v, mountPath: b}
    - {name: v, mountPath: /a/, subPath: ../etc}
    - {name: v}
  volumes:
  - {name: v, emptyDir: {}}
`,
			[]string{
				`t.yaml:10:14: spec.containers[0].volumeMounts[0].name: volume "x" not found`,
				`t.yaml:11:28: spec.containers[0].volumeMounts[1].mountPath: must be an absolute path`,
				`t.yaml:12:28: spec.containers[0].volumeMounts[2].mountPath: duplicate mount path "/a/" (also volumeMounts[0])`,
				`t.yaml:12:42: spec.containers[0].volumeMounts[2].subPath: must be a relative path without ".."`,
				`t.yaml:13:7: spec.containers[0].volumeMounts[3].mountPath: required value`,
			}},
		{"volume errors", head + one + `  volumes:
  - name: v
    emptyDir: {medium: HugePages, sizeLimit: -1Mi}
  - name: v
    hostPath: {path: /srv/../etc, type: Dir}
  - name: w
    hostPath: {path: srv}
    emptyDir: {}
  - name: Bad
    hostPath: {}
`,
			[]string{
				`t.yaml:11:24: spec.volumes[0].emptyDir.medium: unsupported value "HugePages" (want "" or Memory)`,
				`t.yaml:11:46: spec.volumes[0].emptyDir.sizeLimit: quantity "-1Mi" must be greater than zero`,
				`t.yaml:12:11: spec.volumes[1].name: duplicate volume name "v"`,
				`t.yaml:13:22: spec.volumes[1].hostPath.path: must be a clean path ("/etc")`,
				`t.yaml:13:41: spec.volumes[1].hostPath.type: unsupported value "Dir" (want DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice or BlockDevice)`,
				`t.yaml:14:5: spec.volumes[2]: may not specify more than one volume source`,
				`t.yaml:15:22: spec.volumes[2].hostPath.path: must be an absolute path`,
				`t.yaml:17:11: spec.volumes[3].name: invalid value "Bad": ` + labelMsg,
				`t.yaml:18:15: spec.volumes[3].hostPath.path: required value`,
			}},
		{"error in second document", head + one + "---\n" + head + "  containers: {}\n",
			[]string{`t.yaml:15:15: spec.containers: expected a list, got a mapping`}},
		{"duplicate pod in one stream", head + one + "---\n" + head + one,
			[]string{`t.yaml:13:9: metadata.name: pod "p" is already defined at t.yaml:4:9`}},
		{"invalid merge", head + "  containers:\n  - <<: 1\n",
			[]string{
				// The container's missing name and image follow from the
				// failed merge and are not reported.
				`t.yaml:7:5: spec.containers[0]: merge (<<) value must be a mapping or a list of mappings`,
			}},
		{"merge cycle", head + "  containers: [&c {name: c, image: x, <<: *c}]\n",
			[]string{`t.yaml:6:39: spec.containers[0]: merge (<<) includes the mapping that contains it`}},
		{"custom tag", head + "  containers:\n  - name: !foo c\n    image: busybox\n",
			[]string{`t.yaml:7:11: spec.containers[0].name: expected a string, got !foo "c"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pods, err := Decode("t.yaml", strings.NewReader(tt.in))
			if pods != nil {
				t.Errorf("got pods %v with error", pods)
			}
			if got := errorLines(err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestErrorsAreTyped(t *testing.T) {
	_, err := Decode("t.yaml", strings.NewReader(head+one+"    imagePullPolicy: Sometimes\n"))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *Error", err)
	}
	want := Error{File: "t.yaml", Line: 9, Column: 22, Field: "spec.containers[0].imagePullPolicy",
		Msg: `unsupported value "Sometimes" (want Always, IfNotPresent or Never)`}
	if *e != want {
		t.Errorf("got %+v, want %+v", *e, want)
	}
}

func TestDecodeValid(t *testing.T) {
	in := `# leading comment
---
---
apiVersion: v1
kind: Pod
metadata:
  name: a
  namespace: team
  annotations: {note: "x"}
spec:
  containers:
  - name: c
    image: localhost:5000/busybox
    resources:
      limits: {cpu: 0.5, memory: 1e3}
---
# only a comment
---
base: &base
`
	// The last document is invalid on purpose below; first check the
	// valid prefix.
	valid := strings.Split(in, "---\n# only")[0]
	pods, err := Decode("t.yaml", strings.NewReader(valid))
	if err != nil {
		t.Fatal(err)
	}
	if len(pods) != 1 {
		t.Fatalf("got %d pods, want 1", len(pods))
	}
	p := pods[0]
	if p.Source.File != "t.yaml" || p.Source.Line != 4 {
		t.Errorf("source %+v", p.Source)
	}
	if p.Metadata.Namespace != "team" || p.Spec.Containers[0].ImagePullPolicy != PullAlways {
		t.Errorf("defaults: %+v", p)
	}
	if got := p.Spec.Containers[0].Resources.Limits; got.CPU != "0.5" || got.Memory != "1e3" {
		t.Errorf("numeric quantities kept as written: %+v", got)
	}
	if _, err := Decode("t.yaml", strings.NewReader(in)); err == nil {
		t.Error("trailing document without apiVersion decoded")
	}
	if pods, err := Decode("t.yaml", strings.NewReader("")); err != nil || len(pods) != 0 {
		t.Errorf("empty stream: %v %v", pods, err)
	}
}

func TestExamples(t *testing.T) {
	pods, err := DecodeFiles([]string{"testdata/web.yaml", "testdata/shared.yaml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	web, shared := pods[0], pods[1]
	if web.Metadata.Name != "web" || len(web.Spec.Containers) != 1 {
		t.Errorf("web: %+v", web)
	}
	if ms, _, err := web.Spec.Containers[0].Resources.Limits.CPUMillis(); ms != 500 || err != nil {
		t.Errorf("web cpu: %d %v", ms, err)
	}
	if shared.Metadata.Name != "shared" || len(shared.Spec.Containers) != 2 || len(shared.Spec.InitContainers) != 1 {
		t.Errorf("shared: %+v", shared)
	}
	if v := shared.Spec.Volumes[0]; v.EmptyDir == nil || v.EmptyDir.Medium != "Memory" {
		t.Errorf("shared volume: %+v", v)
	}
	for _, c := range append(shared.Spec.InitContainers, shared.Spec.Containers...) {
		if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].Name != "data" {
			t.Errorf("container %s does not mount the shared volume", c.Name)
		}
	}
}

func TestMergeKeysAndAliases(t *testing.T) {
	in := head + `  containers:
  - &base
    name: a
    image: busybox:1.36
    env: &env
    - {name: A, value: "1"}
  - <<: *base
    name: b
    env: *env
`
	pods, err := Decode("t.yaml", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	b := pods[0].Spec.Containers[1]
	if b.Name != "b" || b.Image != "busybox:1.36" || len(b.Env) != 1 || b.Env[0].Value != "1" {
		t.Errorf("merged container: %+v", b)
	}
}

func TestAliasBombs(t *testing.T) {
	// Merge keys nest: each level merges the one below ten times, 10^9
	// key visits if expanded naively.
	merge := "&a0 {k: v}"
	for i := 1; i <= 9; i++ {
		prev := "a" + strconv.Itoa(i-1)
		merge = "&a" + strconv.Itoa(i) + " {<<: [" + merge + strings.Repeat(", *"+prev, 9) + "]}"
	}
	// Lists nest only as deep as the schema (containers, then env), but
	// that is enough to square the document's size.
	var env strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&env, "{name: E%d, value: v}, ", i)
	}
	list := head + "  containers:\n  - &c {name: c, image: busybox, env: [" + env.String() + "]}\n" +
		strings.Repeat("  - *c\n", 2000)

	for name, in := range map[string]string{
		"merge": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {<<: " + merge + "}\nspec:\n" + one,
		"list":  list,
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := Decode("bomb.yaml", strings.NewReader(in))
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if err == nil || !strings.Contains(err.Error(), ": document expands too many aliases") {
				t.Errorf("got %v", err)
			}
		})
	}
}

func TestDecodeFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pod := func(name string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\nspec:\n" + one
	}
	write("b.yml", pod("b"))
	write("a.yaml", pod("a"))
	write("c.json", `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "c"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}`)
	write("notes.txt", "not a manifest")
	if err := os.Mkdir(filepath.Join(dir, "sub.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}

	pods, err := DecodeFiles([]string{dir, "-"}, strings.NewReader(pod("d")))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pods {
		names = append(names, p.Metadata.Name+"@"+filepath.Base(p.Source.File))
	}
	want := []string{"a@a.yaml", "b@b.yml", "c@c.json", "d@-"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("got %v, want %v", names, want)
	}

	other := t.TempDir()
	dup := filepath.Join(other, "dup.yaml")
	if err := os.WriteFile(dup, []byte("# again\n"+pod("a")), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = DecodeFiles([]string{dir, "-"}, strings.NewReader(pod("a")))
	wantErr := `<stdin>:4:9: metadata.name: pod "a" is already defined at ` + filepath.Join(dir, "a.yaml") + ":4:9"
	if got := errorLines(err); !reflect.DeepEqual(got, []string{wantErr}) {
		t.Errorf("got %q, want %q", got, wantErr)
	}
	_, err = DecodeFiles([]string{dup, dir}, nil)
	wantErr = filepath.Join(dir, "a.yaml") + `:4:9: metadata.name: pod "a" is already defined at ` + dup + ":5:9"
	if got := errorLines(err); !reflect.DeepEqual(got, []string{wantErr}) {
		t.Errorf("got %q, want %q", got, wantErr)
	}

	_, err = DecodeFiles([]string{other + "/missing.yaml", t.TempDir(), "-"}, nil)
	got := errorLines(err)
	if len(got) != 3 || !strings.Contains(got[0], "no such file") ||
		!strings.HasSuffix(got[1], ": directory has no *.yaml, *.yml or *.json files") ||
		got[2] != "<stdin>: standard input is not available" {
		t.Errorf("got %q", got)
	}
}

// TestSchemaTable keeps the not-supported table honest: a field that gains
// support in types.go must leave the table.
func TestSchemaTable(t *testing.T) {
	for typ, r := range schema {
		for _, name := range append(r.notSupported, r.quantities...) {
			i := fieldIndex(typ, name)
			supported := i >= 0
			isQuantity := supported && typ.Field(i).Type.Kind() == reflect.String
			switch {
			case slices.Contains(r.notSupported, name) && supported:
				t.Errorf("%s.%s is in types.go and in notSupported", typ.Name(), name)
			case slices.Contains(r.quantities, name) && !isQuantity:
				t.Errorf("quantity %s.%s is not a string field", typ.Name(), name)
			}
		}
	}
}
