package images

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/podunit/podunit/internal/layout"
)

// PolicyPaths are tried in order; the first that exists is the policy
// (podunit's own, then containers-policy.json(5)'s). With neither, every
// image is accepted, as with no policy.json Podman refuses to run but
// podunit's users load images by hand too; `podunit info` says so.
var PolicyPaths = []string{layout.ConfigDir + "/policy.json", "/etc/containers/policy.json"}

// Policy is a parsed containers-policy.json. Only the docker transport's
// scopes apply to pulls; other transports are parsed but unused.
type Policy struct {
	Path       string
	Default    []Requirement
	Transports map[string]map[string][]Requirement
}

// Requirement is one policy requirement. Which fields matter depends on
// Type; parsing checks that the combination makes sense.
type Requirement struct {
	Type           string          `json:"type"`
	KeyType        string          `json:"keyType,omitempty"`
	KeyPath        string          `json:"keyPath,omitempty"`
	KeyPaths       []string        `json:"keyPaths,omitempty"`
	KeyData        string          `json:"keyData,omitempty"`
	SignedIdentity *SignedIdentity `json:"signedIdentity,omitempty"`

	// keys holds the key material read at load time, so a missing key
	// file is a policy error, not a per-pull surprise.
	keys [][]byte
}

// SignedIdentity says which identity a signature must claim.
type SignedIdentity struct {
	Type             string `json:"type"`
	DockerReference  string `json:"dockerReference,omitempty"`
	DockerRepository string `json:"dockerRepository,omitempty"`
}

// LoadPolicy reads the first of paths that exists. It returns nil, nil
// when none does.
func LoadPolicy(paths []string) (*Policy, error) {
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("signature policy: %w", err)
		}
		pol, err := ParsePolicy(data)
		if err != nil {
			return nil, fmt.Errorf("signature policy %s: %w", p, err)
		}
		pol.Path = p
		return pol, nil
	}
	return nil, nil
}

// ParsePolicy parses policy.json text strictly: unknown fields and
// requirement types are errors, because a typo must not weaken a policy.
func ParsePolicy(data []byte) (*Policy, error) {
	var raw struct {
		Default    []Requirement                       `json:"default"`
		Transports map[string]map[string][]Requirement `json:"transports"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	if len(raw.Default) == 0 {
		return nil, errors.New(`"default" must list at least one requirement`)
	}
	p := &Policy{Default: raw.Default, Transports: raw.Transports}
	if err := checkRequirements("default", p.Default); err != nil {
		return nil, err
	}
	for tr, scopes := range p.Transports {
		for scope, reqs := range scopes {
			where := fmt.Sprintf("transports.%s[%q]", tr, scope)
			if len(reqs) == 0 {
				return nil, fmt.Errorf("%s: empty requirement list", where)
			}
			if tr == "docker" && scope != "" {
				if err := checkDockerScope(scope); err != nil {
					return nil, fmt.Errorf("%s: %w", where, err)
				}
			}
			if err := checkRequirements(where, reqs); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

func checkDockerScope(scope string) error {
	if rest, ok := strings.CutPrefix(scope, "*."); ok {
		if rest == "" || strings.ContainsAny(rest, "/*") {
			return errors.New("a wildcard scope must look like *.example.com")
		}
		return nil
	}
	if strings.Contains(scope, "*") || strings.HasSuffix(scope, "/") {
		return errors.New("invalid scope")
	}
	return nil
}

func checkRequirements(where string, reqs []Requirement) error {
	for i := range reqs {
		r := &reqs[i]
		at := fmt.Sprintf("%s[%d] (%s)", where, i, r.Type)
		switch r.Type {
		case "insecureAcceptAnything", "reject":
			if r.KeyType != "" || r.KeyPath != "" || len(r.KeyPaths) > 0 || r.KeyData != "" || r.SignedIdentity != nil {
				return fmt.Errorf("%s: takes no other fields", at)
			}
			continue
		case "signedBy":
			if r.KeyType != "GPGKeys" {
				return fmt.Errorf("%s: keyType %q is not supported (want GPGKeys)", at, r.KeyType)
			}
		case "sigstoreSigned":
			if r.KeyType != "" {
				return fmt.Errorf("%s: keyType is not a sigstoreSigned field", at)
			}
		default:
			return fmt.Errorf("%s: unknown requirement type (want insecureAcceptAnything, reject, signedBy or sigstoreSigned)", at)
		}
		keys, err := r.readKeys()
		if err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		r.keys = keys
		if err := checkIdentity(r.SignedIdentity); err != nil {
			return fmt.Errorf("%s: signedIdentity: %w", at, err)
		}
	}
	return nil
}

func (r *Requirement) readKeys() ([][]byte, error) {
	n := 0
	for _, set := range []bool{r.KeyPath != "", len(r.KeyPaths) > 0, r.KeyData != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, errors.New("exactly one of keyPath, keyPaths and keyData is required")
	}
	if r.KeyData != "" {
		b, err := base64.StdEncoding.DecodeString(r.KeyData)
		if err != nil {
			return nil, fmt.Errorf("keyData is not base64: %w", err)
		}
		return [][]byte{b}, nil
	}
	paths := r.KeyPaths
	if r.KeyPath != "" {
		paths = []string{r.KeyPath}
	}
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

func checkIdentity(id *SignedIdentity) error {
	if id == nil {
		return nil
	}
	switch id.Type {
	case "matchExact", "matchRepoDigestOrExact", "matchRepository":
		if id.DockerReference != "" || id.DockerRepository != "" {
			return fmt.Errorf("%s takes no other fields", id.Type)
		}
	case "exactReference":
		r, err := name.ParseReference(id.DockerReference, name.StrictValidation)
		if err != nil {
			return fmt.Errorf("exactReference: dockerReference: %w", err)
		}
		if _, ok := r.(name.Tag); !ok {
			return errors.New("exactReference: dockerReference must have a tag")
		}
	case "exactRepository":
		if _, err := name.NewRepository(id.DockerRepository, name.StrictValidation); err != nil {
			return fmt.Errorf("exactRepository: dockerRepository: %w", err)
		}
	default:
		return fmt.Errorf("type %q is not supported (want matchExact, matchRepoDigestOrExact, matchRepository, exactReference or exactRepository)", id.Type)
	}
	return nil
}

// ScopedRequirement is the requirement list that applies to an image and
// the scope it came from ("default" or the transports.docker key).
type ScopedRequirement struct {
	Scope        string
	Requirements []Requirement
}

// For returns the requirements for a docker reference: the most specific
// scope among repo:tag (or repo@digest), the repository, each parent
// namespace, the registry, *.domain wildcards, the transport's "" scope
// and finally "default".
func (p *Policy) For(ref name.Reference) ScopedRequirement {
	scopes := p.Transports["docker"]
	for _, s := range policyScopes(ref) {
		if reqs, ok := scopes[s]; ok {
			return ScopedRequirement{Scope: `transports.docker["` + s + `"]`, Requirements: reqs}
		}
	}
	return ScopedRequirement{Scope: "default", Requirements: p.Default}
}

// policyScopes lists the scopes for ref, most specific first, with Docker
// Hub spelled docker.io as in policy files.
func policyScopes(ref name.Reference) []string {
	repo := repoName(ref.Context())
	var out []string
	switch r := ref.(type) {
	case name.Tag:
		out = append(out, repo+":"+r.TagStr())
	case name.Digest:
		out = append(out, repo+"@"+r.DigestStr())
	}
	for p := repo; ; {
		out = append(out, p)
		i := strings.LastIndex(p, "/")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	host := strings.Split(repo, "/")[0]
	host, _, _ = strings.Cut(host, ":")
	for {
		i := strings.Index(host, ".")
		if i < 0 {
			break
		}
		host = host[i+1:]
		out = append(out, "*."+host)
	}
	return append(out, "")
}
