package images

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"gopkg.in/yaml.v3"

	"github.com/podunit/podunit/internal/layout"
)

// RegistriesDirs hold containers-registries.d(5) YAML files; podunit's own
// directory first, so its scopes win over the containers ones.
var RegistriesDirs = []string{layout.ConfigDir + "/registries.d", "/etc/containers/registries.d"}

// defaultLookaside is where containers/image keeps signatures when nothing
// is configured.
const defaultLookaside = "file:///var/lib/containers/sigstore"

// maxSignatures bounds how many lookaside signatures are fetched for one
// image, so a hostile server cannot keep a pull busy forever.
const maxSignatures = 64

type registriesDEntry struct {
	Lookaside        string `yaml:"lookaside"`
	LookasideStaging string `yaml:"lookaside-staging"`
	// The pre-5.22 spellings of the same keys.
	Sigstore        string `yaml:"sigstore"`
	SigstoreStaging string `yaml:"sigstore-staging"`
	UseAttachments  bool   `yaml:"use-sigstore-attachments"`
}

type registriesD struct {
	defaultDocker *registriesDEntry
	docker        map[string]registriesDEntry
}

func loadRegistriesD(dirs []string) (*registriesD, error) {
	rd := &registriesD{docker: map[string]registriesDEntry{}}
	for _, dir := range dirs {
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("registries.d: %w", err)
		}
		var names []string
		for _, e := range ents {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			p := filepath.Join(dir, n)
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("registries.d: %w", err)
			}
			var f struct {
				DefaultDocker *registriesDEntry           `yaml:"default-docker"`
				Docker        map[string]registriesDEntry `yaml:"docker"`
			}
			if err := yaml.Unmarshal(data, &f); err != nil {
				return nil, fmt.Errorf("registries.d %s: %w", p, err)
			}
			if f.DefaultDocker != nil && rd.defaultDocker == nil {
				rd.defaultDocker = f.DefaultDocker
			}
			for scope, e := range f.Docker {
				if _, ok := rd.docker[scope]; !ok {
					rd.docker[scope] = e
				}
			}
		}
	}
	return rd, nil
}

// entryFor finds the most specific entry for ref (same scopes as policy.json).
func (rd *registriesD) entryFor(ref name.Reference) registriesDEntry {
	for _, s := range policyScopes(ref) {
		if e, ok := rd.docker[s]; ok && s != "" {
			return e
		}
	}
	if rd.defaultDocker != nil {
		return *rd.defaultDocker
	}
	return registriesDEntry{}
}

// lookaside is the base URL signatures are read from.
func (e registriesDEntry) lookaside() string {
	switch {
	case e.Lookaside != "":
		return e.Lookaside
	case e.Sigstore != "":
		return e.Sigstore
	}
	return defaultLookaside
}

// lookasideSignatures reads signature-1, signature-2, ... for the
// manifest digest until one is missing, as containers/image lays them out:
// <base>/<repository path>@sha256=<hex>/signature-N.
func lookasideSignatures(ctx context.Context, base string, ref name.Reference, digest string, client *http.Client) ([]rawSignature, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("lookaside %q: %w", base, err)
	}
	algo, hexd, _ := strings.Cut(digest, ":")
	dir := strings.TrimSuffix(u.Path, "/") + "/" + ref.Context().RepositoryStr() + "@" + algo + "=" + hexd
	var out []rawSignature
	for i := 1; i <= maxSignatures; i++ {
		v := *u
		v.Path = fmt.Sprintf("%s/signature-%d", dir, i)
		data, err := fetchLookaside(ctx, &v, client)
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return out, err
		}
		out = append(out, rawSignature{source: v.String(), data: data})
	}
	return out, nil
}

// maxSignatureSize bounds one signature's size (real ones are < 1 KiB).
const maxSignatureSize = 4 << 20

func fetchLookaside(ctx context.Context, u *url.URL, client *http.Client) ([]byte, error) {
	switch u.Scheme {
	case "file":
		f, err := os.Open(u.Path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return io.ReadAll(io.LimitReader(f, maxSignatureSize))
	case "http", "https":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("lookaside: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return nil, fs.ErrNotExist
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("lookaside %s: %s", u, resp.Status)
		}
		return io.ReadAll(io.LimitReader(resp.Body, maxSignatureSize))
	}
	return nil, fmt.Errorf("lookaside %s: unsupported scheme %q", u, u.Scheme)
}
