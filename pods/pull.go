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
	// pullAtStart follows it too (the unit's prepare step, at boot or on a
	// restart), but a failed pull of an Always image that the store has
	// starts the pod with the stored image and says so: a host must not
	// need its registry to bring back a pod it could run.
	pullAtStart
)

// image resolves a container's image, pulling it first when the
// container's imagePullPolicy asks for it.
func (m *Manager) image(ctx context.Context, c pod.Container, mode pullMode, secrets [][]byte) (*plan.Image, error) {
	policy := c.ImagePullPolicy
	if policy == "Always" {
		img, err := m.pull(ctx, c.Image, secrets)
		if err == nil || mode != pullAtStart {
			return img, err
		}
		stored, serr := m.Images.Resolve(c.Image)
		if serr != nil {
			return nil, err
		}
		fmt.Fprintf(m.Warnings, "warning: container %q: %v; starting with the image in the store\n", c.Name, err)
		return stored, nil
	}
	img, err := m.Images.Resolve(c.Image)
	if err == nil || !errors.Is(err, images.ErrNotFound) {
		return img, err
	}
	if policy == "Never" {
		return nil, fmt.Errorf("image %q is not in the store and imagePullPolicy is Never (podunit image pull or load it): %w", c.Image, err)
	}
	return m.pull(ctx, c.Image, secrets)
}

func (m *Manager) pull(ctx context.Context, ref string, secrets [][]byte) (*plan.Image, error) {
	img, err := m.Images.Pull(ctx, ref, secrets)
	if err != nil {
		return nil, fmt.Errorf("image %q: %w", ref, err)
	}
	return img, nil
}
