package images

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// ErrPolicy is wrapped by every refusal of the signature policy.
var ErrPolicy = errors.New("rejected by signature policy")

// signatureSources fetches an image's signatures on demand: only the
// requirement types the policy names cause network traffic.
type signatureSources struct {
	ref    name.Reference
	digest string // of the top-level manifest the tag names
	// lookaside returns simple-signing signatures (registries.d storage);
	// attachments returns cosign-style ones from the registry.
	lookaside   func(context.Context) ([]rawSignature, error)
	attachments func(context.Context) ([]rawSignature, error)
}

// check applies the policy to an image before any of its layers is
// fetched. Every requirement of the scope must be met; signedBy and
// sigstoreSigned need one valid signature each. It returns what it found.
func (p *Policy) check(ctx context.Context, src signatureSources) ([]SignatureInfo, error) {
	sr := p.For(src.ref)
	var found []SignatureInfo
	fail := func(i int, r Requirement, err error) error {
		return fmt.Errorf("image %s (%s) %w %s: %s[%d] (%s): %w",
			src.ref, ShortID(src.digest), ErrPolicy, p.Path, sr.Scope, i, r.Type, err)
	}
	for i, r := range sr.Requirements {
		var sigs []rawSignature
		var err error
		switch r.Type {
		case "insecureAcceptAnything":
			continue
		case "reject":
			return found, fail(i, r, errors.New("the policy rejects every image in this scope"))
		case "signedBy":
			sigs, err = src.lookaside(ctx)
		case "sigstoreSigned":
			sigs, err = src.attachments(ctx)
		}
		if err != nil {
			return found, fail(i, r, fmt.Errorf("fetch signatures: %w", err))
		}
		if len(sigs) == 0 {
			return found, fail(i, r, errors.New("no signature found"))
		}
		var errs []error
		ok := false
		for _, sig := range sigs {
			info := verifyOne(r, sig, src)
			found = append(found, info)
			if info.Verified {
				ok = true
			} else {
				errs = append(errs, fmt.Errorf("%s: %s", sig.source, info.Error))
			}
		}
		if !ok {
			return found, fail(i, r, errors.Join(errs...))
		}
	}
	return found, nil
}

func verifyOne(r Requirement, sig rawSignature, src signatureSources) SignatureInfo {
	info := SignatureInfo{Source: sig.source}
	var payload []byte
	var err error
	if r.Type == "signedBy" {
		info.Type = "simple-signing"
		payload, info.Signer, err = verifyGPG(r.keys, sig.data)
	} else {
		info.Type = "sigstore"
		payload = sig.payload
		info.Signer, err = verifySigstore(r.keys, payload, sig.data)
	}
	if err == nil {
		want := simpleSigningType
		if r.Type == "sigstoreSigned" {
			want = cosignType
		}
		info.Identity, err = checkPayload(payload, want, src.digest, r.SignedIdentity, src.ref)
	}
	if err != nil {
		info.Error = err.Error()
		return info
	}
	info.Verified = true
	return info
}

// Cosign's attachment conventions.
const (
	cosignSignatureAnnotation = "dev.cosignproject.cosign/signature"
	cosignPayloadMediaType    = "application/vnd.dev.cosign.simplesigning.v1+json"
)

// sigstoreAttachments reads the signatures cosign (and containers/image
// with use-sigstore-attachments) stores as the tag sha256-<hex>.sig.
func sigstoreAttachments(ctx context.Context, repo name.Repository, digest string, opts []remote.Option) ([]rawSignature, error) {
	tag := repo.Tag(strings.Replace(digest, ":", "-", 1) + ".sig")
	img, err := remote.Image(tag, append(opts, remote.WithContext(ctx))...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	var out []rawSignature
	for i, l := range m.Layers {
		if i >= maxSignatures {
			break
		}
		b64, ok := l.Annotations[cosignSignatureAnnotation]
		if !ok || l.MediaType != cosignPayloadMediaType || l.Size > maxSignatureSize {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("%s: signature annotation is not base64: %w", tag, err)
		}
		layer, err := img.LayerByDigest(l.Digest)
		if err != nil {
			return nil, err
		}
		rc, err := layer.Compressed()
		if err != nil {
			return nil, err
		}
		payload, err := io.ReadAll(io.LimitReader(rc, maxSignatureSize))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: payload %s: %w", tag, l.Digest, err)
		}
		out = append(out, rawSignature{source: tag.String(), data: sig, payload: payload})
	}
	return out, nil
}
