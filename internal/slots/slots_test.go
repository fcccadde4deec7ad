package slots

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestConcurrentUnique(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.json")
	const n = 64
	var wg sync.WaitGroup
	got := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A Table per goroutine: separate lock fds, like processes.
			tb := &Table{Path: path, Size: 1000, What: "test slots"}
			got[i], errs[i] = tb.Allocate(fmt.Sprintf("pod%d", i))
		}()
	}
	wg.Wait()
	seen := map[int]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if seen[got[i]] {
			t.Fatalf("slot %d handed out twice", got[i])
		}
		seen[got[i]] = true
	}
}

// TestProcesses allocates from several processes (this test binary
// re-executed) at once.
func TestProcesses(t *testing.T) {
	if p := os.Getenv("SLOTS_CHILD"); p != "" {
		tb := &Table{Path: p, Size: 100, What: "test slots"}
		for i := range 10 {
			if _, err := tb.Allocate(fmt.Sprintf("%s-%d", os.Getenv("SLOTS_NAME"), i)); err != nil {
				fmt.Println(err)
				os.Exit(1)
			}
		}
		return
	}
	path := filepath.Join(t.TempDir(), "t.json")
	var cmds []*exec.Cmd
	for i := range 5 {
		c := exec.Command(os.Args[0], "-test.run=^TestProcesses$")
		c.Env = append(os.Environ(), "SLOTS_CHILD="+path, fmt.Sprintf("SLOTS_NAME=p%d", i))
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)
	if n := strings.Count(string(data), ":"); n != 50 {
		t.Fatalf("%d allocations recorded, want 50:\n%s", n, data)
	}
	tb := &Table{Path: path, Size: 100, What: "test slots"}
	// 50 taken: the other 50 go, then exhaustion.
	for i := range 50 {
		if _, err := tb.Allocate(fmt.Sprintf("more%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tb.Allocate("one-too-many"); !errors.Is(err, ErrExhausted) || !strings.Contains(err.Error(), "all 100 are in use") {
		t.Fatalf("exhaustion: %v", err)
	}
}

func TestPersistRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.json")
	a := &Table{Path: path, Size: 2, What: "test slots"}
	s1, _ := a.Allocate("one")
	if _, err := a.Allocate("two"); err != nil {
		t.Fatal(err)
	}
	// A new Table is a new process, or the host after a reboot.
	b := &Table{Path: path, Size: 2, What: "test slots"}
	if s, _ := b.Allocate("one"); s != s1 {
		t.Fatalf("slot not persistent: %d then %d", s1, s)
	}
	if _, err := b.Allocate("three"); !errors.Is(err, ErrExhausted) {
		t.Fatalf("want exhaustion, got %v", err)
	}
	if err := b.Release("one"); err != nil {
		t.Fatal(err)
	}
	if s, err := b.Allocate("three"); err != nil || s != s1 {
		t.Fatalf("released slot not reused: %d %v", s, err)
	}
	if _, ok, _ := b.Lookup("one"); ok {
		t.Fatal("released pod still has a slot")
	}
}

func TestHolders(t *testing.T) {
	tb := &Table{Path: filepath.Join(t.TempDir(), "t.json"), Size: 4, What: "slot"}
	for _, p := range []string{"a", "b"} {
		if _, err := tb.Allocate(p); err != nil {
			t.Fatal(err)
		}
	}
	h, err := tb.Holders()
	if err != nil || len(h) != 2 {
		t.Fatalf("holders %v %v", h, err)
	}
	if err := tb.Release("a"); err != nil {
		t.Fatal(err)
	}
	if h, _ := tb.Holders(); len(h) != 1 || h[0] != "b" {
		t.Fatalf("after release: %v", h)
	}
}
