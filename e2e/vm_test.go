package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/podunit/podunit/e2e/testhost"
)

// TestVMHost runs what only the VM test host can show, on one boot (TCG
// makes boots the expensive part): cgroup v2 with every controller, so
// limits are really enforced, and SELinux enforcing.
func TestVMHost(t *testing.T) {
	vm := testhost.BootVM(t, testhost.WithBinary(testhost.Binary(t)))
	ctx := t.Context()

	t.Run("host", func(t *testing.T) {
		if got := strings.TrimSpace(vm.MustRun(t, "stat", "-fc", "%T", "/sys/fs/cgroup")); got != "cgroup2fs" {
			t.Errorf("/sys/fs/cgroup is %s, want cgroup2fs", got)
		}
		// Available at the root; systemd enables each below it as
		// units ask for it.
		ctrl := strings.Fields(vm.MustRun(t, "cat", "/sys/fs/cgroup/cgroup.controllers"))
		for _, want := range []string{"cpu", "memory", "pids"} {
			if !contains(ctrl, want) {
				t.Errorf("root cgroup has controllers %v, want %s among them", ctrl, want)
			}
		}
		if got := strings.TrimSpace(vm.MustRun(t, "getenforce")); got != "Enforcing" {
			t.Errorf("getenforce = %s", got)
		}
		out, err := vm.Shell(ctx, "id -Z; ls -Z "+testhost.BinaryPath)
		t.Logf("agent context and binary label: %s (%v)", out, err)
	})
	_ = time.Second
	_ = context.Background
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
