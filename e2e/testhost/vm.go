package testhost

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/podunit/podunit/e2e/testhost/agent"
)

// SELinuxMode is how the VM's kernel starts SELinux.
type SELinuxMode string

const (
	SELinuxEnforcing  SELinuxMode = "enforcing"
	SELinuxPermissive SELinuxMode = "permissive"
	SELinuxDisabled   SELinuxMode = "disabled"
)

// VM defaults: TCG is slow, so a little more memory than a pod test needs
// and both cores of the CI machine.
const (
	DefaultVMBootTimeout = 4 * time.Minute
	vmMemoryMiB          = 2048
	vmCPUs               = 2
	// shareTag is the 9p share holding the podunit binary; scratchTag is
	// ScratchDir's.
	shareTag   = "podunitshare"
	scratchTag = "scratch"
)

// VM is one booted VM test host: the VM image under qemu (TCG), its disk a
// throwaway overlay, reached through the agent over virtio-serial. It has
// no network interface at all, only its own loopback.
type VM struct {
	name    string
	cfg     config
	selinux SELinuxMode
	img     VMImage
	dir     string
	scratch string
	share   string
	logPath string
	sock    string

	mu      sync.Mutex
	qemu    *exec.Cmd
	done    chan struct{}
	client  *agent.Client
	removed bool
}

// WithSELinux boots the VM with SELinux in mode (default enforcing). Only
// VMs read it.
func WithSELinux(mode SELinuxMode) Option { return func(c *config) { c.selinux = mode } }

// WithVMRecipe boots a disk built from r instead of DefaultVMRecipe.
func WithVMRecipe(r VMRecipe) Option { return func(c *config) { c.vmRecipe = &r } }

// Name identifies the VM in logs and its temp dir.
func (v *VM) Name() string { return v.name }

// Scratch is the CI-machine path of the VM's ScratchDir (a 9p share).
func (v *VM) Scratch() string { return v.scratch }

// Log is the VM's serial console so far: the kernel's and systemd's boot
// messages.
func (v *VM) Log() string {
	b, _ := os.ReadFile(v.logPath)
	return string(b)
}

// AvailableVM reports why a VM test host cannot be booted here, or nil.
func AvailableVM() error {
	if err := availableFor(DefaultRecipe); err != nil {
		return err
	}
	for _, tool := range []string{"qemu-system-x86_64", "mkfs.ext4", "chroot", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found (run `make deps`)", tool)
		}
	}
	return nil
}

// StartVM builds (or reuses) the VM image and boots it. ctx bounds the
// build and the boot; the VM lives until Shutdown. Of the options, VMs read
// WithBinary, WithLogf, WithKeep, WithBootTimeout, WithSELinux and
// WithVMRecipe.
func StartVM(ctx context.Context, opts ...Option) (*VM, error) {
	cfg, err := newConfig(DefaultVMBootTimeout, opts)
	if err != nil {
		return nil, err
	}
	if len(cfg.binds) > 0 || len(cfg.nspawnArgs) > 0 {
		return nil, errors.New("VM test host: binds and nspawn arguments are for the container host; share files through Scratch")
	}
	if err := AvailableVM(); err != nil {
		return nil, err
	}
	recipe := DefaultVMRecipe
	if cfg.vmRecipe != nil {
		recipe = *cfg.vmRecipe
	}
	agentBin, err := buildTool("./e2e/testhost/agent/podunit-vmagent", "podunit-vmagent")
	if err != nil {
		return nil, fmt.Errorf("building the VM agent: %w", err)
	}
	img, err := EnsureVMImage(ctx, recipe, agentBin, cfg.logf)
	if err != nil {
		return nil, err
	}
	reapStale("podunit-vmhost-*", "qemu.pid", cfg.logf)

	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	v := &VM{name: "podunit-vm-" + hex.EncodeToString(rnd[:]), cfg: cfg, selinux: cfg.selinux, img: img}
	if v.selinux == "" {
		v.selinux = SELinuxEnforcing
	}
	if v.dir, err = newHostDir("podunit-vmhost-"); err != nil {
		return nil, err
	}
	v.scratch = filepath.Join(v.dir, "scratch")
	v.share = filepath.Join(v.dir, "share")
	v.logPath = filepath.Join(v.dir, "console.log")
	v.sock = filepath.Join(v.dir, "agent.sock")
	if err := mkdirs(v.scratch, v.share); err != nil {
		_ = v.Shutdown()
		return nil, err
	}
	if cfg.binary != "" {
		if err := copyFile(cfg.binary, filepath.Join(v.share, "podunit"), 0o755); err != nil {
			_ = v.Shutdown()
			return nil, err
		}
	}
	if err := v.boot(ctx); err != nil {
		_ = v.Shutdown()
		return nil, err
	}
	return v, nil
}

func (v *VM) cmdline() string {
	args := []string{
		"root=/dev/vda", "rw", "console=ttyS0", "panic=-1",
		// All controllers on the unified hierarchy: what the container
		// host, on the CI machine's hybrid layout, cannot show.
		"systemd.unified_cgroup_hierarchy=1",
		// No console login and no waiting for hardware a VM has not got.
		"systemd.show_status=auto", "loglevel=4",
	}
	switch v.selinux {
	case SELinuxDisabled:
		args = append(args, "selinux=0")
	case SELinuxPermissive:
		args = append(args, "security=selinux", "selinux=1", "enforcing=0")
	default:
		args = append(args, "security=selinux", "selinux=1", "enforcing=1")
	}
	return strings.Join(args, " ")
}

func (v *VM) qemuArgs() []string {
	return []string{
		"-name", v.name,
		// TCG: /dev/kvm opens on these machines but Linux guests hang
		// under it.
		"-machine", "q35,accel=tcg", "-cpu", "max",
		"-smp", strconv.Itoa(vmCPUs), "-m", strconv.Itoa(vmMemoryMiB),
		"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
		"-kernel", v.img.Kernel, "-initrd", v.img.Initrd, "-append", v.cmdline(),
		// snapshot=on: writes go to a temp overlay in $TMPDIR (this
		// VM's dir), the cached image is only read.
		"-drive", "file=" + v.img.Disk + ",format=raw,if=virtio,snapshot=on,cache=unsafe",
		"-serial", "file:" + v.logPath,
		"-device", "virtio-rng-pci",
		"-device", "virtio-serial-pci",
		"-chardev", "socket,id=agent,path=" + v.sock + ",server=on,wait=off",
		"-device", "virtserialport,chardev=agent,name=" + agent.PortName,
		"-virtfs", "local,path=" + v.scratch + ",mount_tag=" + scratchTag + ",security_model=none,id=" + scratchTag,
		"-virtfs", "local,path=" + v.share + ",mount_tag=" + shareTag + ",security_model=none,readonly=on,id=" + shareTag,
		// No network device: the guest's pods talk over its loopback
		// and their own namespaces only.
		"-nic", "none",
	}
}

func (v *VM) boot(ctx context.Context) error {
	start := time.Now()
	logFile, err := os.OpenFile(v.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logFile, "=== testhost: qemu-system-x86_64 %s\n", strings.Join(v.qemuArgs(), " "))
	cmd := exec.Command("qemu-system-x86_64", v.qemuArgs()...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), "TMPDIR="+v.dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	logFile.Close()
	if err != nil {
		return fmt.Errorf("starting qemu: %w", err)
	}
	done := make(chan struct{})
	v.mu.Lock()
	v.qemu, v.done = cmd, done
	v.mu.Unlock()
	go func() { _ = cmd.Wait(); close(done) }()
	_ = os.WriteFile(filepath.Join(v.dir, "qemu.pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)

	ctx, cancel := context.WithTimeout(ctx, v.cfg.bootTimeout)
	defer cancel()
	if err := v.connect(ctx, done); err != nil {
		return v.bootError(err)
	}
	agentUp := time.Since(start)
	state, err := v.waitRunning(ctx, done)
	if err != nil {
		return v.bootError(err)
	}
	setup := "set -e; mkdir -p " + ScratchDir + " /run/podunit-share; " +
		"mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 " + scratchTag + " " + ScratchDir + "; " +
		"mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,ro " + shareTag + " /run/podunit-share; " +
		// Copied, not run from 9p: on the disk it gets the label its
		// file contexts give (bin_t), as an installed binary would.
		"if [ -e /run/podunit-share/podunit ]; then install -m 0755 /run/podunit-share/podunit " + BinaryPath + "; restorecon " + BinaryPath + " 2>/dev/null || true; fi"
	if _, err := v.Shell(ctx, setup); err != nil {
		return v.bootError(err)
	}
	v.cfg.logf("testhost: %s booted (%s, SELinux %s) in %s (agent up after %s)", v.name, state, v.selinux, time.Since(start).Round(10*time.Millisecond), agentUp.Round(10*time.Millisecond))
	if state == "degraded" {
		out, _, _, _ := v.Run(context.Background(), "systemctl", "--failed", "--no-legend", "--plain")
		v.cfg.logf("testhost: %s is degraded; failed units:\n%s", v.name, out)
	}
	return nil
}

// connect dials qemu's end of the agent's port until the agent answers. A
// session that got no answer is dropped and dialled again: the guest's
// agent reopens its port when the harness hangs up, so both ends start
// afresh.
func (v *VM) connect(ctx context.Context, done <-chan struct{}) error {
	var last error
	for {
		select {
		case <-done:
			return fmt.Errorf("qemu exited (last agent error: %v)", last)
		case <-ctx.Done():
			return fmt.Errorf("agent did not answer (last error: %v): %w", last, ctx.Err())
		default:
		}
		conn, err := net.Dial("unix", v.sock)
		if err != nil {
			last = err
			time.Sleep(100 * time.Millisecond)
			continue
		}
		c, err := agent.NewClient(conn)
		if err != nil {
			conn.Close()
			last = err
			continue
		}
		pinged := make(chan error, 1)
		go func() { pinged <- c.Ping() }()
		select {
		case err = <-pinged:
		case <-time.After(2 * time.Second):
			// A ping sent before the guest opened its port may be
			// lost; a fresh session costs nothing.
			err = errors.New("no answer to ping within 2s")
		case <-done:
			err = errors.New("qemu exited")
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err == nil {
			v.mu.Lock()
			v.client = c
			v.mu.Unlock()
			return nil
		}
		c.Close()
		last = err
	}
}

func (v *VM) waitRunning(ctx context.Context, done <-chan struct{}) (string, error) {
	out, errOut, _, err := v.Run(ctx, "systemctl", "is-system-running", "--wait")
	state := strings.TrimSpace(out)
	switch {
	case err != nil:
		return "", err
	case state == "running" || state == "degraded":
		return state, nil
	}
	select {
	case <-done:
		return "", errors.New("qemu exited")
	default:
	}
	return "", fmt.Errorf("system state %q %s", state, strings.TrimSpace(errOut))
}

func (v *VM) bootError(err error) error {
	return fmt.Errorf("VM test host %s did not boot: %w\n--- serial console (%s), last lines:\n%s", v.name, err, v.logPath, tail(v.logPath, 40))
}

// Run runs args inside the VM, as Host.Run does in a container host.
func (v *VM) Run(ctx context.Context, args ...string) (stdout, stderr string, exitCode int, err error) {
	return v.RunStdin(ctx, nil, args...)
}

// RunStdin is Run with stdin (read whole first) fed to the command.
func (v *VM) RunStdin(ctx context.Context, stdin io.Reader, args ...string) (stdout, stderr string, exitCode int, err error) {
	v.mu.Lock()
	c := v.client
	v.mu.Unlock()
	if c == nil {
		return "", "", -1, errors.New("VM test host is not running")
	}
	req := agent.Request{Args: args, Env: innerEnv}
	if stdin != nil {
		if req.Stdin, err = io.ReadAll(stdin); err != nil {
			return "", "", -1, err
		}
	}
	var o, e bytes.Buffer
	code, err := c.Run(ctx, req, &o, &e)
	if err != nil {
		return o.String(), e.String(), -1, fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	return o.String(), e.String(), code, nil
}

// MustRun runs args in the VM and returns stdout; a non-zero exit fails t
// with both outputs and the end of the VM's journal.
func (v *VM) MustRun(t testing.TB, args ...string) string {
	t.Helper()
	return mustRun(t, v, args...)
}

// Shell runs a bash script in the VM and returns its stdout; a non-zero
// exit is an error carrying the script and its stderr.
func (v *VM) Shell(ctx context.Context, script string) (string, error) {
	return shell(ctx, v, script)
}

// Shutdown stops the VM and deletes its temp dir (kept with WithKeep). The
// guest is not powered off cleanly: its disk is a throwaway overlay, and a
// poweroff under TCG costs seconds for nothing. It is idempotent.
func (v *VM) Shutdown() error {
	v.mu.Lock()
	cmd, done, c := v.qemu, v.done, v.client
	v.qemu, v.client = nil, nil
	v.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
	var errs []error
	if cmd != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			errs = append(errs, fmt.Errorf("qemu of %s did not exit on SIGTERM; killed", v.name))
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	if v.cfg.keep {
		_ = os.Remove(filepath.Join(v.dir, "owner.pid"))
		v.cfg.logf("testhost: kept %s", v.dir)
		return errors.Join(errs...)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.removed && v.dir != "" {
		if err := removeAllUnmounted(v.dir); err != nil {
			errs = append(errs, err)
		} else {
			v.removed = true
		}
	}
	return errors.Join(errs...)
}
