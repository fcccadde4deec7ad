package podstate

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/podunit/podunit/internal/layout"
	"github.com/podunit/podunit/units"
)

func TestMountPoints(t *testing.T) {
	info := "36 35 98:0 /mnt1 /mnt/with\\040space rw - ext3 /dev/root rw\n37 35 0:3 / /proc rw - proc proc rw\n"
	if got := mountPoints(info); !reflect.DeepEqual(got, []string{"/mnt/with space", "/proc"}) {
		t.Fatalf("%q", got)
	}
}

// TestLockExcludes: a second Lock waits for the first, including across a
// Release that removes the lock file.
func TestLockExcludes(t *testing.T) {
	s := &Store{Host: units.Host{Layout: layout.Layout{StateDir: t.TempDir()}}, LockDir: t.TempDir()}
	l, err := s.Lock("web")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []string
	done := make(chan struct{})
	go func() {
		l2, err := s.Lock("web")
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		order = append(order, "second")
		mu.Unlock()
		l2.Release()
		close(done)
	}()
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	order = append(order, "first")
	mu.Unlock()
	l.Release()
	<-done
	if !reflect.DeepEqual(order, []string{"first", "second"}) {
		t.Fatalf("order %v", order)
	}
}

// TestHostLockIsNotAPodLock: a pod named like a host-wide lock must not
// share its file, or apply would wait on itself.
func TestHostLockIsNotAPodLock(t *testing.T) {
	s := &Store{Host: units.Host{Layout: layout.Layout{StateDir: t.TempDir()}}, LockDir: t.TempDir()}
	pl, err := s.Lock("ports")
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Release()
	done := make(chan error, 1)
	go func() {
		hl, err := s.HostLock("ports", true)
		if err == nil {
			hl.Unlock()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the host ports lock waits for the pod named ports")
	}
}
