package e2e

import (
	"encoding/base64"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// secretValue must never show outside the Secret's store and volumes.
const secretValue = "s3cr3t-value-XYZ"

func objectsManifest(greeting string) string {
	// The pod first: documents may come in any order.
	return `apiVersion: v1
kind: Pod
metadata:
  name: app
  labels: {app: web, tier: front}
  annotations: {note: "a \"quoted\" one"}
spec:
  volumes:
  - name: cfg
    configMap:
      name: app-config
      defaultMode: 0440
      items:
      - {key: greeting, path: conf/greeting.txt, mode: 0600}
  - name: full
    configMap: {name: app-config, defaultMode: 0400}
  - name: sec
    secret: {secretName: app-secret}
  - name: down
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: annotations, fieldRef: {fieldPath: metadata.annotations}}
      - {path: name, fieldRef: {fieldPath: metadata.name}}
      - {path: uid, fieldRef: {fieldPath: metadata.uid}}
      - {path: mem, resourceFieldRef: {containerName: main, resource: limits.memory, divisor: 1Mi}}
  - name: both
    projected:
      sources:
      - configMap: {name: app-config, items: [{key: greeting, path: g}]}
      - secret: {name: app-secret, items: [{key: password, path: p}]}
      - downwardAPI: {items: [{path: ns, fieldRef: {fieldPath: metadata.namespace}}]}
  containers:
  - name: main
    image: ` + testImage + `
    command: [sleep, "100000"]
    resources: {limits: {memory: 64Mi}}
    env:
    - {name: GREETING, valueFrom: {configMapKeyRef: {name: app-config, key: greeting}}}
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: app-secret, key: password}}}
    - {name: UNSET, valueFrom: {configMapKeyRef: {name: app-config, key: nokey, optional: true}}}
    - {name: SAID, value: "$(CFG_other) $(GREETING)"}
    envFrom:
    - {prefix: CFG_, configMapRef: {name: app-config}}
    volumeMounts:
    - {name: cfg, mountPath: /etc/cfg}
    - {name: full, mountPath: /etc/full}
    - {name: sec, mountPath: /etc/sec}
    - {name: down, mountPath: /etc/down}
    - {name: both, mountPath: /etc/both}
    - {name: full, mountPath: /etc/sub-greeting, subPath: greeting}
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret}
stringData:
  password: ` + secretValue + `
data:
  user: ` + base64.StdEncoding.EncodeToString([]byte("admin")) + `
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data:
  greeting: ` + greeting + `
  other: x
binaryData:
  blob: ` + base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 255}) + `
`
}

func TestObjects(t *testing.T) {
	e := boot(t)
	exec := func(args ...string) string {
		t.Helper()
		return e.must(append([]string{"podunit", "exec", "app", "--"}, args...)...)
	}
	out := e.apply("app", objectsManifest("hello"))
	if want := "secret/app-secret created\nconfigmap/app-config created\npod/app created\n"; out != want {
		t.Fatalf("apply printed %q, want %q", out, want)
	}

	t.Run("configMap volume with items and modes", func(t *testing.T) {
		if got := exec("cat", "/etc/cfg/conf/greeting.txt"); got != "hello" {
			t.Errorf("item file: %q", got)
		}
		if got := exec("stat", "-L", "-c", "%a", "/etc/cfg/conf/greeting.txt", "/etc/full/greeting", "/etc/full/blob"); got != "600\n400\n400\n" {
			t.Errorf("modes (item 0600, defaultMode 0400): %q", got)
		}
		if got := exec("ls", "/etc/cfg"); got != "conf\n" {
			t.Errorf("items volume holds %q, want only conf", got)
		}
		if got := exec("sh", "-c", "readlink /etc/full/greeting; readlink /etc/full/..data"); !strings.HasPrefix(got, "..data/greeting\n..20") {
			t.Errorf("atomic writer layout: %q", got)
		}
		if got := exec("od", "-An", "-tx1", "/etc/full/blob"); strings.TrimSpace(got) != "00 01 02 ff" {
			t.Errorf("binaryData: %q", got)
		}
		if _, _, code := e.run("podunit", "exec", "app", "--", "sh", "-c", "echo x > /etc/full/new"); code == 0 {
			t.Errorf("configMap volume is writable")
		}
	})

	t.Run("secret volume on tmpfs", func(t *testing.T) {
		if got := exec("cat", "/etc/sec/password"); got != secretValue {
			t.Errorf("secret file: %q", got)
		}
		if got := exec("cat", "/etc/sec/user"); got != "admin" {
			t.Errorf("secret data file: %q", got)
		}
		if mounts := exec("cat", "/proc/self/mounts"); !strings.Contains(mounts, " /etc/sec tmpfs ") {
			t.Errorf("/etc/sec is not a tmpfs:\n%s", mounts)
		}
		if got := e.must("stat", "-f", "-c", "%T", "/run/podunit/volumes/app/sec"); strings.TrimSpace(got) != "tmpfs" {
			t.Errorf("host dir of the secret volume is on %q", got)
		}
		fi, err := os.Stat(e.h.Path("/var/lib/podunit/objects/default/secrets/app-secret.json"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("stored secret: %v %v", fi, err)
		}
	})

	t.Run("env from objects", func(t *testing.T) {
		got := exec("sh", "-c", `echo "$GREETING|$PASSWORD|${UNSET-unset}|$SAID|$CFG_greeting|$CFG_other"`)
		if want := "hello|" + secretValue + "|unset|x hello|hello|x\n"; got != want {
			t.Errorf("env: %q, want %q", got, want)
		}
	})

	t.Run("downwardAPI and projected", func(t *testing.T) {
		if got := exec("cat", "/etc/down/labels"); got != "app=\"web\"\ntier=\"front\"" {
			t.Errorf("labels: %q", got)
		}
		if got := exec("cat", "/etc/down/annotations"); got != `note="a \"quoted\" one"` {
			t.Errorf("annotations: %q", got)
		}
		if got := exec("cat", "/etc/down/name", "/etc/down/mem"); got != "app64" {
			t.Errorf("name and memory limit in Mi: %q", got)
		}
		if got := exec("cat", "/etc/down/uid"); len(got) != 36 {
			t.Errorf("uid: %q", got)
		}
		if got := exec("cat", "/etc/both/g", "/etc/both/p", "/etc/both/ns"); got != "hello"+secretValue+"default" {
			t.Errorf("projected: %q", got)
		}
	})

	t.Run("secret stays out of sight", func(t *testing.T) {
		places := map[string]string{
			"journal":        e.must("journalctl", "--no-pager", "-o", "verbose"),
			"unit":           e.must("systemctl", "cat", "podunit-app.service"),
			"unit status":    e.must("systemctl", "status", "--no-pager", "-l", "podunit-app.service"),
			"cmdlines":       e.must("sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"),
			"status -o json": e.must("podunit", "status", "app", "-o", "json"),
			"get -o yaml":    e.must("podunit", "get", "secret", "app-secret", "-o", "yaml"),
			"pod state":      e.must("sh", "-c", "cat /var/lib/podunit/pods/app/*.json"),
		}
		for where, text := range places {
			if strings.Contains(text, secretValue) || strings.Contains(text, base64.StdEncoding.EncodeToString([]byte(secretValue))) {
				t.Errorf("the secret value shows in the %s", where)
			}
		}
		shown := e.must("podunit", "get", "secret", "app-secret", "-o", "json", "--show-secret-values")
		if !strings.Contains(shown, base64.StdEncoding.EncodeToString([]byte(secretValue))) {
			t.Errorf("--show-secret-values does not show it:\n%s", shown)
		}
	})

	t.Run("get", func(t *testing.T) {
		out := e.must("podunit", "get", "configmaps")
		if !strings.Contains(out, "NAME") || !regexpLine(out, `^app-config\s+3\s+\d+s$`) {
			t.Errorf("get configmaps:\n%s", out)
		}
		out = e.must("podunit", "get", "secrets")
		if !regexpLine(out, `^app-secret\s+Opaque\s+2\s+\d+s$`) {
			t.Errorf("get secrets:\n%s", out)
		}
	})

	t.Run("re-applied ConfigMap shows in the running pod", func(t *testing.T) {
		out := e.apply("app", objectsManifest("hola"))
		if want := "secret/app-secret unchanged\nconfigmap/app-config configured\npod/app unchanged\n"; out != want {
			t.Fatalf("apply printed %q, want %q", out, want)
		}
		e.eventually(10*time.Second, "the new greeting in the volume", func() bool {
			return exec("cat", "/etc/cfg/conf/greeting.txt") == "hola"
		})
		if got := exec("cat", "/etc/full/greeting", "/etc/both/g"); got != "holahola" {
			t.Errorf("other volumes of the ConfigMap: %q", got)
		}
		if got := exec("cat", "/etc/sub-greeting"); got != "hello" {
			t.Errorf("subPath file changed to %q; it keeps the old content in Kubernetes", got)
		}
		if got := exec("sh", "-c", "echo $GREETING"); got != "hello\n" {
			t.Errorf("env of the running container changed to %q; it keeps its value in Kubernetes", got)
		}
		if got := exec("sh", "-c", "ls -a /etc/full | grep -c '^\\.\\.20'"); got != "1\n" {
			t.Errorf("stale versions left: %q", got)
		}
	})

	t.Run("delete refused while used", func(t *testing.T) {
		msg := e.fails("podunit", "delete", "configmap", "app-config")
		if !strings.Contains(msg, `pod app`) {
			t.Errorf("refusal does not name the pod: %s", msg)
		}
		e.must("podunit", "get", "configmap", "app-config")
	})

	t.Run("missing object or key fails apply and leaves nothing", func(t *testing.T) {
		for name, vol := range map[string]string{
			"no-object": `configMap: {name: nope}`,
			"no-key":    `configMap: {name: app-config, items: [{key: absent, path: a}]}`,
			"no-secret": `secret: {secretName: nope}`,
		} {
			manifest := "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec:\n  volumes:\n  - name: v\n    " + vol + "\n  containers:\n  - {name: c, image: " + testImage + ", command: [sleep, '1000']}\n"
			msg := e.fails("podunit", "apply", "-f", e.write(name+".yaml", manifest))
			if !strings.Contains(msg, name+".yaml:7:") {
				t.Errorf("%s: error without file:line:column: %s", name, msg)
			}
			e.assertNoTrace(name)
		}
		for name, env := range map[string]string{
			"no-env-object": `env: [{name: A, valueFrom: {configMapKeyRef: {name: nope, key: k}}}]`,
			"no-env-key":    `env: [{name: A, valueFrom: {secretKeyRef: {name: app-secret, key: nokey}}}]`,
			"no-envfrom":    `envFrom: [{secretRef: {name: nope}}]`,
		} {
			manifest := "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec:\n  containers:\n  - name: c\n    image: " + testImage + "\n    " + env + "\n"
			msg := e.fails("podunit", "apply", "-f", e.write(name+".yaml", manifest))
			if !strings.Contains(msg, name+".yaml:8:") || !strings.Contains(msg, "nope") && !strings.Contains(msg, "nokey") {
				t.Errorf("%s: %s", name, msg)
			}
			e.assertNoTrace(name)
		}
		// Nothing of the same apply is stored either.
		manifest := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: orphan}\ndata: {a: b}\n---\n" +
			"apiVersion: v1\nkind: Pod\nmetadata: {name: wants}\nspec:\n  volumes:\n  - {name: v, secret: {secretName: nope}}\n  containers:\n  - {name: c, image: " + testImage + "}\n"
		e.fails("podunit", "apply", "-f", e.write("orphan.yaml", manifest))
		if _, _, code := e.run("podunit", "get", "configmap", "orphan"); code == 0 {
			t.Errorf("the ConfigMap of a failed apply was stored")
		}
	})

	t.Run("immutable", func(t *testing.T) {
		cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: frozen}\nimmutable: true\ndata: {a: "
		e.apply("frozen", cm+"b}\n")
		if out := e.apply("frozen", cm+"b}\n"); out != "configmap/frozen unchanged\n" {
			t.Errorf("unchanged immutable: %q", out)
		}
		msg := e.fails("podunit", "apply", "-f", e.write("frozen.yaml", cm+"c}\n"))
		if !strings.Contains(msg, "immutable") {
			t.Errorf("change of an immutable ConfigMap: %s", msg)
		}
		e.must("podunit", "delete", "configmap", "frozen")
	})

	t.Run("missing at a later start", func(t *testing.T) {
		e.apply("later", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: later-cfg}\ndata: {a: b}\n---\n"+
			"apiVersion: v1\nkind: Pod\nmetadata: {name: later}\nspec:\n  volumes:\n  - {name: v, configMap: {name: later-cfg}}\n  containers:\n  - {name: c, image: "+testImage+", command: [sleep, '1000'], volumeMounts: [{name: v, mountPath: /v}]}\n")
		e.must("podunit", "delete", "configmap", "later-cfg", "--force")
		e.run("systemctl", "restart", "podunit-later.service")
		e.eventually(20*time.Second, "CreateContainerConfigError in the unit's journal", func() bool {
			out, _, _ := e.run("journalctl", "--no-pager", "-u", "podunit-later.service")
			return strings.Contains(out, "CreateContainerConfigError") && strings.Contains(out, "later-cfg")
		})
		e.must("podunit", "delete", "later")
		e.assertNoTrace("later")
	})

	t.Run("the example, and delete -f", func(t *testing.T) {
		b, err := os.ReadFile("../examples/greeter.yaml")
		if err != nil {
			t.Fatal(err)
		}
		path := e.write("greeter.yaml", string(b))
		e.must("podunit", "apply", "-f", path)
		e.eventually(10*time.Second, "the page from the ConfigMap", func() bool {
			out, _, _ := e.run("podunit", "exec", "greeter", "--", "wget", "-qO-", "http://127.0.0.1:8081/")
			return strings.Contains(out, "served from a ConfigMap")
		})
		if got := e.must("podunit", "exec", "greeter", "--", "cat", "/etc/podinfo/memory-limit", "/etc/creds/username"); !strings.HasSuffix(got, "admin") {
			t.Errorf("downward API and secret files: %q", got)
		}
		if got := e.must("podunit", "exec", "greeter", "--", "sh", "-c", "echo $GREETING $GREETER_greeting $ADMIN_PASSWORD"); got != "Hello Hello change-me\n" {
			t.Errorf("env from the objects: %q", got)
		}
		out := e.must("podunit", "delete", "-f", path)
		if out != "pod/greeter deleted\nconfigmap/greeter-config deleted\nsecret/greeter-secret deleted\n" {
			t.Errorf("delete -f: %q", out)
		}
		e.assertNoTrace("greeter")
	})

	t.Run("delete and gc leave no volume", func(t *testing.T) {
		e.must("podunit", "delete", "app")
		e.assertNoTrace("app")
		if _, _, code := e.run("test", "-e", "/run/podunit/volumes/app"); code == 0 {
			t.Errorf("volumes of a deleted pod remain")
		}
		e.must("podunit", "delete", "configmap", "app-config")
		e.must("podunit", "delete", "secret", "app-secret")
		// A crash that skipped cleanup.
		e.must("mkdir", "-p", "/run/podunit/volumes/ghost/sec")
		e.must("podunit", "gc")
		if _, _, code := e.run("test", "-e", "/run/podunit/volumes/ghost"); code == 0 {
			t.Errorf("gc left the volumes of a pod that does not run")
		}
	})
}

// regexpLine reports whether a line of text matches re.
func regexpLine(text, re string) bool {
	return regexp.MustCompile(`(?m)` + re).MatchString(text)
}

// TestImagePullSecrets: a pod's imagePullSecrets (a dockerconfigjson
// Secret) are the credentials of its pulls; without them the registry
// refuses the pull and apply fails, leaving nothing.
func TestImagePullSecrets(t *testing.T) {
	e := boot(t)
	hash, _ := bcrypt.GenerateFromPassword([]byte("pull-pw"), bcrypt.DefaultCost)
	e.write("htpasswd", "puller:"+string(hash)+"\n")
	e.startRegistry("reg-secret", "5003", "/var/lib/reg-secret", "/scratch/htpasswd")
	image := "127.0.0.1:5003/private/busybox:1"
	e.must("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--dest-creds", "puller:pull-pw", "docker-archive:/scratch/busybox.tar", "docker://"+image)

	podDoc := func(name string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec:\n  imagePullSecrets: [{name: regcred}]\n" +
			"  containers:\n  - {name: c, image: '" + image + "', command: [sleep, '1000']}\n"
	}
	msg := e.fails("podunit", "apply", "-f", e.write("nocred.yaml", podDoc("nocred")))
	if !strings.Contains(msg, "401") || !strings.Contains(msg, `"regcred"`) {
		t.Errorf("pull without the secret: %s", msg)
	}
	e.assertNoTrace("nocred")

	auth := base64.StdEncoding.EncodeToString([]byte("puller:pull-pw"))
	secret := "apiVersion: v1\nkind: Secret\nmetadata: {name: regcred}\ntype: kubernetes.io/dockerconfigjson\n" +
		"stringData:\n  .dockerconfigjson: '{\"auths\": {\"127.0.0.1:5003\": {\"auth\": \"" + auth + "\"}}}'\n"
	out := e.apply("withcred", podDoc("withcred")+"---\n"+secret)
	if out != "secret/regcred created\npod/withcred created\n" {
		t.Errorf("apply: %q", out)
	}
	if got := e.must("podunit", "exec", "withcred", "--", "echo", "pulled"); got != "pulled\n" {
		t.Errorf("exec: %q", got)
	}
	if strings.Contains(e.must("ls", "/etc/containers"), "auth.json") {
		t.Errorf("credentials came from the host, not the secret")
	}
	e.must("podunit", "delete", "withcred")
}
