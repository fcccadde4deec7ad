package kvm

import (
	"archive/tar"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/images/imagetest"
	"github.com/podunit/podunit/kvm/wire"
)

// vmFixture boots pods under TCG on this machine, without systemd: qemu
// runs as the test's child. It needs root (9p passthrough), qemu, a
// Debian guest kernel (hack/deps.sh) and a static busybox.
type vmFixture struct {
	image       string // the kernel qemu boots
	kernel      Kernel
	initrd      string
	run, images string
	logs        *captureSink
	mu          sync.Mutex
	notes       []string
	console     lockedBuffer
}

func newVMFixture(t testing.TB) *vmFixture {
	if testing.Short() {
		t.Skip("boots a VM; skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := exec.LookPath(QemuBinary()); err != nil {
		t.Skip("no qemu (hack/deps.sh installs it)")
	}
	k, err := FindKernel("/boot", "/lib/modules", "")
	if err != nil {
		t.Skip(err)
	}
	f := &vmFixture{kernel: k, logs: &captureSink{lines: make(chan string, 64)}}
	dir := t.TempDir()
	f.initrd, err = Initramfs(filepath.Join(dir, "initramfs"), k, podunitBinary(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if f.image, err = k.BootImage(filepath.Join(dir, "kernel")); err != nil {
		t.Fatal(err)
	}
	f.run = filepath.Join(dir, "run")
	f.images = filepath.Join(dir, "images")
	entries, err := imagetest.BaseEntries()
	if err != nil {
		t.Skip(err)
	}
	writeTree(t, filepath.Join(f.images, "base"), entries)
	os.MkdirAll(filepath.Join(f.run, "images"), 0o755)
	cfg := wire.GuestConfig{Shares: []wire.Share{{Tag: "podunit-images", Path: contract.ImagesDir, ReadOnly: true}}}
	writeJSON(t, filepath.Join(f.run, wire.GuestConfigName), cfg)
	return f
}

// podunitBinary is $PODUNIT_BIN (make's bin/podunit) or a fresh static
// build: the guest's /init.
func podunitBinary(t testing.TB, dir string) string {
	if b := os.Getenv("PODUNIT_BIN"); b != "" {
		return b
	}
	out := filepath.Join(dir, "podunit")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "github.com/podunit/podunit/cmd/podunit")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build podunit: %v\n%s", err, b)
	}
	return out
}

func (f *vmFixture) runner(plan *contract.Plan, stop chan os.Signal) *Runner {
	return &Runner{
		VM: VM{
			Binary: QemuBinary(), Machine: DefaultMachine(TCG), Accel: TCG, MemoryMiB: GuestMinMiB, CPUs: 1,
			Kernel: f.image, Initrd: f.initrd, Cmdline: Cmdline(),
			Shares: []Share{
				{Tag: wire.RunShareTag, HostPath: f.run},
				{Tag: "podunit-images", HostPath: f.images, ReadOnly: true},
			},
		},
		Pod: plan.Pod, Namespace: plan.Namespace, Logs: f.logs, Console: f.consoleWriter(), Stop: stop,
		Notify: func(st string) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.notes = append(f.notes, st)
			return nil
		},
	}
}

// consoleWriter keeps the console for failure messages and, with -v,
// shows it as it comes.
func (f *vmFixture) consoleWriter() io.Writer {
	if testing.Verbose() {
		return io.MultiWriter(&f.console, os.Stderr)
	}
	return &f.console
}

func (f *vmFixture) notified(want string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.notes {
		if strings.Contains(n, want) {
			return true
		}
	}
	return false
}

func container(name string, args ...string) contract.Container {
	d := contract.RunDir + "/containers/" + name
	return contract.Container{Name: name, Layers: []string{contract.ImagesDir + "/base"}, Args: args,
		Upper: d + "/upper", Work: d + "/work", Rootfs: d + "/rootfs"}
}

// TestVMPod boots a pod: a container's output line reaches the host
// through the journal channel with the pod's fields, READY=1 through the
// notify channel, and podinit's exit code (100: a container failed under
// restartPolicy Never) is the runner's.
func TestVMPod(t *testing.T) {
	f := newVMFixture(t)
	plan := &contract.Plan{
		Pod: "vmpod", Namespace: "default", Hostname: "vmpod", RestartPolicy: contract.RestartNever,
		GracePeriodSeconds: 2,
		Containers: []contract.Container{
			container("hello", "sh", "-c", `echo "hello from $(hostname)"; sleep 1; exit 3`),
		},
	}
	writeJSON(t, filepath.Join(f.run, "plan.json"), plan)
	start := time.Now()
	code, err := f.runner(plan, nil).Run()
	t.Logf("console:\n%s", f.console.String())
	if err != nil {
		t.Fatal(err)
	}
	if code != contract.ExitPodFailed {
		t.Errorf("exit code %d, want %d", code, contract.ExitPodFailed)
	}
	select {
	case l := <-f.logs.lines:
		if l != "hello/vmpod/default/6: hello from vmpod" {
			t.Errorf("log entry %q", l)
		}
	default:
		t.Error("no log entry from the container")
	}
	if !f.notified("READY=1") {
		t.Errorf("no READY=1; got %q", f.notes)
	}
	st, err := contract.ReadStatus(filepath.Join(f.run, "status"), "hello")
	if err != nil || st.ExitCode == nil || *st.ExitCode != 3 {
		t.Errorf("status record: %+v %v", st, err)
	}
	t.Logf("pod ran in %v", time.Since(start))
}

// TestVMPodStop: a Stop (the unit's SIGTERM) reaches the containers
// through podinit, and the pod ends with podinit's 0.
func TestVMPodStop(t *testing.T) {
	f := newVMFixture(t)
	plan := &contract.Plan{
		Pod: "vmstop", Hostname: "vmstop", RestartPolicy: contract.RestartAlways, GracePeriodSeconds: 10,
		Containers: []contract.Container{
			container("svc", "sh", "-c", `trap 'echo got TERM; exit 0' TERM; echo up; while true; do sleep 0.1; done`),
		},
	}
	writeJSON(t, filepath.Join(f.run, "plan.json"), plan)
	stop := make(chan os.Signal, 1)
	done := make(chan int, 1)
	go func() {
		code, err := f.runner(plan, stop).Run()
		if err != nil {
			t.Error(err)
		}
		done <- code
	}()
	next := func() string {
		t.Helper()
		select {
		case l := <-f.logs.lines:
			return l
		case <-time.After(3 * time.Minute):
			t.Fatalf("no more log lines; console:\n%s", f.console.String())
			return ""
		}
	}
	if l := next(); !strings.HasSuffix(l, ": up") {
		t.Fatalf("log entry %q, want %q", l, "up")
	}
	stop <- os.Interrupt
	// podinit signals the container's process group: the shell may first
	// report its sleep as "Terminated" on stderr, before its trap runs.
	for l := next(); !strings.HasSuffix(l, ": got TERM"); l = next() {
		if !strings.HasSuffix(l, ": Terminated") {
			t.Fatalf("log entry %q, want %q", l, "got TERM")
		}
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after stop", code)
		}
	case <-time.After(time.Minute):
		t.Fatal("pod did not stop")
	}
}

type captureSink struct{ lines chan string }

// Log records "container/pod/namespace/priority: message".
func (c *captureSink) Log(f map[string]string) {
	c.lines <- f["CONTAINER_NAME"] + "/" + f["POD_NAME"] + "/" + f["POD_NAMESPACE"] + "/" + f["PRIORITY"] + ": " + f["MESSAGE"]
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeTree materializes image entries as a directory: an unpacked layer.
func writeTree(t testing.TB, dir string, entries []imagetest.Entry) {
	t.Helper()
	for _, e := range entries {
		p := filepath.Join(dir, e.Name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		var err error
		switch e.Type {
		case tar.TypeDir:
			err = os.MkdirAll(p, os.FileMode(e.Mode|0o755)&os.ModePerm)
		case tar.TypeSymlink:
			err = os.Symlink(e.Linkname, p)
		default:
			mode := os.FileMode(e.Mode)
			if mode == 0 {
				mode = 0o644
			}
			err = os.WriteFile(p, []byte(e.Content), mode)
		}
		if err == nil && (e.Uid != 0 || e.Gid != 0) {
			err = os.Lchown(p, e.Uid, e.Gid)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
