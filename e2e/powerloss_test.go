package e2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/podunit/podunit/images/imagetest"
)

// TestPowerLoss cuts the test host's power during a pull and during a
// 20-pod apply, boots it again, and checks that the image store passes a
// full verification, the generator's pods come back, gc frees what the
// dead run held (leases, rules, namespaces), and the same pull and apply
// then work.
func TestPowerLoss(t *testing.T) {
	e := boot(t)
	e.installGenerator()
	for _, n := range []string{"gen-a", "gen-b"} {
		e.write(n+".yaml", bootPod(n, n))
		e.must("cp", "/scratch/"+n+".yaml", "/etc/podunit/pods/")
	}
	e.waitRunning("gen-a", "gen-b")
	e.must("podunit", "image", "verify")

	// During a pull: two 16 MB layers, one at a time.
	e.startRegistry("registry", "5000", "/var/lib/registry", "")
	base := ociImage(t)
	big := make([]byte, 32<<20)
	rand.Read(big)
	img, err := mutate.AppendLayers(base, mustStatic(t, imagetest.File("data/a", string(big[:16<<20]))), mustStatic(t, imagetest.File("data/b", string(big[16<<20:]))))
	if err != nil {
		t.Fatal(err)
	}
	e.skopeoPush(e.layoutDir("big", img), reg+"/big:1")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pull, err := e.h.StartProcess(ctx, "podunit", "image", "pull", "--jobs", "1", reg+"/big:1")
	if err != nil {
		t.Fatal(err)
	}
	// The manifest is checked; the layers are on their way (progress
	// goes to stderr).
	e.eventually(60*time.Second, "the pull under way", func() bool {
		return strings.Contains(pull.Stderr(), "Pulling")
	})
	e.h.PowerCut(t)
	e.afterPowerLoss("gen-a", "gen-b")
	// The registry was a transient unit; its storage survived.
	e.startRegistry("registry", "5000", "/var/lib/registry", "")
	e.must("podunit", "image", "pull", reg+"/big:1")
	e.must("podunit", "image", "verify")

	// During a 20-pod apply.
	e.must("mkdir", "-p", "/scratch/many")
	for i := range 20 {
		e.write(fmt.Sprintf("many/p%02d.yaml", i), netPod(fmt.Sprintf("p%02d", i), "", ""))
	}
	apply, err := e.h.StartProcess(ctx, "podunit", "apply", "-f", "/scratch/many")
	if err != nil {
		t.Fatal(err)
	}
	if err := apply.WaitOutput(ctx, "pod/p04 created"); err != nil {
		t.Fatal(err)
	}
	e.h.PowerCut(t)
	e.afterPowerLoss("gen-a", "gen-b")
	e.must("podunit", "apply", "-f", "/scratch/many")
	for i := range 20 {
		e.waitRunning(fmt.Sprintf("p%02d", i))
	}
	for i := range 20 {
		e.must("podunit", "delete", fmt.Sprintf("p%02d", i))
		e.assertNoNetTrace(fmt.Sprintf("p%02d", i))
	}
}

// afterPowerLoss checks the host once it is back: the store verifies, the
// generated pods run, and gc leaves nothing of pods that do not run.
func (e *env) afterPowerLoss(generated ...string) {
	e.t.Helper()
	if out, errOut, code := e.run("podunit", "image", "verify"); code != 0 {
		e.t.Fatalf("image verify after the power loss: %s%s", out, errOut)
	}
	e.waitRunning(generated...)
	e.must("podunit", "gc")
	if out := e.must("sh", "-c", "find /var/lib/podunit/images/incoming /var/lib/podunit/images/tmp -mindepth 1 2>/dev/null"); strings.TrimSpace(out) != "" {
		e.t.Errorf("gc left store leftovers: %s", out)
	}
	running := map[string]bool{}
	for _, n := range generated {
		running[n] = true
	}
	for _, p := range e.podsOnHost() {
		if !running[p] {
			e.assertNoNetTrace(p)
		}
	}
}
