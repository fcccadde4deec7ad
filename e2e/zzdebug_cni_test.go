package e2e

import (
	"os"
	"strings"
	"testing"
)

func TestZZDebugCNI(t *testing.T) {
	e := boot(t)
	e.apply("a", netPod("a", "", ""))
	e.podIP("a")
	e.apply("b", netPod("b", "", ""))
	e.podIP("b")
	for _, l := range strings.Split(os.Getenv("DEBUG_CMDS"), ";") {
		out, errOut, code := e.run("sh", "-c", l)
		t.Logf("$ %s (exit %d)\n%s%s", l, code, out, errOut)
	}
}
