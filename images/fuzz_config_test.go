package images

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// The configuration files below come from the host's administrator or
// from whatever wrote /etc/containers; none may panic podunit, whatever
// they hold. Each target feeds the parser and then the code that uses
// what it parsed.

var fuzzRefs = func() []name.Reference {
	var out []name.Reference
	for _, s := range []string{"docker.io/library/busybox:latest", "localhost:5000/a/b@sha256:" + sixtyFourZeros, "quay.io/x/y:z"} {
		r, err := name.ParseReference(s)
		if err != nil {
			panic(err)
		}
		out = append(out, r)
	}
	return out
}()

const sixtyFourZeros = "0000000000000000000000000000000000000000000000000000000000000000"

func FuzzPolicy(f *testing.F) {
	f.Add([]byte(`{"default":[{"type":"insecureAcceptAnything"}]}`))
	f.Add([]byte(`{"default":[{"type":"reject"}],"transports":{"docker":{"docker.io/library":[{"type":"signedBy","keyType":"GPGKeys","keyData":"AA=="}],"*.example.com":[{"type":"sigstoreSigned","keyData":"AA==","signedIdentity":{"type":"matchRepository"}}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			return
		}
		for _, r := range fuzzRefs {
			p.For(r)
		}
	})
}

func FuzzRegistriesConf(f *testing.F) {
	f.Add([]byte("[[registry]]\nprefix = \"localhost:5000\"\ninsecure = true\n"))
	f.Add([]byte("[[registry]]\nlocation = \"a.example/b\"\n[[registry]]\nprefix = \"*.example\"\ninsecure = true\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "registries.conf")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := loadRegistriesConf([]string{path})
		if err != nil {
			return
		}
		for _, r := range fuzzRefs {
			c.insecure(r.Context().String())
		}
	})
}

func FuzzRegistriesD(f *testing.F) {
	f.Add([]byte("default-docker:\n  lookaside: file:///var/lib/containers/sigstore\ndocker:\n  localhost:5000/a:\n    lookaside: http://127.0.0.1:8000/sigs\n"))
	f.Add([]byte("docker:\n  quay.io:\n    sigstore: https://example/\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "x.yaml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		rd, err := loadRegistriesD([]string{dir})
		if err != nil {
			return
		}
		for _, r := range fuzzRefs {
			_ = rd.entryFor(r).lookaside()
		}
	})
}

func FuzzAuthFile(f *testing.F) {
	f.Add([]byte(`{"auths":{"localhost:5000":{"auth":"dXNlcjpwYXNz"}}}`))
	f.Add([]byte(`{"auths":{"https://index.docker.io/v1/":{"username":"u","password":"p"},"quay.io/x":{"identitytoken":"t"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "auth.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		k := authFilesKeychain{files: []string{path}}
		for _, r := range fuzzRefs {
			if a, err := k.Resolve(r.Context()); err == nil && a != nil {
				a.Authorization()
			}
		}
	})
}

func FuzzSignaturePayload(f *testing.F) {
	digest := "sha256:" + sixtyFourZeros
	f.Add([]byte(`{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"` + digest + `"},"identity":{"docker-reference":"docker.io/library/busybox:latest"}}}`))
	f.Add([]byte(`{"critical":{"type":"cosign container image signature","image":{"docker-manifest-digest":"` + digest + `"},"identity":{"docker-reference":"quay.io/x/y"}}}`))
	pulled := fuzzRefs[0]
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range []string{"atomic container signature", "cosign container image signature"} {
			for _, id := range []*SignedIdentity{nil, {Type: "matchRepository"}, {Type: "matchExact"}, {Type: "exactRepository", DockerRepository: "docker.io/library/busybox"}} {
				checkPayload(data, typ, digest, id, pulled)
			}
		}
	})
}
