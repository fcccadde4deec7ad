package testhost

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"
)

// PowerCutContext kills the host at once, as pulling its plug would: its
// PID 1 and every process under it get SIGKILL, so no unit stops, no
// ExecStopPost runs and nothing is written after that instant. Then it
// boots the host again on the same disk. (Data in the page cache of the
// machine running the test host survives, so this shows what a crash of
// every process leaves, not what an unsynced write loses.)
func (h *Host) PowerCutContext(ctx context.Context) error {
	if h.removed {
		return errors.New("test host was shut down")
	}
	h.mu.Lock()
	procs := h.procs
	h.procs = map[*Process]struct{}{}
	cmd, done, leader := h.nspawn, h.done, h.leader
	h.nspawn = nil
	h.mu.Unlock()
	if cmd == nil {
		return errors.New("test host is not running")
	}
	if leader > 0 {
		_ = syscall.Kill(leader, syscall.SIGKILL)
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
	for p := range procs {
		_ = p.Kill()
	}
	h.cfg.logf("testhost: %s lost power", h.name)
	if err := unmountUnder(h.dir); err != nil {
		return err
	}
	if err := h.cgroups.remove(); err != nil {
		return err
	}
	return h.boot(ctx)
}

// PowerCut is PowerCutContext for tests, with the boot timeout.
func (h *Host) PowerCut(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.bootTimeout+time.Minute)
	defer cancel()
	if err := h.PowerCutContext(ctx); err != nil {
		t.Fatalf("power cut: %v", err)
	}
}
