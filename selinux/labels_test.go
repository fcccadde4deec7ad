package selinux

import (
	"path/filepath"
	"sync"
	"testing"
)

func TestPair(t *testing.T) {
	seen := map[[2]int]bool{}
	for k := 0; k < Pairs; k++ {
		i, j := pair(k)
		if i < 0 || j <= i || j >= Categories || seen[[2]int{i, j}] {
			t.Fatalf("slot %d: c%d,c%d", k, i, j)
		}
		seen[[2]int{i, j}] = true
	}
}

func TestAllocatorConcurrent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "selinux")
	var wg sync.WaitGroup
	levels := make([]string, 40)
	for i := range levels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := NewAllocator(dir).Level("pod" + string(rune('a'+i)))
			if err != nil {
				t.Error(err)
			}
			levels[i] = l
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, l := range levels {
		if seen[l] {
			t.Fatalf("level %s given twice", l)
		}
		seen[l] = true
	}
	again, _ := NewAllocator(dir).Level("poda")
	if again != levels[0] {
		t.Fatalf("not persistent: %s then %s", levels[0], again)
	}
}

func TestMake(t *testing.T) {
	l := Make("s0:c1,c2", Options{})
	if l.Process != "system_u:system_r:container_t:s0:c1,c2" || l.File != "system_u:object_r:container_file_t:s0:c1,c2" {
		t.Fatalf("%+v", l)
	}
	l = Make("s0:c1,c2", Options{Type: "spc_t", Level: "s0:c5,c6"})
	if l.Process != "system_u:system_r:spc_t:s0:c5,c6" || l.File != "system_u:object_r:container_file_t:s0:c5,c6" {
		t.Fatalf("%+v", l)
	}
}
