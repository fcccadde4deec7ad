package images_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/podunit/podunit/images"
)

// blobFault breaks one GET of a layer blob; h is the registry handler.
type blobFault func(w http.ResponseWriter, r *http.Request, h http.Handler)

// fail503 answers 503 Service Unavailable, which go-containerregistry's
// HTTP retries (configured in remoteOptions) cover.
func fail503(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
	http.Error(w, "try again later", http.StatusServiceUnavailable)
}

// cutMidBlob sends the headers and half of the blob, then drops the
// connection: the response started fine, so only the pull's own layer
// attempts (layerAttempts) can recover.
func cutMidBlob(w http.ResponseWriter, r *http.Request, h http.Handler) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body[:len(body)/2])
	http.NewResponseController(w).Flush()
	panic(http.ErrAbortHandler) // the server closes the connection
}

// faultyRegistry serves the in-process registry; the n-th GET (from 1) of
// the blob layer goes to fault when fail(n) says so. It returns the server
// and the count of GETs of that blob.
func faultyRegistry(t *testing.T, layer v1.Hash, fail func(n int32) bool, fault blobFault) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// No keep-alive: an idle connection's reader would sit in the
		// synctest bubble blocked on the network, which stops fake time.
		w.Header().Set("Connection", "close")
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+layer.String()) {
			if n := gets.Add(1); fail(n) {
				fault(w, r, reg)
				return
			}
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &gets
}

// pullInBubble pulls ref with fake time (testing/synctest): the back-off
// sleeps between attempts (go-containerregistry's 0.5 s, 1 s, ... and the
// pull's own 1 s, 2 s, 3 s) pass instantly, as nothing lets a test shorten
// them. The registry runs outside the bubble and is reached over real
// sockets (one per request, see faultyRegistry).
func pullInBubble(t *testing.T, s *images.Store, ref string) ([]*images.Image, error) {
	t.Helper()
	var got []*images.Image
	var err error
	synctest.Test(t, func(t *testing.T) {
		got, err = s.Pull(context.Background(), ref, images.PullOptions{})
	})
	return got, err
}

// TestPullRetriesLayer: a layer whose first GET fails (503, or the
// connection drops mid-blob) is fetched again and the pull succeeds.
func TestPullRetriesLayer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault blobFault
	}{
		{"503", fail503},
		{"connection cut mid-blob", cutMidBlob},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolate(t)
			img := randomImage(t, 2)
			ls, err := img.Layers()
			must(t, err)
			flaky, err := ls[1].Digest()
			must(t, err)
			srv, gets := faultyRegistry(t, flaky, func(n int32) bool { return n == 1 }, tc.fault)
			ref := strings.TrimPrefix(srv.URL, "http://") + "/retry/app:1"
			push(t, ref, img)
			s := openStore(t)

			got, err := pullInBubble(t, s, ref)
			if err != nil {
				t.Fatalf("pull with one failed layer GET: %v", err)
			}
			if n := gets.Load(); n != 2 {
				t.Errorf("layer blob fetched %d times, want 2 (one failure, one retry)", n)
			}
			if len(got) != 1 || len(got[0].Layers) != 2 {
				t.Fatalf("pulled %+v", got)
			}
			if n := countDir(t, filepath.Join(s.Root(), "layers")); n != 2 {
				t.Errorf("layers/ has %d entries, want 2", n)
			}
		})
	}
}

// TestPullGivesUpOnLayer: a layer that always drops the connection mid-blob
// is tried layerAttempts times, then the pull fails naming the layer and
// leaves no image and no layer of it.
func TestPullGivesUpOnLayer(t *testing.T) {
	isolate(t)
	img := randomImage(t, 1)
	ls, err := img.Layers()
	must(t, err)
	bad, err := ls[0].Digest()
	must(t, err)
	srv, gets := faultyRegistry(t, bad, func(int32) bool { return true }, cutMidBlob)
	ref := strings.TrimPrefix(srv.URL, "http://") + "/retry/broken:1"
	push(t, ref, img)
	s := openStore(t)

	_, err = pullInBubble(t, s, ref)
	if err == nil {
		t.Fatal("pull of a layer that always fails succeeded")
	}
	if !strings.Contains(err.Error(), bad.String()) {
		t.Errorf("error %q does not name the layer %s", err, bad)
	}
	if n := gets.Load(); n != images.LayerAttempts {
		t.Errorf("layer blob fetched %d times, want %d (layerAttempts)", n, images.LayerAttempts)
	}
	if l, _ := s.List(); len(l) != 0 {
		t.Errorf("store has %d images after a failed pull", len(l))
	}
	if n := countDir(t, filepath.Join(s.Root(), "layers")); n != 0 {
		t.Errorf("layers/ has %d entries", n)
	}
}
