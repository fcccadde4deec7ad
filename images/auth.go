package images

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Keychain returns the credentials podunit uses for registries: the
// containers auth files first (as Podman reads them), then Docker's
// config (go-containerregistry's DefaultKeychain, which also runs Docker
// credential helpers). The first file with an entry for the registry wins.
func Keychain() authn.Keychain {
	return authn.NewMultiKeychain(authFilesKeychain{files: authFiles()}, authn.DefaultKeychain)
}

// authFiles lists the containers-auth.json(5) files in Podman's order, plus
// the system-wide /etc/containers/auth.json podunit also reads since pods
// are started by root without a login session.
func authFiles() []string {
	var out []string
	if f := os.Getenv("REGISTRY_AUTH_FILE"); f != "" {
		out = append(out, f)
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		out = append(out, filepath.Join(d, "containers", "auth.json"))
	} else {
		out = append(out, fmt.Sprintf("/run/containers/%d/auth.json", os.Getuid()))
	}
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		out = append(out, filepath.Join(d, "containers", "auth.json"))
	} else if home, err := os.UserHomeDir(); err == nil {
		out = append(out, filepath.Join(home, ".config", "containers", "auth.json"))
	}
	return append(out, "/etc/containers/auth.json")
}

type authFilesKeychain struct{ files []string }

type authEntry struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

// Resolve looks the resource up in every auth file. A malformed file is
// an error rather than silently anonymous: a user who wrote credentials
// expects them to be used.
func (k authFilesKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	for _, f := range k.files {
		data, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("registry credentials: %w", err)
		}
		var file struct {
			Auths map[string]authEntry `json:"auths"`
		}
		if err := json.Unmarshal(data, &file); err != nil {
			return nil, fmt.Errorf("registry credentials %s: %w", f, err)
		}
		if e, ok := lookupAuth(file.Auths, target); ok {
			a, err := e.authenticator()
			if err != nil {
				return nil, fmt.Errorf("registry credentials %s: %s: %w", f, target.RegistryStr(), err)
			}
			return a, nil
		}
	}
	return authn.Anonymous, nil
}

// lookupAuth finds the most specific key: containers-auth.json allows
// "registry/namespace/repo" keys besides "registry" (and Docker's
// "https://registry" spelling).
func lookupAuth(auths map[string]authEntry, target authn.Resource) (authEntry, bool) {
	norm := map[string]authEntry{}
	for k, v := range auths {
		k = strings.TrimPrefix(strings.TrimPrefix(k, "https://"), "http://")
		k = strings.TrimSuffix(strings.TrimSuffix(k, "/v1/"), "/v2/")
		norm[strings.TrimSuffix(k, "/")] = v
	}
	reg := target.RegistryStr()
	key := target.String()
	if reg == "index.docker.io" {
		key = strings.Replace(key, "index.docker.io", dockerHub, 1)
	}
	for key != "" {
		if e, ok := norm[key]; ok {
			return e, true
		}
		if reg == "index.docker.io" && key == dockerHub {
			if e, ok := norm[reg]; ok {
				return e, true
			}
		}
		i := strings.LastIndex(key, "/")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return authEntry{}, false
}

func (e authEntry) authenticator() (authn.Authenticator, error) {
	cfg := authn.AuthConfig{Username: e.Username, Password: e.Password, IdentityToken: e.IdentityToken, RegistryToken: e.RegistryToken}
	if e.Auth != "" {
		raw, err := base64.StdEncoding.DecodeString(e.Auth)
		if err != nil {
			return nil, fmt.Errorf("auth is not base64: %w", err)
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return nil, errors.New(`auth is not base64("user:password")`)
		}
		cfg.Username, cfg.Password = user, pass
	}
	return authn.FromConfig(cfg), nil
}

// secretsKeychain reads credentials from Docker config documents: a
// Kubernetes dockerconfigjson Secret's .dockerconfigjson ({"auths": {...}})
// or a dockercfg Secret's .dockercfg (the map alone). The first document
// with an entry for the registry wins.
func secretsKeychain(docs [][]byte) (authn.Keychain, error) {
	k := docsKeychain{}
	for i, d := range docs {
		var cfg struct {
			Auths map[string]authEntry `json:"auths"`
		}
		if err := json.Unmarshal(d, &cfg); err != nil {
			return nil, fmt.Errorf("image pull secret %d: %w", i, err)
		}
		if cfg.Auths == nil {
			// The legacy .dockercfg form is the auths map itself.
			if err := json.Unmarshal(d, &cfg.Auths); err != nil {
				return nil, fmt.Errorf("image pull secret %d: %w", i, err)
			}
		}
		k = append(k, cfg.Auths)
	}
	return k, nil
}

type docsKeychain []map[string]authEntry

func (k docsKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	for _, auths := range k {
		if e, ok := lookupAuth(auths, target); ok {
			return e.authenticator()
		}
	}
	return authn.Anonymous, nil
}
