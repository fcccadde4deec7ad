package e2e

import (
	"strings"
	"testing"
)

// TestFullDisk: podunit's state on a small filesystem. An image load and
// an apply that run out of space fail with an error that says so, leave
// no image, pod, unit or partial layer behind, and work once space is
// freed.
func TestFullDisk(t *testing.T) {
	e := bootUnloaded(t)
	e.must("sh", "-c", "mkdir -p /var/lib/podunit && mount -t tmpfs -o size=16m podunit-state /var/lib/podunit")
	fill := func(leave string) {
		t.Helper()
		// Whatever is free now, less what the step may have.
		e.must("sh", "-c", `rm -f /var/lib/podunit/filler
free=$(df -k --output=avail /var/lib/podunit | tail -1)
fallocate -l $(( (free - `+leave+`) * 1024 )) /var/lib/podunit/filler`)
	}
	unfill := func() { e.must("rm", "-f", "/var/lib/podunit/filler") }
	leftovers := func(what string) {
		t.Helper()
		if out := e.must("sh", "-c", "find /var/lib/podunit/images -mindepth 2 \\( -path '*/incoming/*' -o -path '*/tmp/*' \\) | head"); strings.TrimSpace(out) != "" {
			t.Errorf("%s: partial files left in the store:\n%s", what, out)
		}
	}

	fill("256")
	errOut := e.fails("podunit", "image", "load", "/scratch/busybox.tar")
	if !strings.Contains(errOut, "no space left on device") || !strings.Contains(errOut, "the filesystem of /var/lib/podunit/images is full") {
		t.Errorf("image load on a full disk: %s", errOut)
	}
	if out := e.must("podunit", "image", "list"); strings.Contains(out, "busybox") {
		t.Errorf("a failed load left an image:\n%s", out)
	}
	leftovers("failed load")
	unfill()
	e.must("podunit", "image", "load", "/scratch/busybox.tar")
	leftovers("load")

	manifest := e.write("web.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - {name: c, image: "+testImage+", command: [sh, -c, 'echo hello > /tmp/x; exec sleep 1000']}\n")
	fill("0")
	errOut = e.fails("podunit", "apply", "-f", manifest)
	if !strings.Contains(errOut, "no space left on device") || !strings.Contains(errOut, "the filesystem of /var/lib/podunit is full") {
		t.Errorf("apply on a full disk: %s", errOut)
	}
	if out, _, _ := e.run("sh", "-c", "systemctl list-units --all --plain --no-legend 'podunit-*'; ls /var/lib/podunit/pods 2>/dev/null; machinectl list --no-legend"); strings.TrimSpace(out) != "" {
		t.Errorf("a failed apply left:\n%s", out)
	}
	unfill()
	e.must("podunit", "apply", "-f", manifest)
	e.waitRunning("web")
	e.must("podunit", "delete", "web")
}
