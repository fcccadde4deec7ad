package images_test

import (
	"bytes"
	"context"
	"encoding/base64"
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
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/podunit/podunit/images"
)

// TestPullInsecureLookasideScope: an insecure pull (--tls-verify=false)
// skips certificate checks for the registry and a lookaside signature
// server on the registry's own host, and for no other lookaside server.
// Both servers use httptest's self-signed certificate, which nothing
// trusts.
func TestPullInsecureLookasideScope(t *testing.T) {
	dir := isolate(t)
	img := randomImage(t, 1)
	ent, err := openpgp.NewEntity("signer", "", "signer@example.com", nil)
	must(t, err)
	var pub bytes.Buffer
	must(t, ent.Serialize(&pub))

	// sigs serves signature-1 under /sigs/ once sig is set; hits counts
	// the requests that got through the TLS handshake.
	var sig atomic.Pointer[[]byte]
	sigHandler := func(hits *atomic.Int32) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			if s := sig.Load(); s != nil && strings.HasSuffix(r.URL.Path, "/signature-1") {
				w.Write(*s)
				return
			}
			http.NotFound(w, r)
		}
	}
	var regSigHits, otherHits atomic.Int32
	regHandler := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	mux := http.NewServeMux()
	mux.Handle("/v2/", regHandler)
	mux.Handle("/sigs/", sigHandler(&regSigHits))
	regSrv := httptest.NewTLSServer(mux)
	t.Cleanup(regSrv.Close)
	other := httptest.NewUnstartedServer(sigHandler(&otherHits))
	other.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	other.StartTLS()
	t.Cleanup(other.Close)

	reg := strings.TrimPrefix(regSrv.URL, "https://")
	ref := reg + "/signed/app:1"
	r, err := name.ParseReference(ref)
	must(t, err)
	must(t, remote.Write(r, img, remote.WithTransport(regSrv.Client().Transport)))
	d, err := img.Digest()
	must(t, err)
	digest := d.String()
	signed := gpgSign(t, ent, digest, ref)
	sig.Store(&signed)

	pol, err := images.ParsePolicy(fmt.Appendf(nil, `{"default":[{"type":"reject"}],"transports":{"docker":{%q:[{"type":"signedBy","keyType":"GPGKeys","keyData":%q}]}}}`,
		reg, base64.StdEncoding.EncodeToString(pub.Bytes())))
	must(t, err)
	pol.Path = "policy.json"
	must(t, os.MkdirAll(filepath.Join(dir, "registries.d"), 0o755))
	pull := func(lookaside string) error {
		t.Helper()
		must(t, os.WriteFile(filepath.Join(dir, "registries.d", "l.yaml"), []byte("docker:\n  "+reg+":\n    lookaside: "+lookaside+"\n"), 0o644))
		s := openStore(t)
		_, err := s.Pull(context.Background(), ref, images.PullOptions{Insecure: true, Policy: pol})
		return err
	}

	// The lookaside server on the registry's host:port is covered by the flag.
	if err := pull(regSrv.URL + "/sigs"); err != nil {
		t.Fatalf("insecure pull with lookaside on the registry's host: %v", err)
	}
	if regSigHits.Load() == 0 {
		t.Error("the registry's lookaside server was not asked for signatures")
	}

	// Another server (here: another port on the same address) keeps its
	// certificate check, so the signature cannot be fetched.
	err = pull(other.URL + "/sigs")
	if !errors.Is(err, images.ErrPolicy) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("insecure pull with lookaside on another host: %v, want a certificate error from the policy check", err)
	}
	if n := otherHits.Load(); n != 0 {
		t.Errorf("the other lookaside server answered %d requests without a verified certificate", n)
	}
}
