package podinit

import (
	"time"

	"github.com/podunit/podunit/contract"
)

// Kubernetes' kubelet restart back-off: 10 s doubling to 5 min, forgotten
// once a container has run for 10 min.
const (
	defaultBackoffBase  = 10 * time.Second
	defaultBackoffMax   = 5 * time.Minute
	defaultBackoffReset = 10 * time.Minute
)

type backoffPolicy struct {
	base, max, reset time.Duration
}

// backoffFromPlan uses the plan's values where set; zero means "the
// Kubernetes default" so hosts need not spell them out.
func backoffFromPlan(p *contract.Plan) backoffPolicy {
	b := backoffPolicy{defaultBackoffBase, defaultBackoffMax, defaultBackoffReset}
	if p.BackoffBaseMillis > 0 {
		b.base = time.Duration(p.BackoffBaseMillis) * time.Millisecond
	}
	if p.BackoffMaxMillis > 0 {
		b.max = time.Duration(p.BackoffMaxMillis) * time.Millisecond
	}
	if p.BackoffResetMillis > 0 {
		b.reset = time.Duration(p.BackoffResetMillis) * time.Millisecond
	}
	if b.max < b.base {
		b.max = b.base
	}
	return b
}

// next returns the delay before restarting a container whose previous
// restart delay was prev (0 if it never restarted) and whose instance that
// just exited ran for ran.
func (b backoffPolicy) next(prev, ran time.Duration) time.Duration {
	if prev <= 0 || ran >= b.reset {
		return b.base
	}
	d := prev * 2
	if d > b.max || d <= 0 {
		d = b.max
	}
	return d
}
