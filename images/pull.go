package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/podunit/podunit/internal/fsfull"
	"golang.org/x/sync/errgroup"
)

// PullOptions tune Pull. The zero value pulls this host's platform with
// no signature policy.
type PullOptions struct {
	// Platform is "os/arch[/variant]"; empty means linux/GOARCH.
	Platform string
	// AllPlatforms stores every image of an index; the tag goes to the
	// Platform one.
	AllPlatforms bool
	// Insecure allows plain HTTP and unverified TLS for this reference's
	// registry only (--tls-verify=false).
	Insecure bool
	// Policy, when set, must accept the image before any layer is fetched.
	Policy *Policy
	// Jobs is how many layers download and unpack at once (default 3).
	Jobs int
	// Progress receives progress (redrawn in place on a terminal).
	Progress io.Writer
	// PullSecrets are Docker config documents (a pod's imagePullSecrets)
	// whose credentials are tried before the host's, as the kubelet does.
	PullSecrets [][]byte
}

// DefaultJobs is how many layers a pull or load fetches and unpacks at
// once.
const DefaultJobs = 3

// layerAttempts is how often a layer is fetched before a pull gives up on a
// transient failure (connection reset mid-blob, which the HTTP retries of
// go-containerregistry do not cover).
const layerAttempts = 3

// pullTarget is one image a pull stores.
type pullTarget struct {
	img         v1.Image
	digest      string
	repoDigests []string
	tagged      bool
}

// LocalRegistry is the registry part of images that exist only in the
// local store (loaded or built here), as in Podman: a reference to it is
// never pulled, since there is no registry at https://localhost to ask.
const LocalRegistry = "localhost"

// Pull fetches ref from its registry, checks the signature policy on the
// manifest the reference names, then downloads and unpacks the layers not
// yet in the store concurrently, without the store lock, and finally
// records the image under the lock. A pull killed at any point leaves no
// image record; layers it finished stay and the next pull skips them.
func (s *Store) Pull(ctx context.Context, ref string, o PullOptions) (imgs []*Image, err error) {
	defer func() { err = fsfull.Explain(err, "image store", s.root) }()
	prog := newProgress(o.Progress)
	if o.Jobs <= 0 {
		o.Jobs = DefaultJobs
	}
	want, err := parsePlatform(o.Platform)
	if err != nil {
		return nil, err
	}
	conf, err := loadRegistriesConf(RegistriesConfPaths)
	if err != nil {
		return nil, err
	}
	r, err := parseRef(ref, false)
	if err != nil {
		return nil, err
	}
	if r.Context().RegistryStr() == LocalRegistry {
		return nil, fmt.Errorf("image %s is not in the image store, and %s/ names local images only: load it with `podunit image load ARCHIVE` (a registry on this host is localhost:PORT/...)", ref, LocalRegistry)
	}
	insecure := o.Insecure || conf.insecure(repoName(r.Context()))
	if insecure {
		if r, err = parseRef(ref, true); err != nil {
			return nil, err
		}
	}
	keychain := Keychain()
	if len(o.PullSecrets) > 0 {
		secrets, err := secretsKeychain(o.PullSecrets)
		if err != nil {
			return nil, err
		}
		keychain = authn.NewMultiKeychain(secrets, keychain)
	}
	ropts := remoteOptions(insecure, o.Jobs, keychain)
	ropts = append(ropts, remote.WithContext(ctx))
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, pullError(r, err)
	}
	prog.printf("Pulling %s (%s)\n", FamiliarName(mustNormalize(r)), desc.Digest)

	var sigs []SignatureInfo
	if o.Policy != nil {
		if sigs, err = s.checkPolicy(ctx, o.Policy, r, desc.Digest.String(), insecure, ropts); err != nil {
			return nil, err
		}
	}
	targets, err := selectImages(r, desc, want, o.AllPlatforms)
	if err != nil {
		return nil, err
	}

	unlockPulls, err := s.pullLock()
	if err != nil {
		return nil, err
	}
	defer unlockPulls()

	recs := make([]*record, len(targets))
	var jobs []layerJob
	seen := map[string]bool{}
	for i, t := range targets {
		rec, ls, err := s.prepareTarget(r, t)
		if err != nil {
			return nil, err
		}
		rec.Signatures = sigs
		recs[i] = rec
		for _, j := range ls {
			if !seen[j.diffID] {
				seen[j.diffID] = true
				jobs = append(jobs, j)
			}
		}
	}
	if err := s.fetchLayers(ctx, jobs, o.Jobs, prog); err != nil {
		return nil, fmt.Errorf("pull %s: %w", r, err)
	}
	out, err := s.commitPull(ctx, targets, recs, desc)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", r, err)
	}
	for i, img := range out {
		what := targets[i].repoDigests[0]
		if targets[i].tagged {
			what = FamiliarName(mustNormalize(r))
		}
		prog.printf("Pulled %s (%s, %s/%s)\n", what, img.ShortID(), img.OS, img.Architecture)
	}
	return out, nil
}

func mustNormalize(r name.Reference) string {
	n, err := NormalizeName(r.String())
	if err != nil {
		return r.String()
	}
	return n
}

// pullError explains the registry errors users hit most.
func pullError(r name.Reference, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("pull %s: registry %s refused access (%d): check the credentials in ~/.docker/config.json, $XDG_RUNTIME_DIR/containers/auth.json or /etc/containers/auth.json: %w", r, r.Context().RegistryStr(), terr.StatusCode, err)
		case http.StatusNotFound:
			return fmt.Errorf("pull %s: not found in registry %s: %w", r, r.Context().RegistryStr(), err)
		}
	}
	return fmt.Errorf("pull %s: registry %s: %w", r, r.Context().RegistryStr(), err)
}

func parsePlatform(s string) (v1.Platform, error) {
	if s == "" {
		return v1.Platform{OS: "linux", Architecture: runtime.GOARCH}, nil
	}
	p, err := v1.ParsePlatform(s)
	if err != nil || p.OS == "" || p.Architecture == "" {
		return v1.Platform{}, fmt.Errorf("invalid platform %q (want os/arch[/variant], e.g. linux/arm64)", s)
	}
	return *p, nil
}

// selectImages picks the images of an index (or the one image) to store.
func selectImages(r name.Reference, desc *remote.Descriptor, want v1.Platform, all bool) ([]pullTarget, error) {
	repo := repoName(r.Context())
	_, isTag := r.(name.Tag)
	if !desc.MediaType.IsIndex() {
		img, err := desc.Image()
		if err != nil {
			return nil, pullError(r, err)
		}
		return []pullTarget{{img: img, digest: desc.Digest.String(), repoDigests: []string{repo + "@" + desc.Digest.String()}, tagged: isTag}}, nil
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, pullError(r, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, pullError(r, err)
	}
	var out []pullTarget
	var have []string
	chosen := false
	for _, d := range im.Manifests {
		if !d.MediaType.IsImage() {
			continue
		}
		match := !chosen && d.Platform != nil && d.Platform.Satisfies(want)
		if d.Platform != nil {
			have = append(have, d.Platform.String())
		}
		if !match && !all {
			continue
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			return nil, pullError(r, err)
		}
		t := pullTarget{img: img, digest: d.Digest.String(), repoDigests: []string{repo + "@" + d.Digest.String()}}
		if match {
			chosen = true
			t.tagged = isTag
			// The index digest names the image this platform resolves to.
			t.repoDigests = append(t.repoDigests, repo+"@"+desc.Digest.String())
		}
		out = append(out, t)
	}
	if !chosen {
		return nil, fmt.Errorf("pull %s: no image for %s in the index (it has %s)", r, want.String(), strings.Join(have, ", "))
	}
	return out, nil
}

// layerJob is one layer to fetch and unpack.
type layerJob struct {
	layer  v1.Layer
	diffID string
	digest string
	size   int64
}

// prepareTarget reads an image's config and lists the layers missing from
// the store.
func (s *Store) prepareTarget(r name.Reference, t pullTarget) (*record, []layerJob, error) {
	m, err := t.img.Manifest()
	if err != nil {
		return nil, nil, pullError(r, err)
	}
	rawCfg, err := t.img.RawConfigFile()
	if err != nil {
		return nil, nil, pullError(r, err)
	}
	sum := sha256.Sum256(rawCfg)
	id := "sha256:" + hex.EncodeToString(sum[:])
	if id != m.Config.Digest.String() {
		return nil, nil, fmt.Errorf("pull %s: config hashes to %s, manifest says %s: %w", r, id, m.Config.Digest, ErrDigestMismatch)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(rawCfg))
	if err != nil {
		return nil, nil, fmt.Errorf("pull %s: image %s: parse config: %w", r, ShortID(id), err)
	}
	if len(m.Layers) != len(cfg.RootFS.DiffIDs) {
		return nil, nil, fmt.Errorf("pull %s: image %s: %d layers but config lists %d diff IDs", r, ShortID(id), len(m.Layers), len(cfg.RootFS.DiffIDs))
	}
	var names []string
	if t.tagged {
		names = []string{mustNormalize(r)}
	}
	rec := newRecord(id, cfg, names, t.digest)
	rec.RepoDigests = t.repoDigests
	var jobs []layerJob
	for i, d := range m.Layers {
		diffID := cfg.RootFS.DiffIDs[i].String()
		if err := checkDigest(diffID); err != nil {
			return nil, nil, fmt.Errorf("pull %s: layer %d: %w", r, i, err)
		}
		if err := checkDigest(d.Digest.String()); err != nil {
			return nil, nil, fmt.Errorf("pull %s: layer %d: %w", r, i, err)
		}
		rec.Layers = append(rec.Layers, layerRecord{DiffID: diffID})
		if _, err := s.readLayerMeta(diffID); err == nil {
			continue
		}
		l, err := t.img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, nil, pullError(r, err)
		}
		jobs = append(jobs, layerJob{layer: l, diffID: diffID, digest: d.Digest.String(), size: d.Size})
	}
	return rec, jobs, nil
}

// fetchLayers downloads and unpacks layers concurrently, each straight
// from the network into a staging directory: no compressed copy is
// written, the blob digest and the DiffID are checked while streaming.
func (s *Store) fetchLayers(ctx context.Context, jobs []layerJob, n int, prog *progress) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(n)
	bars := make([]*bar, len(jobs))
	for i, j := range jobs {
		bars[i] = prog.bar(ShortID(j.digest), j.size)
	}
	for i, j := range jobs {
		b := bars[i]
		g.Go(func() error {
			var err error
			for attempt := 1; attempt <= layerAttempts; attempt++ {
				b.set("Fetching")
				src := layerSource{diffID: j.diffID, digest: j.digest, open: func() (io.ReadCloser, error) {
					b.reset()
					rc, err := j.layer.Compressed()
					if err != nil {
						return nil, err
					}
					return b.reader(rc), nil
				}}
				if _, err = s.ensureLayer(gctx, src, s.incomingDir(), io.Discard); err == nil {
					b.set("Done")
					return nil
				}
				if errors.Is(err, ErrUnsafeLayer) || errors.Is(err, ErrDigestMismatch) || gctx.Err() != nil || attempt == layerAttempts {
					break
				}
				b.set(fmt.Sprintf("Retrying (%d/%d)", attempt+1, layerAttempts))
				select {
				case <-gctx.Done():
				case <-time.After(time.Duration(attempt) * time.Second):
				}
			}
			b.set("Failed")
			return err
		})
	}
	return g.Wait()
}

// commitPull records the pulled images under the store lock. The layers
// are in place (and the pull lock keeps GC from them).
func (s *Store) commitPull(ctx context.Context, targets []pullTarget, recs []*record, desc *remote.Descriptor) ([]*Image, error) {
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, t := range targets {
		rec := recs[i]
		for k := range rec.Layers {
			m, err := s.readLayerMeta(rec.Layers[k].DiffID)
			if err != nil {
				return nil, fmt.Errorf("layer %s vanished: %w", rec.Layers[k].DiffID, err)
			}
			rec.Layers[k].Size = m.Size
		}
		rawCfg, err := t.img.RawConfigFile()
		if err != nil {
			return nil, err
		}
		if err := s.putBlob(rec.ID, bytes.NewReader(rawCfg)); err != nil {
			return nil, err
		}
		rawMan, err := t.img.RawManifest()
		if err != nil {
			return nil, err
		}
		if err := s.putBlob(t.digest, bytes.NewReader(rawMan)); err != nil {
			return nil, err
		}
	}
	if desc.MediaType.IsIndex() {
		// Kept so that inspect shows what the tag named and signatures
		// over the index can be checked again.
		if err := s.putBlob(desc.Digest.String(), bytes.NewReader(desc.Manifest)); err != nil {
			return nil, err
		}
	}
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	var out []*Image
	for _, rec := range recs {
		out = append(out, s.image(addRecord(idx, rec)))
	}
	if err := s.writeIndex(idx); err != nil {
		return nil, err
	}
	return out, nil
}

// checkPolicy fetches signatures as the policy needs them and applies it.
func (s *Store) checkPolicy(ctx context.Context, pol *Policy, r name.Reference, digest string, insecure bool, ropts []remote.Option) ([]SignatureInfo, error) {
	rd, err := loadRegistriesD(RegistriesDirs)
	if err != nil {
		return nil, err
	}
	base := rd.entryFor(r).lookaside()
	// --tls-verify=false (or insecure = true in registries.conf) names one
	// registry: a lookaside server elsewhere (another host or port, such
	// as a web server or CDN) keeps its certificate checks.
	tr := insecureTransport(false)
	if insecure {
		tr = registryOnly{registry: r.Context().RegistryStr(), insecure: insecureTransport(true), secure: tr}
	}
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	return pol.check(ctx, signatureSources{
		ref:    r,
		digest: digest,
		lookaside: func(ctx context.Context) ([]rawSignature, error) {
			return lookasideSignatures(ctx, base, r, digest, client)
		},
		attachments: func(ctx context.Context) ([]rawSignature, error) {
			return sigstoreAttachments(ctx, r.Context(), digest, ropts)
		},
	})
}

// registryOnly skips TLS verification only for requests to the
// registry's own host, decided per request, so a redirect elsewhere keeps
// its certificate checks too.
type registryOnly struct {
	registry         string
	insecure, secure http.RoundTripper
}

func (t registryOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if sameRegistryHost(req.URL.String(), t.registry) {
		return t.insecure.RoundTrip(req)
	}
	return t.secure.RoundTrip(req)
}

// sameRegistryHost reports whether a URL (a lookaside one, or a request's)
// is served by the registry itself: the same host[:port], ignoring case
// and an explicit default TLS port (443). A URL that does not parse, or
// has no host (a file:// one), never matches.
func sameRegistryHost(rawURL, registry string) bool {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return false
	}
	norm := func(h string) string { return strings.TrimSuffix(strings.ToLower(h), ":443") }
	return norm(u.Host) == norm(registry)
}
