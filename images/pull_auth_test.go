package images_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/podunit/podunit/images"
)

// bearerRegistry is go-containerregistry's in-process registry behind
// Docker-style token auth: every /v2/ request without a token /token issued
// is answered 401 with a Bearer challenge, and /token issues tokens only
// for the Basic credentials in users.
type bearerRegistry struct {
	host  string
	users map[string]string // user -> password

	mu     sync.Mutex
	tokens map[string]string // token -> user it was issued to
	// pulledBy lists, per manifest GET, the user whose token it carried.
	pulledBy []string
	// refused counts /token requests with missing or wrong credentials.
	refused int
}

func newBearerRegistry(t *testing.T, users map[string]string) *bearerRegistry {
	t.Helper()
	br := &bearerRegistry{users: users, tokens: map[string]string{}}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		br.mu.Lock()
		defer br.mu.Unlock()
		if want, known := br.users[u]; !ok || !known || p != want {
			br.refused++
			w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`, http.StatusUnauthorized)
			return
		}
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		tok := hex.EncodeToString(b)
		br.tokens[tok] = u
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"token": tok})
	})
	var realm string
	mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		br.mu.Lock()
		user, valid := br.tokens[tok]
		if ok && valid && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/") {
			br.pulledBy = append(br.pulledBy, user)
		}
		br.mu.Unlock()
		if !ok || !valid {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q,service="test"`, realm))
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"token required"}]}`, http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	realm = srv.URL + "/token"
	br.host = strings.TrimPrefix(srv.URL, "http://")
	return br
}

// take returns whose tokens the manifest GETs carried and how many token
// requests were refused since the last call.
func (br *bearerRegistry) take() (pulledBy []string, refused int) {
	br.mu.Lock()
	defer br.mu.Unlock()
	pulledBy, refused = br.pulledBy, br.refused
	br.pulledBy, br.refused = nil, 0
	return pulledBy, refused
}

// writeAuth writes an auth file (containers-auth.json and Docker's
// config.json share the format); entries maps a key (registry or
// registry/namespace) to "user:password".
func writeAuth(t *testing.T, path string, entries map[string]string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(path), 0o700))
	auths := map[string]map[string]string{}
	for key, userPass := range entries {
		auths[key] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(userPass))}
	}
	data, err := json.Marshal(map[string]any{"auths": auths})
	must(t, err)
	must(t, os.WriteFile(path, data, 0o600))
}

// pushBearer pushes a one-layer image to br as the "pusher" user.
func pushBearer(t *testing.T, br *bearerRegistry, ref string) {
	t.Helper()
	r, err := name.ParseReference(ref)
	must(t, err)
	must(t, remote.Write(r, randomImage(t, 1), remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "pusher", Password: br.users["pusher"]}))))
	br.take()
}

// checkRefused asserts that a pull without usable credentials fails with the
// explanation pullError gives, and stores nothing.
func checkRefused(t *testing.T, br *bearerRegistry, s *images.Store, ref string) {
	t.Helper()
	_, err := s.Pull(context.Background(), ref, images.PullOptions{})
	if err == nil {
		t.Fatal("pull without credentials succeeded")
	}
	for _, want := range []string{"refused access (401)", br.host, "auth.json", "config.json"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("pull without credentials: error %q does not mention %q", err, want)
		}
	}
	if by, refused := br.take(); len(by) != 0 || refused == 0 {
		t.Errorf("pull without credentials: manifests pulled by %v, %d token requests refused", by, refused)
	}
	if l, _ := s.List(); len(l) != 0 {
		t.Errorf("store has %d images after a refused pull", len(l))
	}
}

// checkPulledAs asserts that the pull succeeds and that the manifest was
// fetched with a token issued to user (and to no one else).
func checkPulledAs(t *testing.T, br *bearerRegistry, s *images.Store, ref, user string) {
	t.Helper()
	got, err := s.Pull(context.Background(), ref, images.PullOptions{})
	if err != nil {
		t.Fatalf("pull with %s's credentials: %v", user, err)
	}
	if len(got) != 1 {
		t.Fatalf("pulled %d images", len(got))
	}
	by, _ := br.take()
	if len(by) == 0 || slices.ContainsFunc(by, func(u string) bool { return u != user }) {
		t.Errorf("manifest GETs carried tokens of %v, want only %s", by, user)
	}
}

// TestPullBearerAuthRuntimeDir: credentials in
// $XDG_RUNTIME_DIR/containers/auth.json (where podman login writes them)
// are used for the token exchange of a Bearer-auth registry.
func TestPullBearerAuthRuntimeDir(t *testing.T) {
	dir := isolate(t)
	runtimeDir := filepath.Join(dir, "run")
	t.Setenv("XDG_RUNTIME_DIR", runtimeDir)
	br := newBearerRegistry(t, map[string]string{"pusher": "push-pw", "carol": "runtime-pw", "erin": "ns-pw"})
	ref := br.host + "/private/app:1"
	pushBearer(t, br, ref)
	s := openStore(t)
	authFile := filepath.Join(runtimeDir, "containers", "auth.json")

	checkRefused(t, br, s, ref)
	// A wrong password is refused just the same.
	writeAuth(t, authFile, map[string]string{br.host: "carol:wrong"})
	checkRefused(t, br, s, ref)

	writeAuth(t, authFile, map[string]string{br.host: "carol:runtime-pw"})
	checkPulledAs(t, br, s, ref, "carol")

	// go-containerregistry's own keychain reads this file too, but would
	// pick the registry-wide entry; podunit's search (which must have
	// found the file) prefers the most specific key.
	must(t, s.Remove(ref))
	writeAuth(t, authFile, map[string]string{br.host: "carol:runtime-pw", br.host + "/private": "erin:ns-pw"})
	checkPulledAs(t, br, s, ref, "erin")
}

// dockerHomeChild marks the child process TestPullBearerAuthDockerHome
// runs itself in.
const dockerHomeChild = "PODUNIT_TEST_DOCKER_HOME_CHILD"

// TestPullBearerAuthDockerHome: credentials in ~/.docker/config.json
// ($DOCKER_CONFIG unset) are used for the token exchange.
//
// docker/cli resolves its config directory once per process (a sync.Once
// over $DOCKER_CONFIG and $HOME), so a test in this process cannot point
// it at a temporary HOME reliably (not with -count=2, nor after another
// test resolved it). The test therefore re-runs itself in a fresh test
// process in which nothing resolved it before HOME is set.
func TestPullBearerAuthDockerHome(t *testing.T) {
	if os.Getenv(dockerHomeChild) == "" {
		args := []string{"-test.run=^" + t.Name() + "$", "-test.count=1", "-test.v"}
		if testing.Short() {
			args = append(args, "-test.short")
		}
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), dockerHomeChild+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
			t.Fatalf("child test process: %v\n%s", err, out)
		}
		return
	}

	home := isolate(t)
	// Only ~/.docker/config.json may hold credentials: $DOCKER_CONFIG would
	// take precedence over HOME in docker/cli, and the containers auth
	// files are elsewhere (and absent).
	t.Setenv("DOCKER_CONFIG", "")
	os.Unsetenv("DOCKER_CONFIG")
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(home, "run"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	br := newBearerRegistry(t, map[string]string{"pusher": "push-pw", "dave": "docker-pw"})
	ref := br.host + "/private/app:1"
	pushBearer(t, br, ref)
	s := openStore(t)

	checkRefused(t, br, s, ref)
	// docker login writes the same {"auths":{...}} format.
	writeAuth(t, filepath.Join(home, ".docker", "config.json"), map[string]string{br.host: "dave:docker-pw"})
	checkPulledAs(t, br, s, ref, "dave")
}
