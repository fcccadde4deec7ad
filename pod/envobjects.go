package pod

// Kinds of the objects pods refer to (package objects owns them).
const (
	KindConfigMap = "ConfigMap"
	KindSecret    = "Secret"
)

// KeySelector is Kubernetes' ConfigMapKeySelector and SecretKeySelector
// (the same shape): one key of a ConfigMap or Secret of the pod's
// namespace.
type KeySelector struct {
	Name     string `json:"name" yaml:"name"`
	Key      string `json:"key" yaml:"key"`
	Optional *bool  `json:"optional,omitempty" yaml:"optional,omitempty"`
}

// EnvFromSource sets a variable for every key of a ConfigMap or Secret,
// named Prefix + key.
type EnvFromSource struct {
	Prefix       string           `json:"prefix,omitempty" yaml:"prefix,omitempty"`
	ConfigMapRef *ObjectReference `json:"configMapRef,omitempty" yaml:"configMapRef,omitempty"`
	SecretRef    *ObjectReference `json:"secretRef,omitempty" yaml:"secretRef,omitempty"`
}

// ObjectReference is Kubernetes' ConfigMapEnvSource and SecretEnvSource.
type ObjectReference struct {
	Name     string `json:"name" yaml:"name"`
	Optional *bool  `json:"optional,omitempty" yaml:"optional,omitempty"`
}

// IsOptional reports optional: true.
func IsOptional(b *bool) bool { return b != nil && *b }

func (k *KeySelector) validate(v *validator, f string) {
	if k == nil {
		return
	}
	v.objectName(f+".name", k.Name)
	if k.Key == "" {
		v.errorf(f+".key", "required value")
	} else if msg := ConfigMapKeyProblem(k.Key); msg != "" {
		v.errorf(f+".key", "invalid value %q: %s", truncate(k.Key), msg)
	}
}

func (e *EnvFromSource) validate(v *validator, f string) {
	switch n := countSet(e.ConfigMapRef != nil, e.SecretRef != nil); {
	case n == 0:
		v.errorf(f, "must specify one of: configMapRef or secretRef")
	case n > 1:
		v.errorf(f, "may not have more than one field specified at a time")
	}
	if e.Prefix != "" && !validEnvName(e.Prefix) {
		v.errorf(f+".prefix", "invalid environment variable name prefix %q: must be printable ASCII characters other than '='", truncate(e.Prefix))
	}
	if r := e.ConfigMapRef; r != nil {
		v.objectName(f+".configMapRef.name", r.Name)
	}
	if r := e.SecretRef; r != nil {
		v.objectName(f+".secretRef.name", r.Name)
	}
}
