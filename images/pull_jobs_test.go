package images_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/podunit/podunit/images"
)

// TestPullLayersConcurrently: layers download side by side, as many at
// once as Jobs says and no more.
func TestPullLayersConcurrently(t *testing.T) {
	requireRoot(t)
	isolate(t)
	var inFlight, peak atomic.Int32
	reg := testRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
				n := inFlight.Add(1)
				defer inFlight.Add(-1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(100 * time.Millisecond)
			}
			h.ServeHTTP(w, r)
		})
	})
	push(t, reg+"/app/many:1", randomImage(t, 5))
	s := openStore(t)
	if _, err := s.Pull(context.Background(), reg+"/app/many:1", images.PullOptions{Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p != 2 {
		t.Errorf("at most %d blob downloads at once, want 2 (Jobs)", p)
	}
}
