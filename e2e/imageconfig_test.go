package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podunit/podunit/images/imagetest"
)

// TestImageDefaults: where the pod is silent, the image's Entrypoint, Cmd,
// Env, WorkingDir and User apply, as in Kubernetes; the pod's command,
// args and env override them.
func TestImageDefaults(t *testing.T) {
	e := boot(t)
	archive := filepath.Join(e.h.Scratch(), "configured.tar")
	err := imagetest.BusyboxArchive(archive, "localhost/configured:1",
		imagetest.WithEntrypoint("sh", "-c"),
		imagetest.WithCmd(`echo "uid=$(id -u) gid=$(id -g) cwd=$(pwd) mode=$MODE"; exec sleep 1000`),
		imagetest.WithEnv("MODE=image"),
		imagetest.WithWorkingDir("/home/app"),
		imagetest.WithUser("app"))
	if err != nil {
		t.Fatal(err)
	}
	e.must("podunit", "image", "load", "/scratch/configured.tar")
	e.apply("defaults", `apiVersion: v1
kind: Pod
metadata: {name: defaults}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: image
    image: localhost/configured:1
  - name: args
    image: localhost/configured:1
    args: ['echo "args mode=$MODE"; exec sleep 1000']
    env: [{name: MODE, value: pod}]
  - name: command
    image: localhost/configured:1
    command: ["sh", "-c", 'echo "command cwd=$(pwd)"; exec sleep 1000']
    workingDir: /tmp
`)
	want := map[string]string{
		"image":   "uid=1000 gid=1000 cwd=/home/app mode=image",
		"args":    "args mode=pod",
		"command": "command cwd=/tmp",
	}
	for c, line := range want {
		e.eventually(10*time.Second, c+" output", func() bool {
			out, _, _ := e.run("podunit", "logs", "defaults", "-c", c)
			return strings.Contains(out, line)
		})
	}

	// exec runs as the container's user, with its bounding set and
	// no_new_privs, in its working directory.
	var st struct {
		Containers []struct {
			Name string `json:"name"`
			PID  int    `json:"pid"`
		} `json:"containers"`
	}
	if err := json.Unmarshal([]byte(e.must("podunit", "status", "defaults", "-o", "json")), &st); err != nil {
		t.Fatal(err)
	}
	pid := st.Containers[0].PID
	if pid == 0 {
		t.Fatalf("no pid recorded: %+v", st)
	}
	// exec joins the container's own PID namespace, where its command
	// is PID 1 (the recorded PID is the pod's view of it).
	out := e.must("podunit", "exec", "defaults", "-c", "image", "--", "sh", "-c",
		"pwd; grep -E '^(Uid|Gid|CapBnd|CapEff|NoNewPrivs):' /proc/1/status; echo ---; grep -E '^(Uid|Gid|CapBnd|CapEff|NoNewPrivs):' /proc/self/status")
	cwd, rest, _ := strings.Cut(out, "\n")
	if cwd != "/home/app" {
		t.Errorf("exec cwd %q", cwd)
	}
	container, self, ok := strings.Cut(rest, "---\n")
	if !ok || container != self {
		t.Fatalf("exec'd process differs from the container's:\ncontainer:\n%s\nexec:\n%s", container, self)
	}
	if !strings.Contains(self, "Uid:\t1000") {
		t.Fatalf("exec not as the image user:\n%s", self)
	}
	e.must("podunit", "delete", "defaults")
	e.assertNoTrace("defaults")
}
