package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/podunit/podunit/internal/crashpoint"
)

// maxCrashPoints bounds the walk over one command's checkpoints: a
// command that is still killed after that many is looping.
const maxCrashPoints = 12

// TestCrashAtEveryStep kills podunit (SIGKILL, as a power cut or kill -9
// would) at every checkpoint of apply, the unit's prepare and cleanup
// steps, delete, image load and gc in turn, and checks that the next
// command or `podunit gc` repairs everything: no unit, machine, state,
// mount, namespace, veth, lease or iptables rule is left, no image is
// half there, and the pod can be applied again.
func TestCrashAtEveryStep(t *testing.T) {
	e := bootUnloaded(t)
	manifest := e.write("web.yaml", netPod("web", "", "    ports: [{containerPort: 80, hostPort: 8080}]\n"))
	// killedAt runs a command with the crash point armed and says whether
	// the crash point killed it.
	killedAt := func(point string, n int, args ...string) bool {
		t.Helper()
		_, errOut, code := e.run(append([]string{"env", fmt.Sprintf("%s=%s:%d", crashpoint.Env, point, n)}, args...)...)
		if strings.Contains(errOut, "crashpoint: killed at") {
			t.Logf("%s #%d: %s", point, n, strings.TrimSpace(errOut[strings.Index(errOut, "crashpoint:"):]))
			return true
		}
		if code != 0 {
			t.Fatalf("%s with %s:%d failed without a crash: %s", strings.Join(args, " "), point, n, errOut)
		}
		return false
	}
	clean := func(what string) {
		t.Helper()
		e.must("podunit", "gc")
		e.assertNoTrace("web")
		e.assertNoNetTrace("web")
		if t.Failed() {
			t.Fatalf("after %s", what)
		}
	}
	// inUnits arms a crash point in the unit's own steps: systemd hands
	// its manager environment to every unit it starts.
	inUnits := func(point string, n int) {
		e.must("systemctl", "set-environment", fmt.Sprintf("%s=%s:%d", crashpoint.Env, point, n))
	}
	disarm := func() { e.must("systemctl", "unset-environment", crashpoint.Env) }

	// image load
	func() {
		t.Logf("--- %s", "image load")
		for n := 1; n <= maxCrashPoints; n++ {
			if !killedAt("image/", n, "podunit", "image", "load", "/scratch/busybox.tar") {
				return
			}
			// Either the image is there whole (the last step was its
			// record) or not at all; gc clears the rest, and the load
			// then completes.
			e.must("podunit", "gc")
			if out := e.must("sh", "-c", "find /var/lib/podunit/images -mindepth 2 \\( -path '*/incoming/*' -o -path '*/tmp/*' \\)"); strings.TrimSpace(out) != "" {
				t.Errorf("after load killed at #%d, gc left:\n%s", n, out)
			}
			if out, _, code := e.run("podunit", "image", "inspect", testImage); code == 0 {
				for _, l := range strings.Split(out, "\n") {
					if f := strings.Fields(l); len(f) == 2 && strings.HasPrefix(f[0], "sha256:") {
						e.must("test", "-d", f[1])
					}
				}
				e.must("podunit", "image", "rm", testImage)
				e.must("podunit", "gc")
			}
		}
		t.Fatalf("image load still killed after %d crash points", maxCrashPoints)
	}()
	e.must("podunit", "image", "load", "/scratch/busybox.tar")

	// apply
	func() {
		t.Logf("--- %s", "apply")
		for n := 1; n <= maxCrashPoints; n++ {
			killed := killedAt("apply/", n, "podunit", "apply", "-f", manifest)
			// The next apply finishes what the killed one began.
			e.must("podunit", "apply", "-f", manifest)
			e.waitRunning("web")
			e.must("podunit", "delete", "web")
			clean(fmt.Sprintf("apply killed at #%d", n))
			if !killed {
				return
			}
		}
		t.Fatalf("apply still killed after %d crash points", maxCrashPoints)
	}()

	// prepare
	func() {
		t.Logf("--- %s", "prepare")
		defer disarm()
		for n := 1; n <= maxCrashPoints; n++ {
			inUnits("network/setup/", n)
			_, errOut, code := e.run("podunit", "apply", "-f", manifest)
			disarm()
			if code == 0 {
				e.must("podunit", "delete", "web")
				clean("the last prepare")
				return
			}
			if !strings.Contains(errOut, "web") {
				t.Fatalf("apply with prepare killed at #%d: %s", n, errOut)
			}
			t.Logf("prepare killed at #%d", n)
			clean(fmt.Sprintf("prepare killed at #%d", n))
		}
		t.Fatalf("prepare still killed after %d crash points", maxCrashPoints)
	}()

	// cleanup and delete
	func() {
		t.Logf("--- %s", "cleanup and delete")
		defer disarm()
		for _, point := range []string{"network/teardown/", "delete/"} {
			for n := 1; n <= maxCrashPoints; n++ {
				e.must("podunit", "apply", "-f", manifest)
				e.waitRunning("web")
				killed := false
				if point == "delete/" {
					killed = killedAt(point, n, "podunit", "delete", "web")
				} else {
					inUnits(point, n)
					e.run("podunit", "delete", "web")
					disarm()
					killed = n <= 2 // teardown has two checkpoints
				}
				// A pod whose delete was cut short is deleted again; gc
				// frees what no record describes any more.
				if _, _, code := e.run("podunit", "status", "web"); code == 0 {
					e.must("podunit", "delete", "web")
				}
				clean(fmt.Sprintf("%s killed at #%d", point, n))
				if !killed {
					break
				}
			}
		}
	}()

	// gc
	func() {
		t.Logf("--- %s", "gc")
		for n := 1; n <= maxCrashPoints; n++ {
			if !killedAt("gc/", n, "podunit", "gc", "--all") {
				return
			}
			clean(fmt.Sprintf("gc killed at #%d", n))
		}
		t.Fatalf("gc still killed after %d crash points", maxCrashPoints)
	}()
}
