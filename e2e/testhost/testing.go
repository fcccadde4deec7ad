package testhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Available reports why a test host cannot be booted on this machine, or
// nil if it can.
func Available() error { return availableFor(DefaultRecipe) }

func availableFor(r Recipe) error {
	if runtime.GOOS != "linux" {
		return errors.New("the test host needs Linux")
	}
	if os.Geteuid() != 0 {
		return errors.New("the test host needs root (systemd-nspawn, overlayfs mounts)")
	}
	tools := []string{"systemd-nspawn", "nsenter"}
	// debootstrap is only needed for a build; a cached rootfs boots
	// without it.
	if !isDir(filepath.Join(CacheRoot(), r.Hash(), "rootfs")) {
		tools = append(tools, "debootstrap")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found (run `make deps`)", tool)
		}
	}
	return nil
}

// Require skips t when no test host can run here, or fails it when
// PODUNIT_E2E=1 says this run is meant to exercise the test host, so that a
// broken CI machine cannot pass by skipping everything.
func Require(t testing.TB) {
	t.Helper()
	require(t, Available)
}

// RequireVM is Require for the VM test host.
func RequireVM(t testing.TB) {
	t.Helper()
	require(t, AvailableVM)
}

func require(t testing.TB, available func() error) {
	t.Helper()
	if testing.Short() {
		t.Skip("test host: skipped in -short mode")
	}
	err := available()
	if err == nil {
		return
	}
	if os.Getenv("PODUNIT_E2E") == "1" {
		t.Fatalf("PODUNIT_E2E=1 but the test host cannot run: %v", err)
	}
	t.Skipf("test host unavailable: %v (PODUNIT_E2E=1 turns this into a failure)", err)
}

// Boot starts a host for t and shuts it down when t ends. It binds the
// podunit binary from $PODUNIT_BIN unless WithBinary says otherwise.
func Boot(t testing.TB, opts ...Option) *Host {
	t.Helper()
	Require(t)
	return bootFor(t, Start, opts)
}

// BootVM starts a VM test host for t and stops it when t ends. It puts the
// podunit binary from $PODUNIT_BIN in unless WithBinary says otherwise.
func BootVM(t testing.TB, opts ...Option) *VM {
	t.Helper()
	RequireVM(t)
	return bootFor(t, StartVM, opts)
}

func bootFor[H interface{ Shutdown() error }](t testing.TB, start func(context.Context, ...Option) (H, error), opts []Option) H {
	t.Helper()
	opts = append([]Option{WithLogf(t.Logf)}, opts...)
	// Generous: the first boot on a fresh machine includes building
	// the cached rootfs (and for a VM, its image).
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	h, err := start(ctx, opts...)
	if err != nil {
		t.Fatalf("testhost: %v", err)
	}
	t.Cleanup(func() {
		if err := h.Shutdown(); err != nil {
			t.Errorf("testhost: shutdown: %v", err)
		}
	})
	return h
}

// Reboot powers the host off and boots it again on the same disk, failing
// t on error.
func (h *Host) Reboot(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := h.RebootContext(ctx); err != nil {
		t.Fatalf("testhost: reboot: %v", err)
	}
}

// MustRun runs args inside the host and returns stdout; a non-zero exit
// fails t with both outputs and the end of the host's journal, which is
// where a failed unit's reason is (CI keeps no host to look into).
func (h *Host) MustRun(t testing.TB, args ...string) string {
	t.Helper()
	return mustRun(t, h, args...)
}

func mustRun(t testing.TB, r runner, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, errOut, code, err := r.Run(ctx, args...)
	if err != nil || code != 0 {
		journal, _, _, _ := r.Run(ctx, "journalctl", "--no-pager", "-q", "-o", "short-monotonic", "-n", "80")
		t.Fatalf("in test host: %s: exit %d, err %v\n--- stdout:\n%s--- stderr:\n%s--- journal:\n%s", strings.Join(args, " "), code, err, out, errOut, journal)
	}
	return out
}

var binary struct {
	once sync.Once
	path string
	err  error
}

// Binary returns the podunit binary to test: $PODUNIT_BIN when set (make
// test-e2e sets it), else a static build of ./cmd/podunit into the
// module's bin/, done once per test process.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("PODUNIT_BIN"); p != "" {
		return p
	}
	binary.once.Do(func() { binary.path, binary.err = buildTool("./cmd/podunit", "podunit") })
	if binary.err != nil {
		t.Fatalf("building podunit: %v", binary.err)
	}
	return binary.path
}

// buildTool builds the module's package pkg statically into bin/name and
// returns its path. Static, because podunit runs as the pod's PID 1 inside
// rootfs trees that have no libc, and the VM agent in a guest.
func buildTool(pkg, name string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(root, "bin", name)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	// Several e2e test binaries may build at once.
	unlock, err := lockFile(context.Background(), filepath.Join(root, "bin", "."+name+".lock"), nil)
	if err != nil {
		return "", err
	}
	defer unlock()
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// tmpBase holds each host's upper layer, state and scratch dirs. It must be
// on a real disk: /tmp may be a small tmpfs, and overlayfs cannot use an
// overlayfs upper dir.
func tmpBase() string {
	if d := os.Getenv("PODUNIT_TESTHOST_TMPDIR"); d != "" {
		return d
	}
	return "/var/tmp"
}

// reapStale cleans up after test processes that died without shutting
// their hosts down (a timeout panic, a SIGKILL): their containers keep
// running and their overlays stay mounted otherwise.
func reapStale(pattern, pidFile string, logf func(string, ...any)) {
	dirs, _ := filepath.Glob(filepath.Join(tmpBase(), pattern))
	for _, dir := range dirs {
		owner := readPid(filepath.Join(dir, "owner.pid"))
		if owner <= 0 || processAlive(owner) {
			continue
		}
		if ns := readPid(filepath.Join(dir, pidFile)); ns > 0 && processAlive(ns) {
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", ns))
			if strings.Contains(string(cmdline), dir) {
				for _, c := range children(ns) {
					_ = syscall.Kill(c, syscall.SIGKILL)
				}
				_ = syscall.Kill(ns, syscall.SIGKILL)
				for i := 0; i < 50 && processAlive(ns); i++ {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}
		if err := removeAllUnmounted(dir); err != nil {
			logf("testhost: removing stale %s: %v", dir, err)
			continue
		}
		logf("testhost: removed stale %s (owner pid %d gone)", dir, owner)
	}
}

func readPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	// A zombie is as good as gone for our purposes.
	st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if i := strings.LastIndexByte(string(st), ')'); i > 0 && len(st) > i+2 && st[i+2] == 'Z' {
		return false
	}
	return true
}
