package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/bcrypt"

	"github.com/podunit/podunit/images/imagetest"
)

// registryConf is a docker-registry (distribution 2.8) config on loopback
// with its storage under /var/lib, optionally behind htpasswd auth.
func registryConf(port, storage, htpasswd string) string {
	c := "version: 0.1\nlog: {level: error}\nstorage:\n  filesystem: {rootdirectory: " + storage + "}\n  delete: {enabled: true}\n" +
		"http: {addr: '127.0.0.1:" + port + "'}\n"
	if htpasswd != "" {
		c += "auth:\n  htpasswd: {realm: test, path: " + htpasswd + "}\n"
	}
	return c
}

// startRegistry runs docker-registry as a transient unit in the test host.
func (e *env) startRegistry(unit, port, storage, htpasswd string) {
	e.t.Helper()
	conf := e.write(unit+".yml", registryConf(port, storage, htpasswd))
	e.must("systemd-run", "--unit="+unit, "docker-registry", "serve", conf)
	e.eventually(20*time.Second, unit+" listening", func() bool {
		_, _, code := e.run("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/"+port)
		return code == 0
	})
}

// layoutDir writes img as an OCI layout in the scratch dir, tag "1".
func (e *env) layoutDir(dirName string, img v1.Image) string {
	e.t.Helper()
	if err := imagetest.WriteLayout(filepath.Join(e.h.Scratch(), dirName), "x/y:1", img); err != nil {
		e.t.Fatal(err)
	}
	return "oci:/scratch/" + dirName + ":1"
}

func (e *env) skopeoPush(src, ref string, extra ...string) {
	e.t.Helper()
	args := append([]string{"skopeo", "copy", "--quiet", "--dest-tls-verify=false"}, extra...)
	e.must(append(args, src, "docker://"+ref)...)
}

func ociImage(t *testing.T, opts ...imagetest.Option) v1.Image {
	t.Helper()
	img, err := imagetest.OCIImage(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

const reg = "127.0.0.1:5000"

// TestImageRegistry pulls from Debian's docker-registry running in the test
// host: shared layers, whiteouts, platforms, a 200 MB image, an
// interrupted pull, errors (registry down, 401, tampered blob), pull
// policies at apply, and prune/gc next to a running pod.
func TestImageRegistry(t *testing.T) {
	e := boot(t)
	e.startRegistry("reg", "5000", "/var/lib/reg", "")

	// A base (busybox) and two apps on it; app2 deletes a base file and
	// hides a directory through whiteouts.
	base := ociImage(t, imagetest.WithLayer(imagetest.Dir("etc/app"), imagetest.File("etc/app/base.conf", "base"), imagetest.File("etc/motd", "hi")))
	app1, _ := mutate.AppendLayers(base, mustStatic(t, imagetest.File("app1", "one")))
	app2, _ := mutate.AppendLayers(base, mustStatic(t, imagetest.Whiteout("etc/motd"), imagetest.Opaque("etc/app"), imagetest.File("etc/app/new.conf", "new")))
	e.skopeoPush(e.layoutDir("app1", app1), reg+"/team/app1:1")
	e.skopeoPush(e.layoutDir("app2", app2), reg+"/team/app2:1")

	t.Run("shared layers", func(t *testing.T) {
		e.must("podunit", "image", "pull", reg+"/team/app1:1")
		e.must("podunit", "image", "pull", reg+"/team/app2:1")
		// busybox.tar (1 layer, loaded by boot) shares its base layer: 1 + 1 + 1 + 1.
		out := e.must("bash", "-c", "ls /var/lib/podunit/images/layers | wc -l")
		if strings.TrimSpace(out) != "4" {
			t.Errorf("layers: %s, want 4 unique", out)
		}
		list := e.must("podunit", "image", "list")
		for _, want := range []string{"REPOSITORY", "DIGEST", reg + "/team/app1", reg + "/team/app2"} {
			if !strings.Contains(list, want) {
				t.Errorf("image list lacks %q:\n%s", want, list)
			}
		}
	})

	t.Run("whiteouts", func(t *testing.T) {
		if !e.tryApply(t, "wh", `apiVersion: v1
kind: Pod
metadata: {name: wh}
spec:
  hostNetwork: true
  containers:
  - {name: c, image: `+reg+`/team/app2:1, imagePullPolicy: Never, command: [sleep, "1000"]}
`) {
			return
		}
		out, ok := e.poll(30*time.Second, "podunit", "exec", "wh", "-c", "c", "--", "sh", "-c", "ls /etc/app; test -e /etc/motd && echo motd; true")
		if !ok {
			t.Errorf("container c of wh never ran: %s", out)
			e.must("podunit", "delete", "wh")
			return
		}
		if strings.TrimSpace(out) != "new.conf" {
			t.Errorf("/etc/app after whiteouts: %q, want only new.conf", out)
		}
		t.Run("rm refuses an image in use", func(t *testing.T) {
			errOut := e.fails("podunit", "image", "rm", reg+"/team/app2:1")
			if !strings.Contains(errOut, "in use") {
				t.Errorf("rm of an image in use: %s", errOut)
			}
			e.must("podunit", "image", "prune", "--all")
			e.must("podunit", "gc", "--all")
			e.must("podunit", "image", "inspect", reg+"/team/app2:1")
			if _, _, code := e.run("podunit", "image", "inspect", reg+"/team/app1:1"); code == 0 {
				t.Error("prune --all kept an unused image")
			}
			// Its own layer is gone from disk; the shared base stays.
			if out, _, _ := e.run("sh", "-c", "ls -d /var/lib/podunit/images/layers/*/diff/app1 /var/lib/podunit/images/layers/*/diff/etc/app 2>/dev/null"); strings.Contains(out, "/app1") || !strings.Contains(out, "/etc/app") {
				t.Errorf("layers after prune --all and gc --all:\n%s", out)
			}
			e.must("podunit", "exec", "wh", "-c", "c", "--", "true")
		})
		e.must("podunit", "delete", "wh")
	})

	t.Run("platforms", func(t *testing.T) {
		arm, _ := mutate.ConfigFile(base, &v1.ConfigFile{OS: "linux", Architecture: "arm64", RootFS: mustCfg(t, base).RootFS})
		amd, _ := mutate.ConfigFile(app1, &v1.ConfigFile{OS: "linux", Architecture: "amd64", RootFS: mustCfg(t, app1).RootFS})
		idx := mutate.AppendManifests(empty.Index,
			mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
			mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}})
		dir := filepath.Join(e.h.Scratch(), "multi")
		p, err := layout.Write(dir, empty.Index)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "1"})); err != nil {
			t.Fatal(err)
		}
		e.skopeoPush("oci:/scratch/multi:1", reg+"/multi:1", "--all")
		e.must("podunit", "image", "pull", "--platform", "linux/arm64", reg+"/multi:1")
		if a := inspectField(e, reg+"/multi:1", "architecture"); a != "arm64" {
			t.Errorf("--platform linux/arm64 pulled %s", a)
		}
		e.must("podunit", "image", "pull", "--all-platforms", reg+"/multi:1")
		if a := inspectField(e, reg+"/multi:1", "architecture"); a != "amd64" {
			t.Errorf("default platform is %s", a)
		}
		if out := e.must("podunit", "image", "list"); strings.Count(out, reg+"/multi") != 2 {
			t.Errorf("--all-platforms stored:\n%s", out)
		}
	})

	t.Run("200MB image, interrupted pull", func(t *testing.T) {
		big := make([]byte, 200<<20)
		rand.Read(big)
		bigImg, _ := mutate.AppendLayers(base, mustStatic(t, imagetest.File("data/a", string(big[:100<<20]))), mustStatic(t, imagetest.File("data/b", string(big[100<<20:]))))
		e.skopeoPush(e.layoutDir("big", bigImg), reg+"/big:1")
		os.RemoveAll(filepath.Join(e.h.Scratch(), "big"))

		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		proc, err := e.h.StartProcess(ctx, "podunit", "image", "pull", "--jobs", "1", reg+"/big:1")
		if err != nil {
			t.Fatal(err)
		}
		e.eventually(60*time.Second, "a layer being unpacked", func() bool {
			_, _, code := e.run("bash", "-c", "du -sm /var/lib/podunit/images/incoming | awk '$1 > 20 {ok=1} END {exit !ok}'")
			return code == 0
		})
		proc.Kill()
		if _, _, code := e.run("podunit", "image", "inspect", reg+"/big:1"); code == 0 {
			t.Fatal("a killed pull left an image visible")
		}
		start := time.Now()
		e.must("podunit", "image", "pull", reg+"/big:1")
		t.Logf("re-pull of the 200 MB image took %s", time.Since(start))
		out := e.must("bash", "-c", "cat /var/lib/podunit/images/layers/*/diff/data/a /var/lib/podunit/images/layers/*/diff/data/b | wc -c")
		if strings.TrimSpace(out) != "209715200" {
			t.Errorf("unpacked data: %s bytes", out)
		}
		if out := e.must("ls", "/var/lib/podunit/images/incoming"); out != "" {
			t.Errorf("incoming/ not empty after the re-pull: %s", out)
		}

		// gc --all while a pull is unpacking leaves the pull alone.
		e.must("podunit", "image", "rm", reg+"/big:1")
		e.must("podunit", "gc")
		proc, err = e.h.StartProcess(ctx, "podunit", "image", "pull", "--jobs", "1", reg+"/big:1")
		if err != nil {
			t.Fatal(err)
		}
		e.eventually(60*time.Second, "a layer being unpacked again", func() bool {
			_, _, code := e.run("bash", "-c", "du -sm /var/lib/podunit/images/incoming | awk '$1 > 20 {ok=1} END {exit !ok}'")
			return code == 0
		})
		e.must("podunit", "gc", "--all")
		if code, err := proc.Wait(); code != 0 || err != nil {
			t.Fatalf("pull during gc: exit %d, %v\n%s", code, err, proc.Stderr())
		}
		out = e.must("bash", "-c", "cat /var/lib/podunit/images/layers/*/diff/data/a /var/lib/podunit/images/layers/*/diff/data/b | wc -c")
		if strings.TrimSpace(out) != "209715200" {
			t.Errorf("data pulled during gc: %s bytes", out)
		}
	})

	t.Run("errors", func(t *testing.T) {
		if errOut := e.fails("podunit", "image", "pull", "127.0.0.1:5009/none:1"); !strings.Contains(errOut, "connection refused") {
			t.Errorf("registry down: %s", errOut)
		}
		if errOut := e.fails("podunit", "image", "pull", reg+"/nothere:1"); !strings.Contains(errOut, "not found") {
			t.Errorf("missing image: %s", errOut)
		}
		// 401 from a registry with htpasswd auth, then credentials in auth.json.
		hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.DefaultCost)
		e.write("htpasswd", "alice:"+string(hash)+"\n")
		e.startRegistry("reg-auth", "5001", "/var/lib/reg-auth", "/scratch/htpasswd")
		e.skopeoPush(e.layoutDir("app1", app1), "127.0.0.1:5001/private:1", "--dest-creds", "alice:s3cret")
		if errOut := e.fails("podunit", "image", "pull", "127.0.0.1:5001/private:1"); !strings.Contains(errOut, "refused access (401)") {
			t.Errorf("pull without credentials: %s", errOut)
		}
		e.must("mkdir", "-p", "/etc/containers")
		e.must("bash", "-c", `echo '{"auths":{"127.0.0.1:5001":{"auth":"'$(printf alice:s3cret | base64)'"}}}' > /etc/containers/auth.json`)
		e.must("podunit", "image", "pull", "127.0.0.1:5001/private:1")

		// A tampered blob in the registry's storage is refused; nothing stays.
		tampered, _ := mutate.AppendLayers(base, mustStatic(t, imagetest.File("t", strings.Repeat("x", 4096))))
		e.skopeoPush(e.layoutDir("tampered", tampered), reg+"/tampered:1")
		// skopeo may recompress on push: take the digest the registry has.
		var m v1.Manifest
		if err := json.Unmarshal([]byte(e.must("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://"+reg+"/tampered:1")), &m); err != nil {
			t.Fatal(err)
		}
		d := m.Layers[len(m.Layers)-1].Digest
		blob := "/var/lib/reg/docker/registry/v2/blobs/sha256/" + d.Hex[:2] + "/" + d.Hex + "/data"
		e.must("bash", "-c", "printf X | dd of="+blob+" bs=1 seek=$(( $(stat -c%s "+blob+") / 2 )) conv=notrunc status=none")
		errOut := e.fails("podunit", "image", "pull", reg+"/tampered:1")
		if !strings.Contains(errOut, "digest mismatch") {
			t.Errorf("tampered blob: %s", errOut)
		}
		if _, _, code := e.run("podunit", "image", "inspect", reg+"/tampered:1"); code == 0 {
			t.Error("tampered image is in the store")
		}
	})

	t.Run("pull policy at apply", func(t *testing.T) {
		e.skopeoPush(e.layoutDir("app1", app1), reg+"/team/fresh:1")
		if e.tryApply(t, "fresh", `apiVersion: v1
kind: Pod
metadata: {name: fresh}
spec:
  hostNetwork: true
  containers:
  - {name: c, image: `+reg+`/team/fresh:1, command: [sleep, "1000"]}
`) {
			if out, ok := e.poll(30*time.Second, "podunit", "exec", "fresh", "-c", "c", "--", "cat", "/app1"); !ok {
				t.Errorf("fresh never ran the pulled image: %s", out)
			}
			e.must("podunit", "delete", "fresh")
			e.assertNoTrace("fresh")
		}
		// Either way the apply pulled the image.
		e.must("podunit", "image", "inspect", reg+"/team/fresh:1")

		manifest := e.write("never.yaml", `apiVersion: v1
kind: Pod
metadata: {name: never}
spec:
  hostNetwork: true
  containers:
  - {name: c, image: `+reg+`/team/absent:1, imagePullPolicy: Never}
`)
		errOut := e.fails("podunit", "apply", "-f", manifest)
		for _, want := range []string{reg + "/team/absent:1", "never.yaml:1", "Never"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("Never with a missing image: %q lacks %q", errOut, want)
			}
		}
		e.assertNoTrace("never")
		down := e.write("down.yaml", `apiVersion: v1
kind: Pod
metadata: {name: down}
spec:
  hostNetwork: true
  containers:
  - {name: c, image: 127.0.0.1:5009/x:latest}
`)
		errOut = e.fails("podunit", "apply", "-f", down)
		if !strings.Contains(errOut, "127.0.0.1:5009/x:latest") || !strings.Contains(errOut, "down.yaml:1") {
			t.Errorf("unreachable registry at apply: %s", errOut)
		}
		e.assertNoTrace("down")
	})

	t.Run("prune without --all removes dangling images only", func(t *testing.T) {
		// Two loads of one tag leave the first image with no name.
		d1, _ := mutate.AppendLayers(base, mustStatic(t, imagetest.File("d1", "first")))
		d2, _ := mutate.AppendLayers(base, mustStatic(t, imagetest.File("d2", "second")))
		a := e.layoutDir("dang1", d1)
		b := e.layoutDir("dang2", d2)
		e.must("podunit", "image", "load", strings.TrimPrefix(strings.TrimSuffix(a, ":1"), "oci:"))
		e.must("podunit", "image", "load", strings.TrimPrefix(strings.TrimSuffix(b, ":1"), "oci:"))
		list := e.must("podunit", "image", "list")
		dangling := regexp.MustCompile(`(?m)^<none>\s`)
		if !dangling.MatchString(list) || !strings.Contains(list, "x/y") {
			t.Fatalf("no dangling image after re-tagging:\n%s", list)
		}
		e.must("podunit", "image", "prune")
		list = e.must("podunit", "image", "list")
		if dangling.MatchString(list) || !strings.Contains(list, "x/y") {
			t.Errorf("prune should remove the dangling image and keep the tagged one:\n%s", list)
		}
		e.must("podunit", "image", "rm", "x/y:1")
	})

	t.Run("Always at every start", func(t *testing.T) {
		e.skopeoPush(e.layoutDir("moving1", app1), reg+"/team/moving:1")
		if !e.tryApply(t, "moving", `apiVersion: v1
kind: Pod
metadata: {name: moving}
spec:
  hostNetwork: true
  containers:
  - {name: c, image: `+reg+`/team/moving:1, imagePullPolicy: Always, command: [sleep, "1000"]}
`) {
			return
		}
		e.must("podunit", "exec", "moving", "--", "cat", "/app1")
		// The tag moves on; a restart of the unit pulls it again.
		e.skopeoPush(e.layoutDir("moving2", app2), reg+"/team/moving:1")
		e.must("systemctl", "restart", "podunit-moving.service")
		if out, ok := e.poll(30*time.Second, "podunit", "exec", "moving", "--", "cat", "/etc/app/new.conf"); !ok {
			t.Errorf("a restart did not pull the moved tag: %s", out)
		}
		// Registry down: the pod still starts from the store, and says why.
		e.must("systemctl", "stop", "reg")
		e.must("systemctl", "restart", "podunit-moving.service")
		if out, ok := e.poll(30*time.Second, "podunit", "exec", "moving", "--", "cat", "/etc/app/new.conf"); !ok {
			t.Errorf("with the registry down the pod did not start from the store: %s", out)
		}
		if out := e.must("journalctl", "-q", "-u", "podunit-moving.service"); !strings.Contains(out, "starting with the image in the store") {
			t.Errorf("no warning about the failed pull in the unit's journal:\n%s", out)
		}
		e.startRegistry("reg", "5000", "/var/lib/reg", "")
		e.must("podunit", "delete", "moving")
		e.assertNoTrace("moving")
	})
}

// poll runs a command until it succeeds or timeout passes; it returns the
// last stdout (stderr on failure) and whether it succeeded.
func (e *env) poll(timeout time.Duration, args ...string) (string, bool) {
	deadline := time.Now().Add(timeout)
	for {
		out, errOut, code := e.run(args...)
		if code == 0 {
			return out, true
		}
		if time.Now().After(deadline) {
			return errOut, false
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// tryApply applies a pod, reporting a failure on t only, so that the
// registry checks of later subtests still run.
func (e *env) tryApply(t *testing.T, name, manifest string) bool {
	t.Helper()
	if _, errOut, code := e.run("podunit", "apply", "-f", e.write(name+".yaml", manifest)); code != 0 {
		t.Errorf("apply %s: %s", name, errOut)
		return false
	}
	return true
}

// mustStatic makes an uncompressed OCI layer from entries.
func mustStatic(t *testing.T, entries ...imagetest.Entry) v1.Layer {
	t.Helper()
	data, err := imagetest.LayerTar(entries...)
	if err != nil {
		t.Fatal(err)
	}
	return static.NewLayer(data, types.OCIUncompressedLayer)
}

func mustCfg(t *testing.T, img v1.Image) *v1.ConfigFile {
	t.Helper()
	c, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func inspectField(e *env, ref, field string) string {
	e.t.Helper()
	var out []map[string]any
	if err := json.Unmarshal([]byte(e.must("podunit", "image", "inspect", "-o", "json", ref)), &out); err != nil || len(out) != 1 {
		e.t.Fatalf("inspect %s: %v", ref, err)
	}
	s, _ := out[0][field].(string)
	return s
}

// TestImageSignatures signs images with Debian's skopeo (GPG simple
// signing into lookaside storage, and a sigstore key) into a real registry
// and checks that podunit's policy accepts them, and rejects a wrong key,
// a re-pushed (unsigned) manifest under the same tag and a reject scope.
func TestImageSignatures(t *testing.T) {
	e := boot(t)
	e.startRegistry("reg", "5000", "/var/lib/reg", "")
	img := ociImage(t)
	src := e.layoutDir("signed", img)
	other, _ := mutate.AppendLayers(img, mustStatic(t, imagetest.File("evil", "x")))
	otherSrc := e.layoutDir("other", other)

	e.must("mkdir", "-p", "/etc/containers/registries.d", "/etc/podunit", "/var/lib/sigs")
	e.must("bash", "-c", `cat > /etc/containers/registries.d/test.yaml <<EOF
docker:
  `+reg+`:
    lookaside: file:///var/lib/sigs
    lookaside-staging: file:///var/lib/sigs
    use-sigstore-attachments: true
EOF`)
	// GPG: a key made by gpg, the image signed by skopeo.
	e.must("gpg", "--batch", "--passphrase", "", "--quick-gen-key", "podunit test <signer@example.com>", "default", "default", "never")
	e.must("gpg", "--batch", "--passphrase", "", "--quick-gen-key", "stranger <stranger@example.com>", "default", "default", "never")
	fpr := gpgFingerprint(e, "signer@example.com")
	e.must("bash", "-c", "gpg --export "+fpr+" > /etc/podunit/signer.gpg && gpg --export "+gpgFingerprint(e, "stranger@example.com")+" > /etc/podunit/stranger.gpg")
	e.skopeoPush(src, reg+"/signed/gpg:1", "--sign-by", fpr)

	// Sigstore: Debian builds skopeo without sigstore ("Debian-local
	// change: sigstore disabled"), so the cosign-format attachment is made
	// here (payload layer, signature annotation, tag sha256-<hex>.sig) and
	// pushed by skopeo.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	e.write("cosign.pub", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	wrongKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ = x509.MarshalPKIXPublicKey(&wrongKey.PublicKey)
	e.write("wrong.pub", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	e.skopeoPush(src, reg+"/signed/sigstore:1", "--preserve-digests")
	digest, _ := img.Digest()
	sigImg := cosignSignature(t, key, digest.String(), reg+"/signed/sigstore:1")
	e.skopeoPush(e.layoutDir("cosign-sig", sigImg), reg+"/signed/sigstore:"+strings.Replace(digest.String(), ":", "-", 1)+".sig", "--preserve-digests")

	policy := func(gpgKey, sigKey string) {
		e.must("bash", "-c", `cat > /etc/podunit/policy.json <<EOF
{"default": [{"type": "insecureAcceptAnything"}],
 "transports": {"docker": {
   "`+reg+`/signed/gpg": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "`+gpgKey+`"}],
   "`+reg+`/signed/sigstore": [{"type": "sigstoreSigned", "keyPath": "`+sigKey+`"}],
   "`+reg+`/signed/gpg:rejected": [{"type": "reject"}]
 }}}
EOF`)
	}
	policy("/etc/podunit/signer.gpg", "/scratch/cosign.pub")
	e.must("podunit", "image", "pull", reg+"/signed/gpg:1")
	e.must("podunit", "image", "pull", reg+"/signed/sigstore:1")
	for _, ref := range []string{reg + "/signed/gpg:1", reg + "/signed/sigstore:1"} {
		out := e.must("podunit", "image", "inspect", ref)
		if !strings.Contains(out, "verified by") {
			t.Errorf("inspect %s shows no verified signature:\n%s", ref, out)
		}
		e.must("podunit", "image", "rm", ref)
	}

	policy("/etc/podunit/stranger.gpg", "/scratch/wrong.pub")
	for ref, want := range map[string]string{reg + "/signed/gpg:1": "signedBy", reg + "/signed/sigstore:1": "sigstoreSigned"} {
		errOut := e.fails("podunit", "image", "pull", ref)
		if !strings.Contains(errOut, "rejected by signature policy /etc/podunit/policy.json") || !strings.Contains(errOut, want) {
			t.Errorf("wrong key for %s: %s", ref, errOut)
		}
	}

	policy("/etc/podunit/signer.gpg", "/scratch/cosign.pub")
	// A different, unsigned manifest pushed under the signed tag.
	e.skopeoPush(otherSrc, reg+"/signed/gpg:1")
	e.skopeoPush(otherSrc, reg+"/signed/sigstore:1")
	for _, ref := range []string{reg + "/signed/gpg:1", reg + "/signed/sigstore:1"} {
		if errOut := e.fails("podunit", "image", "pull", ref); !strings.Contains(errOut, "no signature found") {
			t.Errorf("re-pushed manifest %s: %s", ref, errOut)
		}
	}
	// A signature copied onto the other manifest's digest is for the wrong one.
	e.skopeoPush(src, reg+"/signed/gpg:rejected", "--sign-by", fpr)
	if errOut := e.fails("podunit", "image", "pull", reg+"/signed/gpg:rejected"); !strings.Contains(errOut, "reject") {
		t.Errorf("reject scope: %s", errOut)
	}
	// apply pulls under the same policy: a refused image fails the apply
	// and nothing of the pod is left.
	manifest := e.write("unsigned.yaml", `apiVersion: v1
kind: Pod
metadata: {name: unsigned}
spec:
  hostNetwork: true
  containers:
  - {name: c, image: `+reg+`/signed/gpg:1, command: [sleep, "1000"]}
`)
	if errOut := e.fails("podunit", "apply", "-f", manifest); !strings.Contains(errOut, "no signature found") || !strings.Contains(errOut, "unsigned.yaml:1") {
		t.Errorf("apply of an image the policy refuses: %s", errOut)
	}
	e.assertNoTrace("unsigned")
	if out := e.must("bash", "-c", "ls /var/lib/podunit/images/incoming; podunit image list -o json"); strings.Contains(out, "signed") {
		t.Errorf("refused images left traces:\n%s", out)
	}
}

// cosignSignature is a cosign-style signature image for digest.
func cosignSignature(t *testing.T, key *ecdsa.PrivateKey, digest, ref string) v1.Image {
	t.Helper()
	payload, _ := json.Marshal(map[string]any{"critical": map[string]any{
		"type":     "cosign container image signature",
		"image":    map[string]string{"docker-manifest-digest": digest},
		"identity": map[string]string{"docker-reference": ref},
	}, "optional": nil})
	sum := sha256.Sum256(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), mutate.Addendum{
		Layer:       static.NewLayer(payload, "application/vnd.dev.cosign.simplesigning.v1+json"),
		Annotations: map[string]string{"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString(sig)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func gpgFingerprint(e *env, email string) string {
	e.t.Helper()
	out := e.must("gpg", "--batch", "--with-colons", "--list-keys", email)
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Split(l, ":"); len(f) > 9 && f[0] == "fpr" {
			return f[9]
		}
	}
	e.t.Fatalf("no fingerprint for %s in:\n%s", email, out)
	return ""
}
