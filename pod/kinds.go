package pod

import (
	"maps"
	"slices"
	"strings"
)

// Object is a manifest of a kind other than Pod (a ConfigMap or a
// Secret) that shares a stream with pods and is decoded by the same strict
// decoder: the kinds are defined by their owners (package objects) and
// handed to DecodeAll, so this package stays the manifest decoder and
// knows nothing of what the objects mean.
type Object interface {
	// Meta is the object's metadata.
	Meta() *ObjectMeta
	// Kind names the object's kind, as its documents write it.
	Kind() string
	// SetSource records where the object was read from.
	SetSource(Source)
	// Default fills in what the API server would; Check then validates
	// the defaulted object, reporting through c.
	Default()
	Check(c *Checker)
}

// Kinds maps a document kind to a constructor of its empty object.
type Kinds map[string]func() Object

// Checker reports an object's problems at the positions its fields were
// read from.
type Checker struct{ v *validator }

// Errorf reports a problem of field (a path such as data["k"]).
func (c *Checker) Errorf(field, format string, args ...any) {
	c.v.errorf(field, format, args...)
}

// Meta checks metadata as the API server does for ConfigMaps and
// Secrets: a DNS subdomain name, a namespace label, labels and
// annotations.
func (c *Checker) Meta(m *ObjectMeta) {
	switch {
	case m.Name == "":
		c.Errorf("metadata.name", "required value")
	case !IsDNSSubdomain(m.Name):
		c.Errorf("metadata.name", "invalid value %q: must be a lowercase RFC 1123 subdomain: at most 253 characters a-z, 0-9, '-' and '.', starting and ending with a letter or digit", truncate(m.Name))
	}
	m.validateRest(c.v)
}

// IsDNSSubdomain reports whether s is a lowercase RFC 1123 subdomain of at
// most 253 characters, Kubernetes' rule for most object names.
func IsDNSSubdomain(s string) bool { return len(s) <= 253 && dns1123Sub.MatchString(s) }

// Truncate shortens s for an error message.
func Truncate(s string) string { return truncate(s) }

func kindNames(kinds Kinds) string {
	names := append([]string{"Pod"}, slices.Sorted(maps.Keys(kinds))...)
	if len(names) == 1 {
		return "Pod"
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
