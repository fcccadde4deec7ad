package images

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                                   "docker.io/library/busybox:latest",
		"busybox:1.36":                              "docker.io/library/busybox:1.36",
		"library/busybox":                           "docker.io/library/busybox:latest",
		"docker.io/busybox":                         "docker.io/library/busybox:latest",
		"index.docker.io/library/busybox":           "docker.io/library/busybox:latest",
		"foo/bar:1":                                 "docker.io/foo/bar:1",
		"quay.io/coreos/etcd:v3":                    "quay.io/coreos/etcd:v3",
		"localhost/app":                             "localhost/app:latest",
		"localhost:5000/app:dev":                    "localhost:5000/app:dev",
		"reg.example.com/a/b/c":                     "reg.example.com/a/b/c:latest",
		"busybox@sha256:" + strings.Repeat("a", 64): "docker.io/library/busybox@sha256:" + strings.Repeat("a", 64),
	} {
		got, err := NormalizeName(in)
		if err != nil || got != want {
			t.Errorf("NormalizeName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "UPPER", "a b", "busybox:", ":tag"} {
		if got, err := NormalizeName(bad); err == nil {
			t.Errorf("NormalizeName(%q) = %q, want error", bad, got)
		}
	}
}

func TestFamiliarName(t *testing.T) {
	for in, want := range map[string]string{
		"docker.io/library/busybox:latest": "busybox:latest",
		"docker.io/foo/bar:1":              "foo/bar:1",
		"docker.io/library/a/b:1":          "library/a/b:1",
		"quay.io/coreos/etcd:v3":           "quay.io/coreos/etcd:v3",
		"localhost:5000/app:dev":           "localhost:5000/app:dev",
	} {
		if got := FamiliarName(in); got != want {
			t.Errorf("FamiliarName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolveIn(t *testing.T) {
	id := func(prefix string) string { return "sha256:" + prefix + strings.Repeat("0", 64-len(prefix)) }
	idx := &index{Images: []*record{
		{ID: id("abcd1"), RepoTags: []string{"docker.io/library/busybox:latest"}},
		{ID: id("abcd2"), RepoTags: []string{"docker.io/library/beef:latest"}},
		{ID: id("beef"), ManifestDigest: id("feed"), RepoTags: []string{"quay.io/x/y:1"}},
	}}
	for ref, want := range map[string]string{
		"busybox":                          id("abcd1"),
		"docker.io/library/busybox:latest": id("abcd1"),
		"abcd1":                            id("abcd1"),
		"sha256:abcd2":                     id("abcd2"),
		"beef":                             id("abcd2"), // a name wins over an ID prefix
		"beef0":                            id("beef"),
		"quay.io/x/y@" + id("feed"):        id("beef"),
		strings.TrimPrefix(id("beef"), "sha256:"): id("beef"),
	} {
		r, _, err := resolveIn(idx, ref)
		if err != nil || r.ID != want {
			t.Errorf("resolveIn(%q) = %v, %v; want %s", ref, r, err, want)
		}
	}
	if _, _, err := resolveIn(idx, "abcd"); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("ambiguous prefix: %v", err)
	}
	if _, _, err := resolveIn(idx, "quay.io/x/z@"+id("feed")); !errors.Is(err, ErrNotFound) {
		t.Errorf("digest of other repo: %v", err)
	}
	_, byName, _ := resolveIn(idx, "busybox")
	_, byID, _ := resolveIn(idx, "abcd1")
	if !byName || byID {
		t.Errorf("byName flags: %v %v", byName, byID)
	}
}
