package pods

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// TestInOrder: work overlaps up to startJobs, done follows the index order
// whatever order the work finishes in.
func TestInOrder(t *testing.T) {
	var running, most atomic.Int32
	var order []int
	inOrder(20, func(i int) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(time.Duration(20-i) * time.Millisecond)
		running.Add(-1)
	}, func(i int) { order = append(order, i) })
	want := make([]int, 20)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(order, want) {
		t.Errorf("done order %v", order)
	}
	if m := most.Load(); m < 2 || m > startJobs {
		t.Errorf("%d ran at once, want 2..%d", m, startJobs)
	}
}
