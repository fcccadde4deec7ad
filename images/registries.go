package images

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/podunit/podunit/internal/layout"
)

// RegistriesConfPaths are read in order; the first that exists is used
// (podunit's own file, then the containers-registries.conf(5) one).
var RegistriesConfPaths = []string{layout.ConfigDir + "/registries.conf", "/etc/containers/registries.conf"}

// registriesConf is the part of containers-registries.conf(5) v2 podunit
// honours: which registries are insecure (plain HTTP or unverified TLS).
type registriesConf struct {
	path       string
	Registries []struct {
		Prefix   string `toml:"prefix"`
		Location string `toml:"location"`
		Insecure bool   `toml:"insecure"`
	} `toml:"registry"`
}

func loadRegistriesConf(paths []string) (*registriesConf, error) {
	for _, p := range paths {
		var c registriesConf
		_, err := toml.DecodeFile(p, &c)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("registries config %s: %w", p, err)
		}
		c.path = p
		return &c, nil
	}
	return &registriesConf{}, nil
}

// insecure reports whether repo ("host[:port]/path") is covered by an
// insecure = true entry. The longest matching prefix decides, as in
// containers-registries.conf.
func (c *registriesConf) insecure(repo string) bool {
	best, res := -1, false
	for _, r := range c.Registries {
		p := r.Prefix
		if p == "" {
			p = r.Location
		}
		if p == "" || len(p) <= best {
			continue
		}
		if repo == p || strings.HasPrefix(repo, p+"/") || strings.HasPrefix(repo, p+":") {
			best, res = len(p), r.Insecure
		}
	}
	return res
}

// remoteOptions are the registry client settings for one pull. Insecure
// transport is used only when asked for this registry (flag or config),
// never globally.
func remoteOptions(insecure bool, jobs int, keychain authn.Keychain) []remote.Option {
	return []remote.Option{
		remote.WithTransport(insecureTransport(insecure)),
		remote.WithAuthFromKeychain(keychain),
		remote.WithUserAgent("podunit"),
		remote.WithJobs(jobs),
		remote.WithRetryBackoff(remote.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 4}),
		remote.WithRetryStatusCodes(http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout),
	}
}

func insecureTransport(insecure bool) http.RoundTripper {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by --tls-verify=false for this registry
	}
	return tr
}

// parseRef parses a pull reference; an insecure registry may be reached
// over plain HTTP (go-containerregistry already does so for localhost).
func parseRef(ref string, insecure bool) (name.Reference, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("invalid image name %q: %w", ref, err)
	}
	return r, nil
}
