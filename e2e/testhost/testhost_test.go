package testhost

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMirrorParsing(t *testing.T) {
	dir := t.TempDir()
	deb822 := filepath.Join(dir, "debian.sources")
	os.WriteFile(deb822, []byte(`Types: deb
# http://snapshot.example/archive
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
`), 0o644)
	if got := mirrorFromDeb822(deb822, "bookworm"); got != "http://mirror.example/debian" {
		t.Errorf("deb822: got %q", got)
	}
	if got := mirrorFromDeb822(deb822, "trixie"); got != "" {
		t.Errorf("deb822 trixie: got %q", got)
	}
	list := filepath.Join(dir, "sources.list")
	os.WriteFile(list, []byte("# comment\ndeb [signed-by=/k.gpg arch=amd64] http://m.example/debian bookworm main\n"), 0o644)
	if got := mirrorFromList(list, "bookworm"); got != "http://m.example/debian" {
		t.Errorf("sources.list: got %q", got)
	}
}

func TestRecipeHashChanges(t *testing.T) {
	r := DefaultRecipe
	r.Packages = append(append([]string{}, r.Packages...), "extra")
	if r.Hash() == DefaultRecipe.Hash() {
		t.Fatal("adding a package did not change the hash")
	}
	// The hash names a directory shared across runs and machines, so it
	// must not depend on map order or anything else per-process.
	if got, want := DefaultRecipe.Hash(), (Recipe{
		Suite: DefaultRecipe.Suite, Variant: DefaultRecipe.Variant,
		Packages: DefaultRecipe.Packages, Masked: DefaultRecipe.Masked,
		Wanted: DefaultRecipe.Wanted, Hostname: DefaultRecipe.Hostname,
		Revision: DefaultRecipe.Revision,
	}).Hash(); got != want {
		t.Fatalf("hash of an equal recipe differs: %s vs %s", got, want)
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	if got := unescapeMountinfo(`/var/tmp/a\040b\134c`); got != `/var/tmp/a b\c` {
		t.Errorf("got %q", got)
	}
}

// TestHost exercises one booted host end to end; the subtests share it
// because a boot is the expensive part.
func TestHost(t *testing.T) {
	h := Boot(t)
	ctx := t.Context()

	t.Run("running", func(t *testing.T) {
		out, _, _, err := h.Run(ctx, "systemctl", "is-system-running")
		if err != nil || strings.TrimSpace(out) != "running" {
			failed, _, _, _ := h.Run(ctx, "systemctl", "--failed", "--no-legend")
			t.Fatalf("is-system-running = %q (%v); failed units:\n%s", out, err, failed)
		}
		if got := strings.TrimSpace(h.MustRun(t, "hostname")); got != "podunit-testhost" {
			t.Errorf("hostname = %q", got)
		}
		if h.Leader() <= 1 {
			t.Errorf("leader = %d", h.Leader())
		}
	})

	t.Run("exit code and stdin", func(t *testing.T) {
		_, _, code, err := h.Run(ctx, "sh", "-c", "exit 7")
		if err != nil || code != 7 {
			t.Errorf("exit 7: code %d err %v", code, err)
		}
		out, _, _, err := h.RunStdin(ctx, strings.NewReader("hello\n"), "cat")
		if err != nil || out != "hello\n" {
			t.Errorf("cat: %q %v", out, err)
		}
		env := h.MustRun(t, "env")
		if !strings.Contains(env, "HOME=/root") || strings.Contains(env, "GOPATH") {
			t.Errorf("environment inside the host:\n%s", env)
		}
	})

	t.Run("private network", func(t *testing.T) {
		out := h.MustRun(t, "ip", "-o", "link")
		if strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, "lo:") {
			t.Errorf("want only loopback, got:\n%s", out)
		}
	})

	t.Run("files from outside", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(h.Root(), "etc/placed"), []byte("root\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(h.Scratch(), "shared"), []byte("scratch\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := h.MustRun(t, "cat", "/etc/placed", ScratchDir+"/shared"); got != "root\nscratch\n" {
			t.Errorf("got %q", got)
		}
		h.MustRun(t, "sh", "-c", "echo state > "+StateDir+"/probe")
		if b, err := os.ReadFile(h.Path(StateDir + "/probe")); err != nil || string(b) != "state\n" {
			t.Errorf("state dir via Path: %q %v", b, err)
		}
	})

	t.Run("machined", func(t *testing.T) {
		h.MustRun(t, "systemctl", "start", "systemd-machined")
		h.MustRun(t, "machinectl", "list", "--no-legend")
	})

	t.Run("nested pod registered with machined", func(t *testing.T) {
		// The pod's tree lives on the real-disk scratch bind; nspawn wants
		// a /usr in any directory it boots.
		h.MustRun(t, "sh", "-c", "mkdir -p /scratch/pod1/usr /scratch/pod1/bin && cp /bin/busybox /scratch/pod1/bin/busybox")
		h.MustRun(t, "systemd-run", "--unit=nested-pod1", "--service-type=simple",
			"systemd-nspawn", "--keep-unit", "--register=yes", "-M", "pod1", "-D", "/scratch/pod1",
			// As PID 1 the shell ignores SIGTERM unless it traps it, and
			// the host's poweroff would wait out the stop timeout.
			"/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; echo nested-hello; while sleep 1; do :; done")
		deadline := time.Now().Add(30 * time.Second)
		for {
			out, _, _, _ := h.Run(ctx, "machinectl", "list", "--no-legend")
			if strings.Contains(out, "pod1") {
				break
			}
			if time.Now().After(deadline) {
				status, _, _, _ := h.Run(ctx, "systemctl", "status", "--no-pager", "nested-pod1")
				t.Fatalf("pod1 not in machinectl list: %q\n%s", out, status)
			}
			time.Sleep(200 * time.Millisecond)
		}
		status := h.MustRun(t, "machinectl", "show", "pod1", "-p", "Unit")
		if !strings.Contains(status, "nested-pod1.service") {
			t.Errorf("machine unit: %q", status)
		}
		h.MustRun(t, "machinectl", "terminate", "pod1")
		for deadline := time.Now().Add(30 * time.Second); ; {
			out, _, _, _ := h.Run(ctx, "machinectl", "list", "--no-legend")
			if !strings.Contains(out, "pod1") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("pod1 still listed after terminate: %q", out)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("journal", func(t *testing.T) {
		h.MustRun(t, "sh", "-c", "echo journal-probe-42 | systemd-cat -t e2eprobe")
		deadline := time.Now().Add(10 * time.Second)
		for {
			out, _, _, _ := h.Run(ctx, "journalctl", "-t", "e2eprobe", "-o", "cat", "--no-pager")
			if strings.Contains(out, "journal-probe-42") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("message not in journal: %q", out)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("long-running process", func(t *testing.T) {
		p, err := h.StartProcess(ctx, "sh", "-c", "echo started; exec sleep 600")
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := p.WaitOutput(wctx, "started"); err != nil {
			t.Fatal(err)
		}
		if err := p.Kill(); err != nil {
			t.Fatal(err)
		}
		// The kill must reach the command inside, not just nsenter.
		if out, _, _, _ := h.Run(ctx, "pgrep", "-f", "sleep 600"); strings.TrimSpace(out) != "" {
			t.Errorf("sleep survived Kill: pids %s", out)
		}
	})
}

func TestShutdownLeavesNothing(t *testing.T) {
	Require(t)
	h, err := Start(t.Context(), WithLogf(t.Logf))
	if err != nil {
		t.Fatal(err)
	}
	dir, leader := h.dir, h.Leader()
	if mps, _ := MountsUnder(dir); len(mps) == 0 {
		t.Errorf("expected the overlay mounted under %s while running", dir)
	}
	p, err := h.StartProcess(context.Background(), "sleep", "600")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := h.Shutdown(); err != nil {
		t.Fatal(err)
	}
	t.Logf("shutdown took %s", time.Since(start))
	if mps, err := MountsUnder(dir); err != nil || len(mps) != 0 {
		t.Errorf("mounts left under %s: %v %v", dir, mps, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists: %v", dir, err)
	}
	if processAlive(leader) {
		t.Errorf("leader %d still alive", leader)
	}
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Error("background process survived shutdown")
	}
	if err := h.Shutdown(); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}

func TestReboot(t *testing.T) {
	h := Boot(t)
	h.MustRun(t, "sh", "-c", "echo before > /var/lib/kept && echo state > "+StateDir+"/kept && echo gone > /run/gone")
	bootID := h.MustRun(t, "cat", "/proc/sys/kernel/random/boot_id")
	oldLeader := h.Leader()
	h.Reboot(t)
	if h.Leader() == oldLeader {
		t.Errorf("leader pid unchanged after reboot: %d", oldLeader)
	}
	if got := h.MustRun(t, "cat", "/var/lib/kept", StateDir+"/kept"); got != "before\nstate\n" {
		t.Errorf("after reboot: %q", got)
	}
	if _, _, code, _ := h.Run(t.Context(), "test", "-e", "/run/gone"); code == 0 {
		t.Error("/run survived the reboot")
	}
	// Journal entries of the earlier boot are on disk, as on a real host.
	out := h.MustRun(t, "journalctl", "--list-boots", "--no-pager")
	if n := len(strings.Split(strings.TrimSpace(out), "\n")); n < 2 {
		t.Errorf("journalctl --list-boots shows %d boots:\n%s", n, out)
	}
	// nspawn gives each container boot its own boot_id, which journalctl
	// and podunit's boot-scoped state rely on.
	if again := h.MustRun(t, "cat", "/proc/sys/kernel/random/boot_id"); again == bootID {
		t.Errorf("boot_id unchanged after reboot: %s", bootID)
	}
}
