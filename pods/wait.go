package pods

import (
	"context"
	"errors"
	"time"

	"github.com/podunit/podunit/podstate"
)

// waitPoll is how often Wait reads the records again: they are small
// files and two D-Bus calls, so a person waiting notices no delay and the
// host no load.
const waitPoll = 250 * time.Millisecond

// Wait reads a pod's status until done says it is what the caller waits
// for, or ctx ends (returning ctx's error). done gets nil when the pod
// does not exist (so a caller can wait for its deletion); a wait that
// does not end there ends with the not-found error. The first look
// happens even when ctx has ended already (kubectl's --timeout=0).
func (m *Manager) Wait(ctx context.Context, name string, done func(*PodStatus) bool) error {
	// A connection to systemd closes when its context ends: these live
	// for the whole wait, which the loop ends when ctx does.
	look := context.WithoutCancel(ctx)
	v, err := m.viewer(look)
	if err != nil {
		return err
	}
	defer v.close()
	tick := time.NewTicker(waitPoll)
	defer tick.Stop()
	for {
		s, err := m.status(look, v, name)
		look = ctx
		if err != nil && !errors.Is(err, podstate.ErrNotFound) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if done(s) { // s is nil for a pod not found
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
