package podinit

import (
	"testing"
	"time"

	"github.com/podunit/podunit/contract"
)

func TestBackoffSchedule(t *testing.T) {
	b := backoffFromPlan(&contract.Plan{})
	if b.base != 10*time.Second || b.max != 5*time.Minute || b.reset != 10*time.Minute {
		t.Fatalf("defaults: %+v", b)
	}
	var got []time.Duration
	prev := time.Duration(0)
	for i := 0; i < 8; i++ {
		prev = b.next(prev, time.Second)
		got = append(got, prev)
	}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second,
		160 * time.Second, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("schedule %v, want %v", got, want)
		}
	}
	if d := b.next(5*time.Minute, 10*time.Minute); d != 10*time.Second {
		t.Errorf("after a 10 min run: %v, want reset to 10s", d)
	}
	if d := b.next(40*time.Second, 10*time.Minute-time.Millisecond); d != 80*time.Second {
		t.Errorf("just short of the reset: %v, want 80s", d)
	}
}

func TestBackoffFromPlan(t *testing.T) {
	b := backoffFromPlan(&contract.Plan{BackoffBaseMillis: 200, BackoffMaxMillis: 100, BackoffResetMillis: 1000})
	if b.base != 200*time.Millisecond || b.max != 200*time.Millisecond || b.reset != time.Second {
		t.Errorf("%+v: max must not be below base", b)
	}
}

func TestShouldRestart(t *testing.T) {
	for _, tc := range []struct {
		policy string
		failed bool
		want   bool
	}{
		{contract.RestartAlways, false, true}, {contract.RestartAlways, true, true},
		{contract.RestartOnFailure, false, false}, {contract.RestartOnFailure, true, true},
		{contract.RestartNever, false, false}, {contract.RestartNever, true, false},
	} {
		if got := shouldRestart(tc.policy, tc.failed); got != tc.want {
			t.Errorf("shouldRestart(%s, failed=%v) = %v", tc.policy, tc.failed, got)
		}
	}
}
