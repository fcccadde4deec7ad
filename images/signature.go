package images

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/google/go-containerregistry/pkg/name"
)

// SignatureInfo describes one signature found for an image at pull time.
type SignatureInfo struct {
	// Type is "simple-signing" (GPG, from lookaside storage) or "sigstore"
	// (a cosign-style signature attached in the registry).
	Type   string `json:"type"`
	Source string `json:"source"`
	// Signer is the GPG key fingerprint or the public key's SHA-256.
	Signer   string `json:"signer,omitempty"`
	Identity string `json:"identity,omitempty"`
	Verified bool   `json:"verified"`
	Error    string `json:"error,omitempty"`
}

type rawSignature struct {
	source string
	data   []byte
	// sigstore only: the payload the signature covers.
	payload []byte
}

// Payload types of the two formats (containers-signature(5) and cosign).
const (
	simpleSigningType = "atomic container signature"
	cosignType        = "cosign container image signature"
)

// signaturePayload is the "simple signing" JSON both formats sign.
type signaturePayload struct {
	Critical struct {
		Type  string `json:"type"`
		Image struct {
			Digest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Identity struct {
			Reference string `json:"docker-reference"`
		} `json:"identity"`
	} `json:"critical"`
}

// checkPayload verifies that a signed payload is about this manifest and
// that its identity satisfies the requirement, returning the identity.
func checkPayload(payload []byte, wantType, digest string, id *SignedIdentity, pulled name.Reference) (string, error) {
	var p signaturePayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return "", fmt.Errorf("signed payload: %w", err)
	}
	c := p.Critical
	if c.Type != wantType {
		return "", fmt.Errorf("signed payload type %q, want %q", c.Type, wantType)
	}
	if c.Image.Digest != digest {
		return c.Identity.Reference, fmt.Errorf("signature is for manifest %s, not %s", c.Image.Digest, digest)
	}
	if err := matchIdentity(id, pulled, c.Identity.Reference); err != nil {
		return c.Identity.Reference, err
	}
	return c.Identity.Reference, nil
}

// matchIdentity applies signedIdentity (default matchRepoDigestOrExact).
func matchIdentity(id *SignedIdentity, pulled name.Reference, signed string) error {
	sref, err := name.ParseReference(signed, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("signed identity %q: %w", signed, err)
	}
	sfull, _ := NormalizeName(signed)
	pfull, _ := NormalizeName(pulled.String())
	srepo, prepo := repoName(sref.Context()), repoName(pulled.Context())
	typ := "matchRepoDigestOrExact"
	if id != nil {
		typ = id.Type
	}
	ok := false
	switch typ {
	case "matchExact":
		_, isTag := pulled.(name.Tag)
		ok = isTag && sfull == pfull
	case "matchRepoDigestOrExact":
		if _, isDigest := pulled.(name.Digest); isDigest {
			ok = srepo == prepo
		} else {
			ok = sfull == pfull
		}
	case "matchRepository":
		ok = srepo == prepo
	case "exactReference":
		want, _ := NormalizeName(id.DockerReference)
		ok = sfull == want
	case "exactRepository":
		r, _ := name.NewRepository(id.DockerRepository)
		ok = srepo == repoName(r)
	}
	if !ok {
		return fmt.Errorf("signed identity %q does not satisfy %s for %s", signed, typ, FamiliarName(pfull))
	}
	return nil
}

// verifyGPG checks an OpenPGP-signed simple-signing blob against the
// requirement's keys and returns the payload and the signer fingerprint.
func verifyGPG(keys [][]byte, sig []byte) ([]byte, string, error) {
	var ring openpgp.EntityList
	for _, k := range keys {
		el, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(k))
		if err != nil {
			el, err = openpgp.ReadKeyRing(bytes.NewReader(k))
		}
		if err != nil {
			return nil, "", fmt.Errorf("read GPG key: %w", err)
		}
		ring = append(ring, el...)
	}
	md, err := openpgp.ReadMessage(bytes.NewReader(sig), ring, nil, nil)
	if err != nil {
		return nil, "", fmt.Errorf("not an OpenPGP signature: %w", err)
	}
	if !md.IsSigned {
		return nil, "", errors.New("OpenPGP message is not signed")
	}
	if md.SignedBy == nil {
		return nil, "", fmt.Errorf("signed by key %016X, which the policy does not trust", md.SignedByKeyId)
	}
	body, err := io.ReadAll(io.LimitReader(md.UnverifiedBody, maxSignatureSize))
	if err != nil {
		return nil, "", fmt.Errorf("read signed payload: %w", err)
	}
	signer := fmt.Sprintf("%X", md.SignedBy.PublicKey.Fingerprint)
	if md.SignatureError != nil {
		return nil, signer, fmt.Errorf("bad signature by %s: %w", signer, md.SignatureError)
	}
	return body, signer, nil
}

// verifySigstore checks a cosign-style signature (over the payload bytes)
// against the requirement's public keys (PEM, PKIX).
func verifySigstore(keys [][]byte, payload, sig []byte) (string, error) {
	var errs []error
	for _, k := range keys {
		blk, _ := pem.Decode(k)
		if blk == nil {
			return "", errors.New("sigstore public key is not PEM")
		}
		pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return "", fmt.Errorf("sigstore public key: %w", err)
		}
		fp := sha256.Sum256(blk.Bytes)
		id := fmt.Sprintf("SHA256:%x", fp[:])
		sum := sha256.Sum256(payload)
		var ok bool
		switch pub := pub.(type) {
		case *ecdsa.PublicKey:
			ok = ecdsa.VerifyASN1(pub, sum[:], sig)
		case *rsa.PublicKey:
			ok = rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) == nil
		case ed25519.PublicKey:
			ok = ed25519.Verify(pub, payload, sig)
		default:
			return "", fmt.Errorf("sigstore public key type %T is not supported", pub)
		}
		if ok {
			return id, nil
		}
		errs = append(errs, fmt.Errorf("not signed by key %s", id))
	}
	return "", errors.Join(errs...)
}
