package images_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/podunit/podunit/images"
)

// testRegistry serves go-containerregistry's in-process registry; wrap,
// if set, sees every request first.
func testRegistry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func push(t *testing.T, ref string, img v1.Image) v1.Hash {
	t.Helper()
	r, err := name.ParseReference(ref)
	must(t, err)
	must(t, remote.Write(r, img))
	d, err := img.Digest()
	must(t, err)
	return d
}

func randomImage(t *testing.T, layers int64) v1.Image {
	img, err := random.Image(4096, layers)
	must(t, err)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{OS: "linux", Architecture: "amd64", RootFS: mustCfg(t, img).RootFS})
	must(t, err)
	return img
}

func mustCfg(t *testing.T, img v1.Image) *v1.ConfigFile {
	c, err := img.ConfigFile()
	must(t, err)
	return c
}

// isolate points the package's config paths at empty temp dirs.
func isolate(t *testing.T) string {
	dir := t.TempDir()
	old := [3][]string{images.RegistriesConfPaths, images.RegistriesDirs, images.PolicyPaths}
	images.RegistriesConfPaths = []string{filepath.Join(dir, "registries.conf")}
	images.RegistriesDirs = []string{filepath.Join(dir, "registries.d")}
	images.PolicyPaths = []string{filepath.Join(dir, "policy.json")}
	t.Setenv("REGISTRY_AUTH_FILE", filepath.Join(dir, "auth.json"))
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("HOME", dir)
	t.Setenv("XDG_RUNTIME_DIR", dir)
	t.Cleanup(func() {
		images.RegistriesConfPaths, images.RegistriesDirs, images.PolicyPaths = old[0], old[1], old[2]
	})
	return dir
}

func TestPullSharesLayersAndResumes(t *testing.T) {
	requireRoot(t)
	isolate(t)
	reg := testRegistry(t, nil)
	base := randomImage(t, 2)
	top, err := mutate.AppendLayers(base, mustLayer(t))
	must(t, err)
	push(t, reg+"/app/base:1", base)
	push(t, reg+"/app/top:1", top)

	s := openStore(t)
	var out bytes.Buffer
	got, err := s.Pull(context.Background(), reg+"/app/base:1", images.PullOptions{Progress: &out})
	must(t, err)
	if len(got) != 1 || len(got[0].Layers) != 2 {
		t.Fatalf("pulled %+v", got)
	}
	if !strings.Contains(out.String(), "Fetching") {
		t.Errorf("no progress lines:\n%s", out.String())
	}
	if _, err := s.Pull(context.Background(), reg+"/app/top:1", images.PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := countDir(t, filepath.Join(s.Root(), "layers")); n != 3 {
		t.Errorf("layers/ has %d entries, want 3 (2 shared + 1)", n)
	}
	img, err := s.Resolve(reg + "/app/top:1")
	must(t, err)
	d, _ := top.Digest()
	if img.ManifestDigest != d.String() || len(img.RepoDigests) != 1 {
		t.Errorf("manifest digest %s repo digests %v, want %s", img.ManifestDigest, img.RepoDigests, d)
	}
	if _, err := s.Resolve(reg + "/app/top@" + d.String()); err != nil {
		t.Errorf("resolve by digest: %v", err)
	}
}

func mustLayer(t *testing.T) v1.Layer {
	l, err := random.Layer(2048, types.OCILayer)
	must(t, err)
	return l
}

func TestPullPlatforms(t *testing.T) {
	requireRoot(t)
	isolate(t)
	reg := testRegistry(t, nil)
	amd, arm := randomImage(t, 1), randomImage(t, 1)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	r, _ := name.ParseReference(reg + "/multi:1")
	must(t, remote.WriteIndex(r, idx))

	s := openStore(t)
	got, err := s.Pull(context.Background(), reg+"/multi:1", images.PullOptions{Platform: "linux/arm64"})
	must(t, err)
	armDigest, _ := arm.Digest()
	if len(got) != 1 || got[0].ManifestDigest != armDigest.String() || len(got[0].RepoTags) != 1 {
		t.Fatalf("pulled %+v, want the arm64 image %s tagged", got[0], armDigest)
	}
	if _, err := s.Pull(context.Background(), reg+"/multi:1", images.PullOptions{Platform: "linux/s390x"}); err == nil || !strings.Contains(err.Error(), "linux/arm64/v8") {
		t.Errorf("missing platform: %v", err)
	}
	got, err = s.Pull(context.Background(), reg+"/multi:1", images.PullOptions{Platform: "linux/amd64", AllPlatforms: true})
	must(t, err)
	if len(got) != 2 {
		t.Fatalf("all platforms pulled %d images", len(got))
	}
	list, _ := s.List()
	tagged := 0
	for _, i := range list {
		if len(i.RepoTags) > 0 {
			tagged++
			if i.Architecture != "amd64" {
				t.Errorf("tag on %s image", i.Architecture)
			}
		}
	}
	if len(list) != 2 || tagged != 1 {
		t.Errorf("store has %d images, %d tagged", len(list), tagged)
	}
}

// TestPullDigestMismatch serves a corrupted layer blob: the pull fails
// without retrying forever and leaves no image and no layer.
func TestPullDigestMismatch(t *testing.T) {
	requireRoot(t)
	isolate(t)
	img := randomImage(t, 1)
	ls, _ := img.Layers()
	bad, _ := ls[0].Digest()
	var hits atomic.Int32
	reg := testRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+bad.String()) {
				hits.Add(1)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				b := rec.Body.Bytes()
				b[len(b)/2] ^= 0xff
				w.WriteHeader(rec.Code)
				w.Write(b)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	push(t, reg+"/bad:1", img)
	s := openStore(t)
	_, err := s.Pull(context.Background(), reg+"/bad:1", images.PullOptions{})
	if !errors.Is(err, images.ErrDigestMismatch) && (err == nil || !strings.Contains(err.Error(), "digest")) {
		t.Fatalf("pull of a corrupted blob: %v", err)
	}
	if l, _ := s.List(); len(l) != 0 {
		t.Errorf("store has %d images after a failed pull", len(l))
	}
	if n := countDir(t, filepath.Join(s.Root(), "layers")); n != 0 {
		t.Errorf("layers/ has %d entries", n)
	}
}

func TestPullAuth(t *testing.T) {
	requireRoot(t)
	dir := isolate(t)
	reg := testRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "s3cret" {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	img := randomImage(t, 1)
	r, _ := name.ParseReference(reg + "/private:1")
	must(t, remote.Write(r, img, remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "alice", Password: "s3cret"}))))
	s := openStore(t)
	_, err := s.Pull(context.Background(), reg+"/private:1", images.PullOptions{})
	if err == nil || !strings.Contains(err.Error(), "refused access (401)") {
		t.Fatalf("pull without credentials: %v", err)
	}
	auth := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, reg, base64.StdEncoding.EncodeToString([]byte("alice:s3cret")))
	must(t, os.WriteFile(filepath.Join(dir, "auth.json"), []byte(auth), 0o600))
	if _, err := s.Pull(context.Background(), reg+"/private:1", images.PullOptions{}); err != nil {
		t.Fatalf("pull with credentials in auth.json: %v", err)
	}
}

func TestPullPolicy(t *testing.T) {
	requireRoot(t)
	dir := isolate(t)
	reg := testRegistry(t, nil)
	img := randomImage(t, 1)
	ref := reg + "/signed/app:1"
	digest := push(t, ref, img).String()
	s := openStore(t)
	pull := func(policy string) error {
		t.Helper()
		pol, err := images.ParsePolicy([]byte(policy))
		must(t, err)
		pol.Path = "policy.json"
		_, err = s.Pull(context.Background(), ref, images.PullOptions{Policy: pol})
		return err
	}

	// Sigstore: a cosign-style attachment signed with an ECDSA key.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	attachSigstore(t, reg+"/signed/app", digest, ref, key)
	sigstore := func(k *ecdsa.PrivateKey, scope string) string {
		der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
		pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		return fmt.Sprintf(`{"default":[{"type":"reject"}],"transports":{"docker":{%q:[{"type":"sigstoreSigned","keyData":%q}]}}}`, scope, base64.StdEncoding.EncodeToString(pemKey))
	}
	must(t, pull(sigstore(key, reg+"/signed")))
	im, err := s.Resolve(ref)
	must(t, err)
	if len(im.Signatures) != 1 || !im.Signatures[0].Verified || im.Signatures[0].Type != "sigstore" {
		t.Errorf("signatures recorded: %+v", im.Signatures)
	}
	must(t, s.Remove(ref))
	if err := pull(sigstore(other, reg+"/signed/app")); !errors.Is(err, images.ErrPolicy) || !strings.Contains(err.Error(), "sigstoreSigned") {
		t.Errorf("wrong sigstore key: %v", err)
	}
	if err := pull(`{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{"` + reg + `/signed/app:1":[{"type":"reject"}]}}}`); !errors.Is(err, images.ErrPolicy) || !strings.Contains(err.Error(), "reject") {
		t.Errorf("reject by tag scope: %v", err)
	}
	if l, _ := s.List(); len(l) != 0 {
		t.Errorf("refused pulls left %d images", len(l))
	}

	// GPG simple signing from lookaside storage.
	ent, _ := openpgp.NewEntity("signer", "", "signer@example.com", nil)
	wrong, _ := openpgp.NewEntity("wrong", "", "wrong@example.com", nil)
	look := filepath.Join(dir, "lookaside")
	must(t, os.MkdirAll(filepath.Join(dir, "registries.d"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "registries.d", "l.yaml"), []byte("docker:\n  "+reg+":\n    lookaside: file://"+look+"\n"), 0o644))
	sigDir := filepath.Join(look, "signed/app@sha256="+strings.TrimPrefix(digest, "sha256:"))
	must(t, os.MkdirAll(sigDir, 0o755))
	must(t, os.WriteFile(filepath.Join(sigDir, "signature-1"), gpgSign(t, ent, digest, ref), 0o644))
	gpgPolicy := func(e *openpgp.Entity) string {
		var pub bytes.Buffer
		must(t, e.Serialize(&pub))
		return fmt.Sprintf(`{"default":[{"type":"reject"}],"transports":{"docker":{%q:[{"type":"signedBy","keyType":"GPGKeys","keyData":%q}]}}}`, reg, base64.StdEncoding.EncodeToString(pub.Bytes()))
	}
	if err := pull(gpgPolicy(wrong)); !errors.Is(err, images.ErrPolicy) || !strings.Contains(err.Error(), "does not trust") {
		t.Errorf("wrong GPG key: %v", err)
	}
	// A signature for another manifest (a tampered image) is refused.
	must(t, os.WriteFile(filepath.Join(sigDir, "signature-1"), gpgSign(t, ent, "sha256:"+strings.Repeat("0", 64), ref), 0o644))
	if err := pull(gpgPolicy(ent)); !errors.Is(err, images.ErrPolicy) || !strings.Contains(err.Error(), "not "+digest) {
		t.Errorf("signature of another manifest: %v", err)
	}
	// A signature claiming another identity is refused (matchRepoDigestOrExact).
	must(t, os.WriteFile(filepath.Join(sigDir, "signature-1"), gpgSign(t, ent, digest, reg+"/signed/app:2"), 0o644))
	if err := pull(gpgPolicy(ent)); !errors.Is(err, images.ErrPolicy) || !strings.Contains(err.Error(), "matchRepoDigestOrExact") {
		t.Errorf("signature of another tag: %v", err)
	}
	must(t, os.WriteFile(filepath.Join(sigDir, "signature-1"), gpgSign(t, ent, digest, ref), 0o644))
	must(t, pull(gpgPolicy(ent)))
}

func payload(typ, digest, ref string) []byte {
	b, _ := json.Marshal(map[string]any{
		"critical": map[string]any{
			"type":     typ,
			"image":    map[string]string{"docker-manifest-digest": digest},
			"identity": map[string]string{"docker-reference": ref},
		},
		"optional": map[string]any{},
	})
	return b
}

func gpgSign(t *testing.T, e *openpgp.Entity, digest, ref string) []byte {
	var out bytes.Buffer
	w, err := openpgp.Sign(&out, e, nil, nil)
	must(t, err)
	_, err = w.Write(payload("atomic container signature", digest, ref))
	must(t, err)
	must(t, w.Close())
	return out.Bytes()
}

// attachSigstore pushes a cosign-style signature image as sha256-<hex>.sig.
func attachSigstore(t *testing.T, repo, digest, ref string, key *ecdsa.PrivateKey) {
	p := payload("cosign container image signature", digest, ref)
	sum := sha256.Sum256(p)
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	must(t, err)
	l := static.NewLayer(p, "application/vnd.dev.cosign.simplesigning.v1+json")
	img, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), mutate.Addendum{
		Layer:       l,
		Annotations: map[string]string{"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString(sig)},
	})
	must(t, err)
	push(t, repo+":"+strings.Replace(digest, ":", "-", 1)+".sig", img)
}

// TestPullLocalhostIsLocalOnly: localhost/ names images of this host's
// store, as in Podman; asking https://localhost for one would only fail
// later with a connection error that says nothing useful.
func TestPullLocalhostIsLocalOnly(t *testing.T) {
	s := openStore(t)
	_, err := s.Pull(context.Background(), "localhost/app:1", images.PullOptions{})
	if err == nil || !strings.Contains(err.Error(), "podunit image load") {
		t.Fatalf("pull localhost/app:1: %v", err)
	}
}
