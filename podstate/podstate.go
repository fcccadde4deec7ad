// Package podstate owns a pod's state on disk: the applied spec (canonical
// JSON and its hash), the directories the pod runs from, and the per-pod
// lock every writer takes. The paths are internal/layout's.
package podstate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/podunit/podunit/internal/atomicfile"
	"github.com/podunit/podunit/internal/layout"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/units"
)

// ErrNotFound is returned for a pod that has no state.
var ErrNotFound = errors.New("pod not found")

// Store is the pods directory of one host layout.
type Store struct {
	Host    units.Host
	LockDir string // /run/podunit/locks
}

// New returns the store for a host layout.
func New(h units.Host) *Store {
	return &Store{Host: h, LockDir: h.LocksDir()}
}

// Applied is a pod as it was last applied.
type Applied struct {
	Pod  *pod.Pod
	Hash string
	Meta
}

// Meta is what podunit records beside the spec.
type Meta struct {
	// Unit runs the pod: podunit-<pod>.service, or an instance of an
	// exported template (podunit-<base>@<instance>.service).
	Unit string `json:"unit"`
	// Origin is empty for pods from apply, "generator" for pods from
	// manifests in /etc/podunit/pods.
	Origin string `json:"origin,omitempty"`
	// Persistent pods were made by apply (without --transient): podunit
	// restore starts them again after a reboot, as the kubelet brings
	// back the pods bound to its node.
	Persistent bool `json:"persistent,omitempty"`
	// UID is the pod's metadata.uid (Kubernetes gives every pod one);
	// empty for state written before podunit kept it.
	UID string `json:"uid,omitempty"`
}

// Names lists pods that have state, sorted.
func (s *Store) Names() ([]string, error) {
	ents, err := os.ReadDir(s.Host.PodsDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			if _, err := os.Stat(s.Host.SpecFile(e.Name())); err == nil {
				names = append(names, e.Name())
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// Load reads the applied spec of a pod.
func (s *Store) Load(name string) (*Applied, error) {
	b, err := os.ReadFile(s.Host.SpecFile(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("pod %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read pod %q: %w", name, err)
	}
	pods, err := pod.Decode(s.Host.SpecFile(name), bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("stored spec of pod %q: %w", name, err)
	}
	if len(pods) != 1 {
		return nil, fmt.Errorf("stored spec of pod %q holds %d pods", name, len(pods))
	}
	h, err := os.ReadFile(s.Host.HashFile(name))
	if err != nil {
		return nil, fmt.Errorf("read pod %q hash: %w", name, err)
	}
	a := &Applied{Pod: pods[0], Hash: strings.TrimSpace(string(h)), Meta: Meta{Unit: units.Name(name)}}
	if b, err := os.ReadFile(s.Host.MetaFile(name)); err == nil {
		if err := json.Unmarshal(b, &a.Meta); err != nil {
			return nil, fmt.Errorf("read pod %q meta: %w", name, err)
		}
	}
	return a, nil
}

// Save writes a pod's state directory from nothing: the canonical spec and
// its hash. It is built under a temporary name and renamed into place, so a
// reader never sees a pod without its spec.
func (s *Store) Save(p *pod.Pod, meta Meta) (*Applied, error) {
	canon, err := p.Canonical()
	if err != nil {
		return nil, fmt.Errorf("canonical form of pod %q: %w", p.Metadata.Name, err)
	}
	hash, err := p.Hash()
	if err != nil {
		return nil, fmt.Errorf("hash of pod %q: %w", p.Metadata.Name, err)
	}
	if err := os.MkdirAll(s.Host.PodsDir(), 0o700); err != nil {
		return nil, fmt.Errorf("create pods directory: %w", err)
	}
	tmp, err := os.MkdirTemp(s.Host.PodsDir(), ".new-"+p.Metadata.Name+"-")
	if err != nil {
		return nil, fmt.Errorf("create pod directory: %w", err)
	}
	if meta.Unit == "" {
		meta.Unit = units.Name(p.Metadata.Name)
	}
	if meta.UID == "" {
		// A pod deleted and applied again is a new pod.
		meta.UID = uuid.NewString()
	}
	if err := writeState(tmp, canon, hash, meta); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, s.Host.PodDir(p.Metadata.Name)); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("install pod %q state: %w", p.Metadata.Name, err)
	}
	// The applied spec is what the generator brings back after a power
	// loss: the rename must be on disk before apply reports success.
	if err := atomicfile.SyncDir(s.Host.PodsDir()); err != nil {
		return nil, fmt.Errorf("install pod %q state: sync: %w", p.Metadata.Name, err)
	}
	return &Applied{Pod: p, Hash: hash, Meta: meta}, nil
}

// SetMeta replaces an applied pod's meta record in place.
func (s *Store) SetMeta(name string, meta Meta) error {
	m, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(s.Host.MetaFile(name), m, atomicfile.Options{Perm: 0o600, Durable: true}); err != nil {
		return fmt.Errorf("pod %q meta: %w", name, err)
	}
	return nil
}

// writeState writes the files of a new state directory, each synced, and
// then the directory itself, so the rename that installs it publishes
// complete files even across a power loss.
func writeState(dir string, canon []byte, hash string, meta Meta) error {
	m, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name, what string
		data       []byte
	}{
		{layout.MetaName, "meta", m},
		{layout.SpecName, "spec", append(canon, '\n')},
		{layout.HashName, "spec hash", []byte(hash + "\n")},
	} {
		if err := writeSynced(filepath.Join(dir, f.name), f.data); err != nil {
			return fmt.Errorf("write %s: %w", f.what, err)
		}
	}
	if err := atomicfile.SyncDir(dir); err != nil {
		return fmt.Errorf("sync pod state: %w", err)
	}
	return nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Remove deletes everything the pod has on disk. It refuses to follow a
// mount: a pod's directories hold no host mounts by design (every pod
// mount lives in the pod's own mount namespace), so finding one means
// something is wrong and deleting through it could destroy host data.
func (s *Store) Remove(name string) error {
	dir := s.Host.PodDir(name)
	if err := refuseMounts(dir); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove pod %q state: %w", name, err)
	}
	return nil
}

func refuseMounts(dir string) error {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return fmt.Errorf("read mountinfo: %w", err)
	}
	for _, m := range mountPoints(string(b)) {
		if m == dir || strings.HasPrefix(m, dir+"/") {
			return fmt.Errorf("%s is still mounted; refusing to remove pod state under it", m)
		}
	}
	return nil
}

// mountPoints extracts field 5 of mountinfo, unescaping octal escapes.
func mountPoints(mountinfo string) []string {
	var out []string
	for _, line := range strings.Split(mountinfo, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		out = append(out, unescapeOctal(f[4]))
	}
	return out
}

func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, ok := octal(s[i+1 : i+4]); ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func octal(s string) (byte, bool) {
	if len(s) != 3 {
		return 0, false
	}
	var v int
	for _, c := range s {
		if c < '0' || c > '7' {
			return 0, false
		}
		v = v*8 + int(c-'0')
	}
	return byte(v), v < 256
}
