// Package objects owns the ConfigMaps and Secrets that pods use: their
// manifest types (decoded by package pod's strict decoder beside pods),
// the API server's checks, their store on the host, and the files their
// volumes show. A pod sees only the objects of its own namespace.
package objects

import (
	"encoding/base64"
	"maps"

	"github.com/podunit/podunit/pod"
)

// Kinds are the object kinds a manifest stream may hold beside pods.
var Kinds = pod.Kinds{
	KindConfigMap: func() pod.Object { return &ConfigMap{} },
	KindSecret:    func() pod.Object { return &Secret{} },
}

const (
	KindConfigMap = pod.KindConfigMap
	KindSecret    = pod.KindSecret
)

// Object is a ConfigMap or a Secret.
type Object interface {
	pod.Object
	// Values are the object's keys and their bytes: what volumes and
	// environment variables see.
	Values() map[string][]byte
	// IsImmutable reports immutable: true.
	IsImmutable() bool
	// Where the object was read from.
	Origin() pod.Source
}

// ConfigMap is core/v1 ConfigMap.
type ConfigMap struct {
	APIVersion   string            `json:"apiVersion"`
	ManifestKind string            `json:"kind"`
	Metadata     pod.ObjectMeta    `json:"metadata"`
	Immutable    *bool             `json:"immutable,omitempty"`
	Data         map[string]string `json:"data,omitempty"`
	// BinaryData values are base64, as in the manifest.
	BinaryData map[string]string `json:"binaryData,omitempty"`

	Source pod.Source `json:"-"`
}

// Secret types the API server knows and checks.
const (
	SecretOpaque           = "Opaque"
	SecretDockerConfigJSON = "kubernetes.io/dockerconfigjson"
	SecretDockercfg        = "kubernetes.io/dockercfg"
	SecretTLS              = "kubernetes.io/tls"
	SecretBasicAuth        = "kubernetes.io/basic-auth"
	SecretSSHAuth          = "kubernetes.io/ssh-auth"
	secretServiceAccount   = "kubernetes.io/service-account-token"
	secretBootstrapToken   = "bootstrap.kubernetes.io/token"
)

// Secret is core/v1 Secret. Data values are base64; StringData is merged
// into Data (and dropped) when the Secret is stored, as by the API server.
type Secret struct {
	APIVersion   string            `json:"apiVersion"`
	ManifestKind string            `json:"kind"`
	Metadata     pod.ObjectMeta    `json:"metadata"`
	Immutable    *bool             `json:"immutable,omitempty"`
	Type         string            `json:"type,omitempty"`
	Data         map[string]string `json:"data,omitempty"`
	StringData   map[string]string `json:"stringData,omitempty"`

	Source pod.Source `json:"-"`
}

func (c *ConfigMap) Meta() *pod.ObjectMeta  { return &c.Metadata }
func (*ConfigMap) Kind() string             { return KindConfigMap }
func (c *ConfigMap) SetSource(s pod.Source) { c.Source = s }
func (c *ConfigMap) Origin() pod.Source     { return c.Source }
func (c *ConfigMap) IsImmutable() bool      { return c.Immutable != nil && *c.Immutable }
func (c *ConfigMap) Default()               { defaultMeta(&c.Metadata) }
func (s *Secret) Meta() *pod.ObjectMeta     { return &s.Metadata }
func (*Secret) Kind() string                { return KindSecret }
func (s *Secret) SetSource(src pod.Source)  { s.Source = src }
func (s *Secret) Origin() pod.Source        { return s.Source }
func (s *Secret) IsImmutable() bool         { return s.Immutable != nil && *s.Immutable }

func (s *Secret) Default() {
	defaultMeta(&s.Metadata)
	if s.Type == "" {
		s.Type = SecretOpaque
	}
}

func defaultMeta(m *pod.ObjectMeta) {
	if m.Namespace == "" {
		m.Namespace = "default"
	}
}

// Values of a checked ConfigMap: data and binaryData.
func (c *ConfigMap) Values() map[string][]byte {
	out := map[string][]byte{}
	for k, v := range c.Data {
		out[k] = []byte(v)
	}
	for k, v := range c.BinaryData {
		out[k], _ = base64.StdEncoding.DecodeString(v) // checked
	}
	return out
}

// Values of a checked Secret: data, with stringData over it.
func (s *Secret) Values() map[string][]byte {
	out := map[string][]byte{}
	for k, v := range s.Data {
		out[k], _ = base64.StdEncoding.DecodeString(v) // checked
	}
	for k, v := range s.StringData {
		out[k] = []byte(v)
	}
	return out
}

// normalize returns the object as the API server stores it: a Secret's
// stringData merged into data.
func normalize(o Object) Object {
	s, ok := o.(*Secret)
	if !ok || len(s.StringData) == 0 {
		return o
	}
	n := *s
	n.Data = maps.Clone(s.Data)
	if n.Data == nil {
		n.Data = map[string]string{}
	}
	for k, v := range s.StringData {
		n.Data[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	n.StringData = nil
	return &n
}

// DockerConfig is the registry credentials of a dockerconfigjson or
// dockercfg Secret.
func (s *Secret) DockerConfig() ([]byte, bool) {
	key := map[string]string{SecretDockerConfigJSON: ".dockerconfigjson", SecretDockercfg: ".dockercfg"}[s.Type]
	if key == "" {
		return nil, false
	}
	return s.Values()[key], true
}

// EnvValues are the values configMapKeyRef, secretKeyRef and envFrom
// read: a ConfigMap's data only (binaryData is for volumes, as under the
// kubelet), a Secret's data.
func EnvValues(o Object) map[string][]byte {
	if cm, ok := o.(*ConfigMap); ok {
		out := map[string][]byte{}
		for k, v := range cm.Data {
			out[k] = []byte(v)
		}
		return out
	}
	return o.Values()
}
