package pod

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Canonical is the pod's defaulted manifest as JSON with sorted keys and
// no Source: two manifests that mean the same pod give the same bytes,
// whatever their key order, comments or formatting. The output is also
// valid YAML that Decode reads back to the same pod.
//
// Fields added to types.go must be omitted when unset (pointers, or
// omitempty/omitzero), or every applied pod's hash changes.
func (p *Pod) Canonical() ([]byte, error) {
	// The round trip through JSON is a deep copy, so defaulting does not
	// touch p.
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var q Pod
	if err := json.Unmarshal(raw, &q); err != nil {
		return nil, err
	}
	q.Default()
	if raw, err = json.Marshal(&q); err != nil {
		return nil, err
	}
	// Re-encoding a generic value sorts every object's keys, so the
	// canonical form does not depend on field order in types.go.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	// Commands are full of shell > and &; keep them readable on disk.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return escapeForYAML(bytes.TrimSuffix(out.Bytes(), []byte("\n"))), nil
}

// Hash is the hex SHA-256 of Canonical: equal hashes mean the same pod.
func (p *Pod) Hash() (string, error) {
	c, err := p.Canonical()
	if err != nil {
		return "", fmt.Errorf("pod %s: %w", p.Metadata.Name, err)
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:]), nil
}

// escapeForYAML writes as \u escapes the characters JSON allows raw but a
// YAML parser rejects (DEL, C1 controls, U+FFFE/U+FFFF) or reads as a line
// break (NEL), so the canonical JSON decodes as YAML to the same strings.
// Outside strings JSON is ASCII, so every such rune is inside one.
func escapeForYAML(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if (r >= 0x7f && r <= 0x9f) || r == 0xfeff || r == 0xfffe || r == 0xffff {
			if out == nil {
				out = append(make([]byte, 0, len(b)+16), b[:i]...)
			}
			out = fmt.Appendf(out, `\u%04x`, r)
		} else if out != nil {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	if out == nil {
		return b
	}
	return out
}
