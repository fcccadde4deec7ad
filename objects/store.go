package objects

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/podunit/podunit/internal/atomicfile"
	"github.com/podunit/podunit/internal/flock"
	"github.com/podunit/podunit/internal/layout"
)

// ErrNotFound is returned for an object that is not stored.
var ErrNotFound = errors.New("not found")

// Store holds the objects on the host (layout.ObjectsDir), one file each,
// readable by root only: Secrets are in it in plain text, so the tree is
// 0700 and the files 0600.
type Store struct {
	Dir      string
	LockFile string
}

// New returns the store of a layout.
func New(l layout.Layout) *Store {
	return &Store{Dir: l.ObjectsDir(), LockFile: l.ObjectsLock()}
}

// record is an object's file: a versioned envelope, so the format can
// change, with the creation time `get` shows as AGE.
type record struct {
	Version int             `json:"version"`
	Created time.Time       `json:"created"`
	Object  json.RawMessage `json:"object"`
}

const recordVersion = 1

// Stored is an object as stored, with its creation time.
type Stored struct {
	Object
	Created time.Time
}

func plural(kind string) string { return strings.ToLower(kind) + "s" }

func (s *Store) path(kind, namespace, name string) string {
	return filepath.Join(s.Dir, namespace, plural(kind), name+".json")
}

// Lock takes the store's lock: exclusive to change objects (and the pods'
// volumes that show them), shared to read a consistent set.
func (s *Store) Lock(exclusive bool) (*flock.Lock, error) {
	return flock.Acquire(s.LockFile, exclusive)
}

// Get reads one object; errors wrap ErrNotFound when it is not stored.
func (s *Store) Get(kind, namespace, name string) (*Stored, error) {
	b, err := os.ReadFile(s.path(kind, namespace, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s %q %w in namespace %q", strings.ToLower(kind), name, ErrNotFound, namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %s/%s: %w", strings.ToLower(kind), namespace, name, err)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("stored %s %s/%s: %w", strings.ToLower(kind), namespace, name, err)
	}
	if r.Version != recordVersion {
		return nil, fmt.Errorf("stored %s %s/%s: format version %d, this podunit reads %d", strings.ToLower(kind), namespace, name, r.Version, recordVersion)
	}
	o := Kinds[kind]().(Object)
	if err := json.Unmarshal(r.Object, o); err != nil {
		return nil, fmt.Errorf("stored %s %s/%s: %w", strings.ToLower(kind), namespace, name, err)
	}
	return &Stored{Object: o, Created: r.Created}, nil
}

// List reads the objects of a kind, in one namespace or ("") all, sorted
// by namespace and name.
func (s *Store) List(kind, namespace string) ([]*Stored, error) {
	namespaces := []string{namespace}
	if namespace == "" {
		ents, err := os.ReadDir(s.Dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("list objects: %w", err)
		}
		namespaces = nil
		for _, e := range ents {
			if e.IsDir() {
				namespaces = append(namespaces, e.Name())
			}
		}
	}
	var out []*Stored
	for _, ns := range namespaces {
		ents, err := os.ReadDir(filepath.Join(s.Dir, ns, plural(kind)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", plural(kind), err)
		}
		for _, e := range ents {
			name, ok := strings.CutSuffix(e.Name(), ".json")
			if !ok || strings.HasPrefix(name, ".") {
				continue // atomicfile's temporaries
			}
			o, err := s.Get(kind, ns, name)
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		}
	}
	return out, nil
}

// Action is what storing an object did, in kubectl's words.
type Action string

const (
	Created    Action = "created"
	Configured Action = "configured"
	Unchanged  Action = "unchanged"
)

// Plan compares o with what is stored: the action storing it would be, or
// the API server's refusal of a change to an immutable object. It changes
// nothing.
func (s *Store) Plan(o Object) (Action, error) {
	m := o.Meta()
	old, err := s.Get(o.Kind(), m.Namespace, m.Name)
	if errors.Is(err, ErrNotFound) {
		return Created, nil
	}
	if err != nil {
		return "", err
	}
	n := normalize(o)
	if err := checkUpdate(old.Object, n); err != nil {
		return "", err
	}
	a, b := canonical(old.Object), canonical(n)
	if a == b {
		return Unchanged, nil
	}
	return Configured, nil
}

func canonical(o Object) string {
	b, _ := json.Marshal(o) // plain structs and maps of strings
	return string(b)
}

// checkUpdate refuses what the API server refuses on update.
func checkUpdate(old, n Object) error {
	src := n.Origin()
	if was, ok := old.(*Secret); ok {
		if now := n.(*Secret); now.Type != was.Type {
			return src.Errorf("type", "invalid value %q: field is immutable (the stored Secret has type %s; delete it first)", now.Type, was.Type)
		}
	}
	if !old.IsImmutable() {
		return nil
	}
	if !n.IsImmutable() {
		return src.Errorf("immutable", "forbidden: field is immutable when `immutable` is set")
	}
	ov, nv := old.Values(), n.Values()
	same := len(ov) == len(nv)
	for k, v := range ov {
		w, ok := nv[k]
		same = same && ok && string(v) == string(w)
	}
	if !same {
		return src.Errorf("data", "forbidden: field is immutable when `immutable` is set (delete the %s and create it again)", strings.ToLower(n.Kind()))
	}
	return nil
}

// Put stores o (normalized) durably; the caller holds the exclusive lock
// and has planned it. The creation time of a stored object is kept.
func (s *Store) Put(o Object) error {
	m := o.Meta()
	created := time.Now().UTC().Truncate(time.Second)
	if old, err := s.Get(o.Kind(), m.Namespace, m.Name); err == nil {
		created = old.Created
	}
	obj, err := json.Marshal(normalize(o))
	if err != nil {
		return err
	}
	b, err := json.Marshal(record{Version: recordVersion, Created: created, Object: obj})
	if err != nil {
		return err
	}
	p := s.path(o.Kind(), m.Namespace, m.Name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("store %s %s/%s: %w", strings.ToLower(o.Kind()), m.Namespace, m.Name, err)
	}
	return atomicfile.Write(p, b, atomicfile.Options{Perm: 0o600, Durable: true})
}

// Delete removes a stored object.
func (s *Store) Delete(kind, namespace, name string) error {
	p := s.path(kind, namespace, name)
	err := os.Remove(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %q %w in namespace %q", strings.ToLower(kind), name, ErrNotFound, namespace)
	}
	if err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(p))
}

// KindOf maps what a user types (configmap, configmaps, cm, secret,
// secrets) to a kind, as kubectl does.
func KindOf(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "configmap", "configmaps", "cm":
		return KindConfigMap, true
	case "secret", "secrets":
		return KindSecret, true
	}
	return "", false
}
