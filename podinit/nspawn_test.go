package podinit

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/podunit/podunit/contract"
)

// TestNspawnPod runs a real pod: this test binary as PID 1 of a
// systemd-nspawn container, with busybox containers. It needs root,
// systemd-nspawn, a static busybox and a static test binary:
//
//	CGO_ENABLED=0 go test ./podinit -run Nspawn -v
//
// podFixture is a pod root, run dir and image store for nspawn tests.
type podFixture struct {
	nspawn, self           string
	dir, root, run, images string
}

// newPodFixture skips unless the machine can run pods: root,
// systemd-nspawn, a static busybox and a static test binary
// (CGO_ENABLED=0). It builds a two-layer busybox image whose top layer's
// name needs overlay option escaping.
func newPodFixture(t *testing.T) *podFixture {
	if testing.Short() {
		t.Skip("integration test; skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	nspawn, err := exec.LookPath("systemd-nspawn")
	if err != nil {
		t.Skip("systemd-nspawn not installed")
	}
	busybox := ""
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if isStatic(p) {
			busybox = p
			break
		}
	}
	if busybox == "" {
		t.Skip("no static busybox (apt-get install busybox-static)")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if !isStatic(self) {
		t.Skip("test binary is not static: run with CGO_ENABLED=0")
	}

	f := &podFixture{nspawn: nspawn, self: self, dir: t.TempDir()}
	f.root = mkdirs(t, f.dir, "root")
	mkdirs(t, f.root, "usr") // nspawn wants something that looks like an OS tree
	writeFile(t, filepath.Join(f.root, "podinit"), "", 0o755)
	f.run = mkdirs(t, f.dir, "run")
	f.images = mkdirs(t, f.dir, "images")

	base := mkdirs(t, f.images, "base")
	mkdirs(t, base, "bin")
	copyFile(t, busybox, filepath.Join(base, "bin/busybox"))
	for _, applet := range []string{"sh", "cat", "echo", "sleep", "id", "touch", "hostname", "grep", "cp", "mv", "true", "head", "tr"} {
		if err := os.Symlink("busybox", filepath.Join(base, "bin", applet)); err != nil {
			t.Fatal(err)
		}
	}
	mkdirs(t, base, "etc")
	writeFile(t, filepath.Join(base, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n", 0o644)
	writeFile(t, filepath.Join(base, "etc/motd"), "base\n", 0o644)
	top := mkdirs(t, f.images, "top:layer,1")
	mkdirs(t, top, "etc")
	writeFile(t, filepath.Join(top, "etc/group"), "root:x:0:\napp:x:1000:\nextra:x:2000:app\n", 0o644)
	writeFile(t, filepath.Join(top, "etc/motd"), "top\n", 0o644)
	return f
}

var testLayers = []string{contract.ImagesDir + "/base", contract.ImagesDir + "/top:layer,1"}

// testContainer is a container on the fixture's image.
func testContainer(name string, args ...string) contract.Container {
	d := contract.RunDir + "/containers/" + name
	return contract.Container{
		Name: name, Layers: testLayers, Args: args,
		Upper: d + "/upper", Work: d + "/work", Rootfs: d + "/rootfs",
	}
}

// nspawnRun is a started pod.
type nspawnRun struct {
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan error
	ready  chan string
}

// start writes plan and starts nspawn with podinit as the unit would,
// minus machined registration; extra are more nspawn options.
func (f *podFixture) start(t *testing.T, plan *contract.Plan, extra ...string) *nspawnRun {
	data, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(f.run, "plan.json"), string(data), 0o644)

	notifyPath := filepath.Join(f.dir, "notify")
	notifyConn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: notifyPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { notifyConn.Close() })

	args := []string{"--quiet", "--register=no", "--keep-unit",
		"--directory=" + f.root, "--machine=podinit-test-" + strconv.Itoa(os.Getpid()),
		"--notify-ready=yes", "--kill-signal=SIGTERM",
		"--bind-ro=" + f.self + ":/podinit",
		"--bind=" + f.run + ":" + contract.RunDir,
		"--bind-ro=" + f.images + ":" + contract.ImagesDir}
	args = append(append(args, extra...), "/podinit")
	r := &nspawnRun{cmd: exec.Command(f.nspawn, args...), out: &lockedBuffer{},
		exited: make(chan error, 1), ready: make(chan string, 1)}
	r.cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+notifyPath)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.exited <- r.cmd.Wait() }()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			r.cmd.Process.Kill()
			<-r.exited
		}
		t.Logf("nspawn output:\n%s", r.out.String())
	})
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := notifyConn.Read(buf)
			if err != nil {
				return
			}
			if msg := string(buf[:n]); strings.Contains(msg, "READY=1") {
				r.ready <- msg
				return
			}
		}
	}()
	return r
}

func (r *nspawnRun) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-r.ready:
	case err := <-r.exited:
		r.exited <- err
		t.Fatalf("nspawn exited before READY=1: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no READY=1 within 30s")
	}
}

// wait returns nspawn's exit code (that of podinit).
func (r *nspawnRun) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case err := <-r.exited:
		if err == nil {
			return 0
		}
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		t.Fatalf("nspawn: %v", err)
	case <-time.After(limit):
		t.Fatalf("pod did not end within %v", limit)
	}
	return -1
}

func exitCodeOf(s *contract.Status) int {
	if s.ExitCode == nil {
		return -1
	}
	return *s.ExitCode
}

// TestNspawnPod runs a real pod: this test binary as PID 1 of a
// systemd-nspawn container, with busybox containers sharing an emptyDir.
// No journal socket is bound, so container output comes out on stderr.
// Run it as root with
//
//	CGO_ENABLED=0 go test ./podinit -run Nspawn -v
func TestNspawnPod(t *testing.T) {
	f := newPodFixture(t)
	shared := mkdirs(t, f.run, "volumes/shared")
	if err := os.Chmod(shared, 0o1777); err != nil {
		t.Fatal(err)
	}
	ctr := func(name string, args ...string) contract.Container {
		c := testContainer(name, args...)
		c.Mounts = []contract.Mount{{Source: contract.RunDir + "/volumes/shared", Target: "/shared"}}
		return c
	}
	sh := func(name, script string) contract.Container { return ctr(name, "sh", "-c", script) }

	writer := sh("writer", `id > /shared/id.txt; cat /etc/motd > /shared/motd; hostname > /shared/hostname
echo hello > /shared/msg.tmp && mv /shared/msg.tmp /shared/msg
trap "exit 0" TERM; while true; do sleep 0.1; done`)
	writer.User = "app"
	writer.WorkingDir = "/work"
	writer.Env = []string{"FOO=bar"}
	reader := sh("reader", `while [ ! -f /shared/msg ]; do sleep 0.1; done
echo "read $(cat /shared/msg)"; cp /shared/msg /shared/reader.txt
if touch /ro/x 2>/dev/null; then echo rw > /shared/ro.txt; else echo ro > /shared/ro.txt; fi
grep -q " /scratch tmpfs " /proc/mounts && echo tmpfs > /shared/tmpfs.txt
echo "to stderr" >&2; echo $$ > /shared/pid.txt
for i in 1 2 3; do (sleep 0.1 &); done; touch /shared/orphans.txt
exec sleep 1000`)
	reader.Mounts = append(reader.Mounts,
		contract.Mount{Source: contract.RunDir + "/volumes/shared", Target: "/ro", ReadOnly: true},
		contract.Mount{Source: contract.RunDir + "/volumes/mem", Target: "/scratch"})
	plan := &contract.Plan{
		Pod: "testpod", Namespace: "default", Hostname: "testpod-host",
		RestartPolicy: contract.RestartOnFailure, GracePeriodSeconds: 2,
		BackoffBaseMillis: 200, BackoffMaxMillis: 800, BackoffResetMillis: 60000,
		MemoryVolumes:  []contract.MemoryVolume{{Path: contract.RunDir + "/volumes/mem", SizeBytes: 1 << 20}},
		InitContainers: []contract.Container{sh("setup", `echo init > /shared/init.txt`)},
		Containers: []contract.Container{
			writer, reader,
			sh("flaky", `echo flaky run; exit 1`),
			ctr("missing", "no-such-command"),
			sh("done", `test -f /shared/init.txt`),
			sh("stubborn", `trap "" TERM; while true; do sleep 0.1; done`),
		},
	}
	r := f.start(t, plan)
	r.waitReady(t)

	statusDir := filepath.Join(f.run, "status")
	status := func(name string) *contract.Status {
		s, err := contract.ReadStatus(statusDir, name)
		if err != nil {
			return &contract.Status{}
		}
		return s
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok := status("flaky").RestartCount >= 2 && status("missing").RestartCount >= 1 &&
			exitCodeOf(status("done")) == 0 && status("writer").Cwd != "" &&
			fileExists(filepath.Join(shared, "orphans.txt"))
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pod did not reach the expected state in time")
		}
		time.Sleep(100 * time.Millisecond)
	}

	if s := status("setup"); s.State != contract.StateTerminated || exitCodeOf(s) != 0 || s.Reason != contract.ReasonCompleted {
		t.Errorf("init container: %+v", s)
	}
	if s := status("done"); s.State != contract.StateTerminated || s.RestartCount != 0 || s.Reason != contract.ReasonCompleted {
		t.Errorf("done: %+v", s)
	}
	if s := status("flaky"); exitCodeOf(s) != 1 {
		t.Errorf("flaky: exit code %d, want 1", exitCodeOf(s))
	}
	if s := status("missing"); exitCodeOf(s) != 127 {
		t.Errorf("missing: exit code %d, want 127", exitCodeOf(s))
	}
	w := status("writer")
	if w.State != contract.StateRunning || w.PID == 0 || w.UID != 1000 || w.GID != 1000 || len(w.Groups) != 1 || w.Groups[0] != 2000 || w.Cwd != "/work" {
		t.Errorf("writer: %+v", w)
	}
	for _, kv := range []string{"FOO=bar", "HOME=/home/app", "HOSTNAME=testpod-host", "PATH=" + defaultPath} {
		if !contains(w.Env, kv) {
			t.Errorf("writer env %q lacks %s", w.Env, kv)
		}
	}
	for file, want := range map[string]string{
		"init.txt": "init", "reader.txt": "hello", "motd": "top", "hostname": "testpod-host",
		"ro.txt": "ro", "tmpfs.txt": "tmpfs", "pid.txt": "1",
	} {
		got, err := os.ReadFile(filepath.Join(shared, file))
		if err != nil || strings.TrimSpace(string(got)) != want {
			t.Errorf("%s: got %q (%v), want %q", file, got, err, want)
		}
	}
	if id, _ := os.ReadFile(filepath.Join(shared, "id.txt")); !strings.Contains(string(id), "uid=1000(app) gid=1000(app)") || !strings.Contains(string(id), "2000(extra)") {
		t.Errorf("id in writer: %q", id)
	}
	if pod, err := contract.ReadPodStatus(statusDir); err != nil || pod.Phase != contract.PhaseRunning || pod.ReadyAt == "" {
		t.Errorf("pod status: %+v, %v", pod, err)
	}

	// The reader left orphans behind; as PID 1, podinit must reap them.
	time.Sleep(500 * time.Millisecond)
	if z := zombiesOf(t, podinitHostPID(t, r.cmd.Process.Pid)); len(z) > 0 {
		t.Errorf("zombie children of podinit: %v", z)
	}

	start := time.Now()
	r.cmd.Process.Signal(syscall.SIGTERM)
	if code := r.wait(t, 15*time.Second); code != contract.ExitSucceeded {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if d := time.Since(start); d < 2*time.Second || d > 10*time.Second {
		t.Errorf("stop took %v; want the 2s grace period plus a little", d)
	}
	if s := status("writer"); s.State != contract.StateTerminated || exitCodeOf(s) != 0 {
		t.Errorf("writer after stop: %+v", s)
	}
	// PID 1 of its own namespace, the reader's sleep has no SIGTERM
	// handler, so the kernel drops the signal, as under the kubelet.
	if s := status("reader"); s.Signal != "SIGKILL" || exitCodeOf(s) != 137 {
		t.Errorf("reader after stop: %+v", s)
	}
	if s := status("stubborn"); s.Reason != contract.ReasonKilled || s.Signal != "SIGKILL" {
		t.Errorf("stubborn after stop: %+v", s)
	}
	logs := r.out.String()
	for _, want := range []string{"reader: read hello", "reader: to stderr", "flaky: flaky run",
		`missing: podinit: exec: "no-such-command": executable file not found`} {
		if !strings.Contains(logs, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// TestNspawnJournal binds a fake journal socket into the pod and checks
// the native-protocol entries, and that a pod whose container fails under
// restartPolicy Never ends with exit code 1.
func TestNspawnJournal(t *testing.T) {
	f := newPodFixture(t)
	sock := filepath.Join(f.dir, "journal.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadBuffer(4 << 20)
	var mu sync.Mutex
	var entries []map[string]string
	go func() {
		buf := make([]byte, 1<<20)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			e, err := parseNative(buf[:n])
			if err != nil {
				t.Errorf("journal datagram: %v", err)
				continue
			}
			mu.Lock()
			entries = append(entries, e)
			mu.Unlock()
		}
	}()

	plan := &contract.Plan{
		Pod: "jpod", Namespace: "ns1", Hostname: "jpod", RestartPolicy: contract.RestartNever,
		Containers: []contract.Container{
			testContainer("talker", "sh", "-c", `echo out-line; echo err-line >&2; head -c 100000 /dev/zero | tr "\0" a; echo; printf no-newline`),
			testContainer("failer", "sh", "-c", `exit 3`),
		},
	}
	r := f.start(t, plan, "--bind-ro="+sock+":/run/systemd/journal/socket")
	if code := r.wait(t, 30*time.Second); code != contract.ExitPodFailed {
		t.Errorf("exit code %d, want %d", code, contract.ExitPodFailed)
	}
	if pod, err := contract.ReadPodStatus(filepath.Join(f.run, "status")); err != nil || pod.Phase != contract.PhaseFailed {
		t.Errorf("pod status: %+v, %v", pod, err)
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	var msgs []string
	for _, e := range entries {
		if e["CONTAINER_NAME"] != "talker" {
			continue
		}
		if e["POD_NAME"] != "jpod" || e["POD_NAMESPACE"] != "ns1" || e["SYSLOG_IDENTIFIER"] != "talker" {
			t.Errorf("entry fields: %v", e)
		}
		want := "6"
		if e["MESSAGE"] == "err-line" {
			want = "3"
		}
		if e["PRIORITY"] != want {
			t.Errorf("%q: priority %s, want %s", e["MESSAGE"], e["PRIORITY"], want)
		}
		m := e["MESSAGE"]
		if len(m) > 20 {
			m = fmt.Sprintf("a*%d", len(m))
		}
		msgs = append(msgs, m)
	}
	sort.Strings(msgs)
	want := []string{"a*1696", "a*49152", "a*49152", "err-line", "no-newline", "out-line"}
	if strings.Join(msgs, " ") != strings.Join(want, " ") {
		t.Errorf("journal messages %q, want %q", msgs, want)
	}
}

// parseNative decodes one journal native-protocol datagram.
func parseNative(b []byte) (map[string]string, error) {
	e := map[string]string{}
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil, fmt.Errorf("unterminated field %q", b)
		}
		line := b[:i]
		if k, v, ok := bytes.Cut(line, []byte("=")); ok {
			e[string(k)] = string(v)
			b = b[i+1:]
			continue
		}
		b = b[i+1:]
		if len(b) < 8 {
			return nil, fmt.Errorf("short binary field %s", line)
		}
		n := binary.LittleEndian.Uint64(b)
		b = b[8:]
		if uint64(len(b)) < n+1 {
			return nil, fmt.Errorf("short binary field %s", line)
		}
		e[string(line)] = string(b[:n])
		b = b[n+1:]
	}
	return e, nil
}

// podinitHostPID finds the container's PID 1 (nspawn's child) as seen
// from the host.
func podinitHostPID(t *testing.T, nspawnPID int) int {
	t.Helper()
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", nspawnPID))
	for _, f := range tasks {
		data, _ := os.ReadFile(f)
		for _, field := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(field); err == nil {
				return pid
			}
		}
	}
	t.Fatal("cannot find podinit's host PID")
	return 0
}

// zombiesOf lists zombie children of pid.
func zombiesOf(t *testing.T, pid int) []string {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []string
	for _, f := range stats {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// Fields after the command, which is in parentheses: state, ppid.
		i := bytes.LastIndexByte(data, ')')
		fields := strings.Fields(string(data[i+1:]))
		if len(fields) > 1 && fields[0] == "Z" && fields[1] == strconv.Itoa(pid) {
			out = append(out, string(data[:i+1]))
		}
	}
	return out
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func isStatic(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

func mkdirs(t *testing.T, parent, rel string) string {
	t.Helper()
	p := filepath.Join(parent, rel)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, string(data), 0o755)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
