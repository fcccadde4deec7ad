package objects

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strconv"

	"github.com/podunit/podunit/pod"
)

// maxSize is the API server's limit on an object's data (1 MiB).
const maxSize = 1 << 20

func checkHeader(c *pod.Checker, apiVersion, kind, want string) {
	if apiVersion == "" {
		c.Errorf("apiVersion", "required value (want v1)")
	} else if apiVersion != "v1" {
		c.Errorf("apiVersion", "unsupported value %q (want v1)", pod.Truncate(apiVersion))
	}
	if kind != want {
		c.Errorf("kind", "unsupported value %q (want %s)", pod.Truncate(kind), want)
	}
}

func field(m, k string) string { return m + "[" + strconv.Quote(k) + "]" }

// keys checks the keys of one map and counts its bytes.
func keys(c *pod.Checker, name string, m map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if msg := pod.ConfigMapKeyProblem(k); msg != "" {
			c.Errorf(field(name, k), "invalid key %q: %s", pod.Truncate(k), msg)
		}
	}
}

// base64Values checks that every value of m is standard base64, as
// Kubernetes' JSON decoding of []byte wants it.
func base64Values(c *pod.Checker, name string, m map[string]string) int {
	size := 0
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b, err := base64.StdEncoding.DecodeString(m[k])
		if err != nil {
			c.Errorf(field(name, k), "illegal base64 data: %v", err)
			continue
		}
		size += len(b)
	}
	return size
}

// Check validates a ConfigMap as the API server does.
func (cm *ConfigMap) Check(c *pod.Checker) {
	checkHeader(c, cm.APIVersion, cm.ManifestKind, KindConfigMap)
	c.Meta(&cm.Metadata)
	keys(c, "data", cm.Data)
	keys(c, "binaryData", cm.BinaryData)
	size := base64Values(c, "binaryData", cm.BinaryData)
	for _, k := range slices.Sorted(maps.Keys(cm.Data)) {
		size += len(cm.Data[k])
		if _, dup := cm.BinaryData[k]; dup {
			c.Errorf(field("binaryData", k), "duplicate of key %q present in data", pod.Truncate(k))
		}
	}
	if size > maxSize {
		c.Errorf("data", "too long: must have at most %d bytes", maxSize)
	}
}

// Check validates a Secret as the API server does, with the required keys
// of its type.
func (s *Secret) Check(c *pod.Checker) {
	checkHeader(c, s.APIVersion, s.ManifestKind, KindSecret)
	c.Meta(&s.Metadata)
	keys(c, "data", s.Data)
	keys(c, "stringData", s.StringData)
	size := base64Values(c, "data", s.Data)
	for k, v := range s.StringData {
		size += len(v)
		if d, ok := s.Data[k]; ok {
			// stringData wins over data: only its bytes count.
			b, _ := base64.StdEncoding.DecodeString(d)
			size -= len(b)
		}
	}
	if size > maxSize {
		c.Errorf("data", "too long: must have at most %d bytes", maxSize)
	}
	has := func(k string) bool {
		_, d := s.Data[k]
		_, sd := s.StringData[k]
		return d || sd
	}
	where := func(k string) string {
		if _, ok := s.StringData[k]; ok {
			return field("stringData", k)
		}
		return field("data", k)
	}
	require := func(k string) {
		if !has(k) {
			c.Errorf("type", "%s needs the key %q in data or stringData", s.Type, k)
		}
	}
	mustParse := func(k string, v any) {
		if !has(k) {
			require(k)
			return
		}
		if err := json.Unmarshal(s.Values()[k], v); err != nil {
			c.Errorf(where(k), "invalid %s: %v", k, err)
		}
	}
	switch s.Type {
	case SecretDockerConfigJSON:
		var cfg struct {
			Auths map[string]dockerConfigEntry `json:"auths"`
		}
		mustParse(".dockerconfigjson", &cfg)
	case SecretDockercfg:
		var cfg map[string]dockerConfigEntry
		mustParse(".dockercfg", &cfg)
	case SecretTLS:
		require("tls.crt")
		require("tls.key")
	case SecretBasicAuth:
		if !has("username") && !has("password") {
			c.Errorf("type", "%s needs the key username or password in data or stringData", s.Type)
		}
	case SecretSSHAuth:
		require("ssh-privatekey")
	case secretServiceAccount, secretBootstrapToken:
		c.Errorf("type", "%s Secrets are not supported by podunit: it has no API server to issue tokens", s.Type)
	}
}

// dockerConfigEntry is one registry's credentials in a Docker config.
type dockerConfigEntry struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Email    string `json:"email,omitempty"`
	Auth     string `json:"auth,omitempty"`
}
