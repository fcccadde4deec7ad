package objects

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/podunit/podunit/internal/atomicwriter"
	"github.com/podunit/podunit/plan"
	"github.com/podunit/podunit/pod"
)

// Getter finds an object in the pod's namespace; its errors wrap
// ErrNotFound when there is none.
type Getter func(kind, name string) (Object, error)

// Payload is the files of the pod's projected-file volume vol (a
// configMap, secret, downwardAPI or projected volume), as the kubelet
// writes them; owners are the caller's. A missing object or key that is
// not optional, or two sources writing one path, is an error naming the
// manifest field.
func Payload(p *pod.Pod, vol int, rt plan.Runtime, get Getter) (map[string]atomicwriter.File, error) {
	v := p.Spec.Volumes[vol]
	f := fmt.Sprintf("spec.volumes[%d]", vol)
	w := &payload{pod: p, rt: rt, get: get, files: map[string]atomicwriter.File{}, from: map[string]string{}}
	var err error
	switch {
	case v.ConfigMap != nil:
		s := v.ConfigMap
		err = w.keys(f+".configMap", "name", KindConfigMap, s.Name, s.Items, s.Optional, mode(s.DefaultMode))
	case v.Secret != nil:
		s := v.Secret
		err = w.keys(f+".secret", "secretName", KindSecret, s.SecretName, s.Items, s.Optional, mode(s.DefaultMode))
	case v.DownwardAPI != nil:
		err = w.downward(f+".downwardAPI", v.DownwardAPI.Items, mode(v.DownwardAPI.DefaultMode))
	case v.Projected != nil:
		def := mode(v.Projected.DefaultMode)
		for i, s := range v.Projected.Sources {
			sf := fmt.Sprintf("%s.projected.sources[%d]", f, i)
			switch {
			case s.ConfigMap != nil:
				err = w.keys(sf+".configMap", "name", KindConfigMap, s.ConfigMap.Name, s.ConfigMap.Items, s.ConfigMap.Optional, def)
			case s.Secret != nil:
				err = w.keys(sf+".secret", "name", KindSecret, s.Secret.Name, s.Secret.Items, s.Secret.Optional, def)
			case s.DownwardAPI != nil:
				err = w.downward(sf+".downwardAPI", s.DownwardAPI.Items, def)
			}
			if err != nil {
				break
			}
		}
	default:
		return nil, fmt.Errorf("volume %q has no projected files", v.Name)
	}
	if err != nil {
		return nil, err
	}
	return w.files, nil
}

// References lists the objects a pod uses (its volumes', env's and
// envFrom's), with the manifest field that names each and, for a
// configMapKeyRef or secretKeyRef, the key.
func References(p *pod.Pod) []Reference {
	var out []Reference
	add := func(field, kind, name string, optional *bool) {
		out = append(out, Reference{Kind: kind, Name: name, Field: field, Optional: pod.IsOptional(optional)})
	}
	for i, v := range p.Spec.Volumes {
		f := fmt.Sprintf("spec.volumes[%d]", i)
		switch {
		case v.ConfigMap != nil:
			add(f+".configMap.name", KindConfigMap, v.ConfigMap.Name, v.ConfigMap.Optional)
		case v.Secret != nil:
			add(f+".secret.secretName", KindSecret, v.Secret.SecretName, v.Secret.Optional)
		case v.Projected != nil:
			for j, s := range v.Projected.Sources {
				sf := fmt.Sprintf("%s.projected.sources[%d]", f, j)
				if s.ConfigMap != nil {
					add(sf+".configMap.name", KindConfigMap, s.ConfigMap.Name, s.ConfigMap.Optional)
				}
				if s.Secret != nil {
					add(sf+".secret.name", KindSecret, s.Secret.Name, s.Secret.Optional)
				}
			}
		}
	}
	for _, list := range []struct {
		name string
		cs   []pod.Container
	}{{"initContainers", p.Spec.InitContainers}, {"containers", p.Spec.Containers}} {
		for i, c := range list.cs {
			f := fmt.Sprintf("spec.%s[%d]", list.name, i)
			for j, e := range c.EnvFrom {
				ef := fmt.Sprintf("%s.envFrom[%d]", f, j)
				if r := e.ConfigMapRef; r != nil {
					add(ef+".configMapRef.name", KindConfigMap, r.Name, r.Optional)
				}
				if r := e.SecretRef; r != nil {
					add(ef+".secretRef.name", KindSecret, r.Name, r.Optional)
				}
			}
			for j, e := range c.Env {
				if e.ValueFrom == nil {
					continue
				}
				for _, ref := range []struct {
					kind, field string
					sel         *pod.KeySelector
				}{
					{KindConfigMap, "configMapKeyRef", e.ValueFrom.ConfigMapKeyRef},
					{KindSecret, "secretKeyRef", e.ValueFrom.SecretKeyRef},
				} {
					if sel := ref.sel; sel != nil {
						field := fmt.Sprintf("%s.env[%d].valueFrom.%s", f, j, ref.field)
						out = append(out, Reference{Kind: ref.kind, Name: sel.Name, Key: sel.Key, Field: field + ".name", KeyField: field + ".key", Optional: pod.IsOptional(sel.Optional)})
					}
				}
			}
		}
	}
	return out
}

// Reference is one use of an object by a pod.
type Reference struct {
	Kind, Name, Field string
	// Key is the one key a configMapKeyRef or secretKeyRef reads, named
	// at KeyField; empty for the other uses.
	Key, KeyField string
	Optional      bool
}

// CheckReferences reports the first object or key the pod needs and get
// does not find, at the manifest field that names it. (Volumes' items are
// checked by Payload, which knows what each writes.)
func CheckReferences(p *pod.Pod, get Getter) error {
	for _, r := range References(p) {
		if r.Optional {
			continue
		}
		o, err := get(r.Kind, r.Name)
		if errors.Is(err, ErrNotFound) {
			return p.Source.Errorf(r.Field, "%v", err)
		}
		if err != nil {
			return err
		}
		if _, ok := EnvValues(o)[r.Key]; r.Key != "" && !ok {
			return p.Source.Errorf(r.KeyField, "%s %q has no key %q", strings.ToLower(r.Kind), r.Name, r.Key)
		}
	}
	return nil
}

// Uses reports whether the pod refers to the object, optionally or not.
func Uses(p *pod.Pod, kind, name string) bool {
	return slices.ContainsFunc(References(p), func(r Reference) bool { return r.Kind == kind && r.Name == name })
}

func mode(m *int64) fs.FileMode {
	if m == nil {
		return pod.DefaultFileMode
	}
	return fs.FileMode(*m)
}

type payload struct {
	pod   *pod.Pod
	rt    plan.Runtime
	get   Getter
	files map[string]atomicwriter.File
	from  map[string]string // path → the field of the source that wrote it
}

func (w *payload) put(field, p string, data []byte, m fs.FileMode) error {
	// As the kubelet's AtomicWriter: "a//b" and "./a" are a/b and a.
	p = path.Clean(p)
	if prev, ok := w.from[p]; ok {
		return w.pod.Source.Errorf(field, "conflicting duplicate paths: %q is also written by %s", p, prev)
	}
	w.from[p] = field
	w.files[p] = atomicwriter.File{Data: data, Mode: m}
	return nil
}

// keys projects a ConfigMap's or Secret's keys: all of them, or items.
func (w *payload) keys(f, nameField, kind, name string, items []pod.KeyToPath, optional *bool, def fs.FileMode) error {
	opt := optional != nil && *optional
	o, err := w.get(kind, name)
	if errors.Is(err, ErrNotFound) {
		if opt {
			return nil
		}
		return w.pod.Source.Errorf(f+"."+nameField, "%v", err)
	}
	if err != nil {
		return err
	}
	vals := o.Values()
	if len(items) == 0 {
		for _, k := range slices.Sorted(maps.Keys(vals)) {
			if err := w.put(f, k, vals[k], def); err != nil {
				return err
			}
		}
		return nil
	}
	for i, it := range items {
		itf := fmt.Sprintf("%s.items[%d]", f, i)
		v, ok := vals[it.Key]
		if !ok {
			if opt {
				continue
			}
			return w.pod.Source.Errorf(itf+".key", "%s %q has no key %q", strings.ToLower(kind), name, it.Key)
		}
		m := def
		if it.Mode != nil {
			m = fs.FileMode(*it.Mode)
		}
		if err := w.put(itf+".path", it.Path, v, m); err != nil {
			return err
		}
	}
	return nil
}

func (w *payload) downward(f string, items []pod.DownwardAPIVolumeFile, def fs.FileMode) error {
	for i, it := range items {
		itf := fmt.Sprintf("%s.items[%d]", f, i)
		val, err := downwardValue(w.pod, w.rt, it)
		if err != nil {
			return w.pod.Source.Errorf(itf, "%v", err)
		}
		m := def
		if it.Mode != nil {
			m = fs.FileMode(*it.Mode)
		}
		if err := w.put(itf+".path", it.Path, []byte(val), m); err != nil {
			return err
		}
	}
	return nil
}
