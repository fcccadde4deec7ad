package pods

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/podunit/podunit/images"
	"github.com/podunit/podunit/plan"
	"github.com/podunit/podunit/pod"
)

// fakeImages is an ImageResolver that records its calls. stored holds the
// images in the store; pullErr, if set, makes every Pull fail; resolveErr,
// if set, makes every Resolve fail with it (a broken store rather than a
// missing image).
type fakeImages struct {
	stored     map[string]*plan.Image
	pulled     *plan.Image
	pullErr    error
	resolveErr error
	resolves   []string
	pulls      []string
}

func (f *fakeImages) Resolve(ref string) (*plan.Image, error) {
	f.resolves = append(f.resolves, ref)
	if f.resolveErr != nil {
		return nil, f.resolveErr
	}
	if img, ok := f.stored[ref]; ok {
		return img, nil
	}
	// As the store does: the reference named, ErrNotFound wrapped.
	return nil, fmt.Errorf("image %q: %w", ref, images.ErrNotFound)
}

func (f *fakeImages) Pull(_ context.Context, ref string, _ [][]byte) (*plan.Image, error) {
	f.pulls = append(f.pulls, ref)
	if f.pullErr != nil {
		return nil, f.pullErr
	}
	return f.pulled, nil
}

const testRef = "registry.example/app:1"

var (
	storedImage = &plan.Image{ID: "sha256:stored"}
	pulledImage = &plan.Image{ID: "sha256:pulled"}
	errRegistry = errors.New("registry.example: connection refused")
)

func newPullManager(f *fakeImages) (*Manager, *bytes.Buffer) {
	var warn bytes.Buffer
	return &Manager{Images: f, Warnings: &warn}, &warn
}

func container(policy string) pod.Container {
	return pod.Container{Name: "web", Image: testRef, ImagePullPolicy: policy}
}

func storeWith(img *plan.Image) map[string]*plan.Image {
	return map[string]*plan.Image{testRef: img}
}

func TestPullAlwaysPulls(t *testing.T) {
	for _, mode := range []pullMode{pullByPolicy, pullAtStart} {
		for _, stored := range []bool{false, true} {
			f := &fakeImages{pulled: pulledImage}
			if stored {
				f.stored = storeWith(storedImage)
			}
			m, warn := newPullManager(f)
			img, err := m.image(context.Background(), container("Always"), mode, nil)
			if err != nil {
				t.Fatalf("mode %d stored %v: %v", mode, stored, err)
			}
			if img != pulledImage {
				t.Errorf("mode %d stored %v: got image %+v, want the pulled one", mode, stored, img)
			}
			if len(f.pulls) != 1 || f.pulls[0] != testRef {
				t.Errorf("mode %d stored %v: pulls %q, want one of %q", mode, stored, f.pulls, testRef)
			}
			if warn.Len() != 0 {
				t.Errorf("mode %d stored %v: warning on a good pull: %q", mode, stored, warn.String())
			}
		}
	}
}

func TestPullAlwaysFailsAtStartUsesStore(t *testing.T) {
	f := &fakeImages{stored: storeWith(storedImage), pullErr: errRegistry}
	m, warn := newPullManager(f)
	img, err := m.image(context.Background(), container("Always"), pullAtStart, nil)
	if err != nil {
		t.Fatalf("a failed pull of a stored Always image at start: %v", err)
	}
	if img != storedImage {
		t.Fatalf("got image %+v, want the stored one", img)
	}
	if len(f.pulls) != 1 {
		t.Errorf("pulls %q, want one", f.pulls)
	}
	w := warn.String()
	for _, want := range []string{`container "web"`, "starting with the image in the store", errRegistry.Error(), testRef} {
		if !strings.Contains(w, want) {
			t.Errorf("warning lacks %q: %q", want, w)
		}
	}
	if strings.Count(w, "\n") != 1 || !strings.HasSuffix(w, "\n") {
		t.Errorf("want one warning line: %q", w)
	}
}

func TestPullAlwaysFailsByPolicy(t *testing.T) {
	// Apply follows the policy strictly: the stored image does not stand in.
	f := &fakeImages{stored: storeWith(storedImage), pullErr: errRegistry}
	m, warn := newPullManager(f)
	img, err := m.image(context.Background(), container("Always"), pullByPolicy, nil)
	if err == nil || img != nil {
		t.Fatalf("got %+v, %v; want the pull's error", img, err)
	}
	if !errors.Is(err, errRegistry) || !strings.Contains(err.Error(), testRef) {
		t.Errorf("error does not wrap the pull's or name the image: %v", err)
	}
	if warn.Len() != 0 {
		t.Errorf("warning written: %q", warn.String())
	}
}

func TestPullAlwaysFailsAtStartNotStored(t *testing.T) {
	for name, f := range map[string]*fakeImages{
		"missing": {pullErr: errRegistry},
		"broken store": {
			stored:     storeWith(storedImage),
			pullErr:    errRegistry,
			resolveErr: errors.New("corrupt index"),
		},
	} {
		m, warn := newPullManager(f)
		img, err := m.image(context.Background(), container("Always"), pullAtStart, nil)
		if err == nil || img != nil {
			t.Fatalf("%s: got %+v, %v; want an error", name, img, err)
		}
		// The error is the pull's, which says what went wrong; not the
		// store's lookup.
		if !errors.Is(err, errRegistry) {
			t.Errorf("%s: error is not the pull's: %v", name, err)
		}
		if warn.Len() != 0 {
			t.Errorf("%s: warning written: %q", name, warn.String())
		}
	}
}

func TestPullIfNotPresent(t *testing.T) {
	for _, mode := range []pullMode{pullByPolicy, pullAtStart} {
		// Stored: no pull, even with a registry that would fail.
		f := &fakeImages{stored: storeWith(storedImage), pullErr: errRegistry}
		m, _ := newPullManager(f)
		img, err := m.image(context.Background(), container("IfNotPresent"), mode, nil)
		if err != nil || img != storedImage {
			t.Fatalf("mode %d stored: got %+v, %v; want the stored image", mode, img, err)
		}
		if len(f.pulls) != 0 {
			t.Errorf("mode %d stored: pulled %q", mode, f.pulls)
		}

		// Missing: pulled.
		f = &fakeImages{pulled: pulledImage}
		m, _ = newPullManager(f)
		img, err = m.image(context.Background(), container("IfNotPresent"), mode, nil)
		if err != nil || img != pulledImage {
			t.Fatalf("mode %d missing: got %+v, %v; want the pulled image", mode, img, err)
		}
		if len(f.pulls) != 1 || f.pulls[0] != testRef {
			t.Errorf("mode %d missing: pulls %q", mode, f.pulls)
		}

		// Missing and the pull fails: the pull's error.
		f = &fakeImages{pullErr: errRegistry}
		m, _ = newPullManager(f)
		if _, err = m.image(context.Background(), container("IfNotPresent"), mode, nil); !errors.Is(err, errRegistry) {
			t.Errorf("mode %d missing, pull fails: %v", mode, err)
		}
	}
}

func TestPullNotFoundOnlyTriggersPull(t *testing.T) {
	// Only ErrNotFound means "not stored": another store error is returned
	// as it is, not papered over with a pull.
	broken := errors.New("read index: permission denied")
	for _, policy := range []string{"IfNotPresent", "Never"} {
		f := &fakeImages{resolveErr: broken, pulled: pulledImage}
		m, _ := newPullManager(f)
		img, err := m.image(context.Background(), container(policy), pullByPolicy, nil)
		if !errors.Is(err, broken) || img != nil {
			t.Errorf("%s: got %+v, %v; want the store's error", policy, img, err)
		}
		if len(f.pulls) != 0 {
			t.Errorf("%s: pulled %q on a store error", policy, f.pulls)
		}
	}
}

func TestPullNever(t *testing.T) {
	for _, mode := range []pullMode{pullByPolicy, pullAtStart} {
		f := &fakeImages{pulled: pulledImage}
		m, _ := newPullManager(f)
		img, err := m.image(context.Background(), container("Never"), mode, nil)
		if err == nil || img != nil {
			t.Fatalf("mode %d: got %+v, %v; want an error", mode, img, err)
		}
		for _, want := range []string{testRef, "Never"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("mode %d: error lacks %q: %v", mode, want, err)
			}
		}
		if !errors.Is(err, images.ErrNotFound) {
			t.Errorf("mode %d: error does not wrap images.ErrNotFound: %v", mode, err)
		}
		if len(f.pulls) != 0 {
			t.Errorf("mode %d: pulled %q", mode, f.pulls)
		}

		// Stored: used as it is.
		f = &fakeImages{stored: storeWith(storedImage)}
		m, _ = newPullManager(f)
		if img, err = m.image(context.Background(), container("Never"), mode, nil); err != nil || img != storedImage || len(f.pulls) != 0 {
			t.Errorf("mode %d stored: got %+v, %v, pulls %q", mode, img, err, f.pulls)
		}
	}
}
