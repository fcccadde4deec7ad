package nspawn

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podunit/podunit/internal/layout"
	"github.com/podunit/podunit/pod"
)

func TestEnvFileCgroupLayout(t *testing.T) {
	defer func(f func() bool) { unifiedHost = f }(unifiedHost)
	for _, unified := range []bool{false, true} {
		unifiedHost = func() bool { return unified }
		s := Stage{Layout: layout.Layout{StateDir: t.TempDir(), RuntimeDir: t.TempDir()}}
		p := &pod.Pod{}
		p.Metadata.Name = "web"
		if err := os.MkdirAll(filepath.Dir(s.Layout.NspawnEnvFile("web")), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := s.writeEnv(p, nil); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(s.Layout.NspawnEnvFile("web"))
		if err != nil {
			t.Fatal(err)
		}
		// On a cgroup v2 host the pod must get the unified layout too,
		// or podinit cannot give its containers their own limits.
		if got := strings.Contains(string(b), "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1\n"); got != unified {
			t.Errorf("unified host %v: environment file %q", unified, b)
		}
	}
}
