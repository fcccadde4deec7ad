package pods

import (
	"context"
	"errors"
	"fmt"

	"github.com/podunit/podunit/images"
	"github.com/podunit/podunit/plan"
	"github.com/podunit/podunit/pod"
)

// pullMode says when compile may pull an image.
type pullMode int

const (
	// pullByPolicy follows imagePullPolicy, as the kubelet does when it
	// starts a pod (apply).
	pullByPolicy pullMode = iota
	// pullMissing pulls only an image that is not in the store (unless the
	// policy is Never): the unit's prepare step, at boot or on a restart,
	// must not depend on a registry for an image it already has.
	pullMissing
)

// image resolves a container's image, pulling it first when the mode and
// the container's imagePullPolicy ask for it.
func (m *Manager) image(ctx context.Context, c pod.Container, mode pullMode) (*plan.Image, error) {
	policy := c.ImagePullPolicy
	if policy == "Always" && mode == pullByPolicy {
		return m.pull(ctx, c.Image)
	}
	img, err := m.Images.Resolve(c.Image)
	if err == nil || !errors.Is(err, images.ErrNotFound) {
		return img, err
	}
	if policy == "Never" {
		return nil, fmt.Errorf("image %q is not in the store and imagePullPolicy is Never (podunit image pull or load it): %w", c.Image, err)
	}
	return m.pull(ctx, c.Image)
}

func (m *Manager) pull(ctx context.Context, ref string) (*plan.Image, error) {
	img, err := m.Images.Pull(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("image %q: %w", ref, err)
	}
	return img, nil
}
