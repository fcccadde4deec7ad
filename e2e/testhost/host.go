package testhost

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Fixed paths inside every test host.
const (
	// BinaryPath is where WithBinary (or PODUNIT_BIN) puts podunit.
	BinaryPath = "/usr/local/bin/podunit"
	// StateDir is bound from a real directory on the CI machine, not
	// kept in the host's overlay: overlayfs refuses an upper dir that is
	// itself on overlayfs, and podunit's images put container upper dirs
	// here.
	StateDir = "/var/lib/podunit"
	// ScratchDir is shared with the outer machine (Host.Scratch) for
	// files a test wants to hand in or read back; it is on a real disk
	// too, so pod rootfs and overlay layers may live there.
	ScratchDir = "/scratch"

	// DefaultBootTimeout bounds the wait for `is-system-running`.
	DefaultBootTimeout = 60 * time.Second
	shutdownTimeout    = 30 * time.Second
)

// innerPath is the PATH commands run with inside the host; the test
// process's own PATH (Go toolchain dirs and so on) means nothing there.
const innerPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// innerEnv is the whole environment of commands run inside a host.
var innerEnv = []string{
	"PATH=" + innerPath, "HOME=/root", "USER=root", "LANG=C.UTF-8",
	"TERM=dumb", "SYSTEMD_PAGER=", "PAGER=cat", "SYSTEMD_COLORS=0",
}

// Network selects how the test host is connected.
type Network int

const (
	// NetworkPrivate gives the host its own network namespace with only
	// loopback, so nothing a test does touches the CI machine's network.
	NetworkPrivate Network = iota
	// A veth mode (the host reachable from the CI machine on a private
	// link) is expected to be added here.
)

// Bind is a directory or file of the CI machine made visible in the host.
type Bind struct {
	Host, Inner string
	ReadOnly    bool
}

type config struct {
	recipe      Recipe
	binary      string
	binds       []Bind
	network     Network
	nspawnArgs  []string
	bootTimeout time.Duration
	logf        func(string, ...any)
	keep        bool
	// VMs only.
	selinux  SELinuxMode
	vmRecipe *VMRecipe
}

// Option configures Start and Boot.
type Option func(*config)

// WithBinary binds the podunit binary at path read-only at BinaryPath.
// Without it, $PODUNIT_BIN is bound when set.
func WithBinary(path string) Option { return func(c *config) { c.binary = path } }

// WithBind binds host (a path on the CI machine) at inner, read-write.
func WithBind(host, inner string) Option {
	return func(c *config) { c.binds = append(c.binds, Bind{Host: host, Inner: inner}) }
}

// WithBindRO binds host at inner read-only.
func WithBindRO(host, inner string) Option {
	return func(c *config) { c.binds = append(c.binds, Bind{Host: host, Inner: inner, ReadOnly: true}) }
}

// WithNetwork selects the network mode (default NetworkPrivate).
func WithNetwork(n Network) Option { return func(c *config) { c.network = n } }

// WithRecipe boots a rootfs built from r instead of DefaultRecipe.
func WithRecipe(r Recipe) Option { return func(c *config) { c.recipe = r } }

// WithNspawnArgs appends raw systemd-nspawn arguments.
func WithNspawnArgs(args ...string) Option {
	return func(c *config) { c.nspawnArgs = append(c.nspawnArgs, args...) }
}

// WithBootTimeout replaces DefaultBootTimeout.
func WithBootTimeout(d time.Duration) Option { return func(c *config) { c.bootTimeout = d } }

// WithLogf receives progress lines (rootfs build, boot time, failed units).
func WithLogf(f func(string, ...any)) Option { return func(c *config) { c.logf = f } }

// WithKeep leaves the host's temp dir (upper layer, state, log) in place
// after shutdown, for a post-mortem. PODUNIT_TESTHOST_KEEP=1 does the same.
func WithKeep() Option { return func(c *config) { c.keep = true } }

// Host is one booted test host: a systemd-nspawn container running systemd
// as PID 1 on a throwaway copy of the cached rootfs.
type Host struct {
	name    string
	cfg     config
	lower   string
	dir     string // everything this host owns on the CI machine
	upper   string
	work    string
	merged  string
	state   string
	scratch string
	logPath string
	overlay bool
	cgroups *hostCgroups // its own, so that hosts booted at once stay apart

	mu      sync.Mutex
	nspawn  *exec.Cmd
	done    chan struct{} // closed when nspawn has exited
	leader  int
	procs   map[*Process]struct{}
	boots   int
	removed bool
}

// Name is the machine name nspawn was given; unique per Host.
func (h *Host) Name() string { return h.name }

// Root is the CI-machine path of the host's root filesystem. Files written
// below it appear in the host, except under the bound StateDir and
// ScratchDir (use Path for those).
func (h *Host) Root() string { return h.merged }

// Scratch is the CI-machine path of the host's ScratchDir.
func (h *Host) Scratch() string { return h.scratch }

// Path maps a path inside the host to the CI-machine path holding it,
// following the binds.
func (h *Host) Path(inner string) string {
	inner = filepath.Clean("/" + inner)
	best, bestHost := "", ""
	for _, b := range h.binds() {
		if (inner == b.Inner || strings.HasPrefix(inner, strings.TrimSuffix(b.Inner, "/")+"/")) && len(b.Inner) > len(best) {
			best, bestHost = b.Inner, b.Host
		}
	}
	if best != "" {
		return filepath.Join(bestHost, strings.TrimPrefix(inner, best))
	}
	return filepath.Join(h.merged, inner)
}

// Leader is the CI-machine PID of the host's systemd (PID 1 inside).
func (h *Host) Leader() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.leader
}

// Log is the console output of every boot of this host so far.
func (h *Host) Log() string {
	b, _ := os.ReadFile(h.logPath)
	return string(b)
}

// newConfig applies opts over the defaults and the environment's
// PODUNIT_BIN and PODUNIT_TESTHOST_KEEP.
func newConfig(bootTimeout time.Duration, opts []Option) (config, error) {
	cfg := config{recipe: DefaultRecipe, bootTimeout: bootTimeout, logf: func(string, ...any) {}}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.binary == "" {
		cfg.binary = os.Getenv("PODUNIT_BIN")
	}
	if os.Getenv("PODUNIT_TESTHOST_KEEP") == "1" {
		cfg.keep = true
	}
	if cfg.binary != "" {
		abs, err := filepath.Abs(cfg.binary)
		if err != nil {
			return cfg, err
		}
		if _, err := os.Stat(abs); err != nil {
			return cfg, fmt.Errorf("podunit binary: %w", err)
		}
		cfg.binary = abs
	}
	return cfg, nil
}

// Start builds (or reuses) the rootfs and boots a host. ctx bounds only the
// build and the boot; the host lives until Shutdown.
func Start(ctx context.Context, opts ...Option) (*Host, error) {
	cfg, err := newConfig(DefaultBootTimeout, opts)
	if err != nil {
		return nil, err
	}
	if err := availableFor(cfg.recipe); err != nil {
		return nil, err
	}
	lower, err := EnsureRootfs(ctx, cfg.recipe, cfg.logf)
	if err != nil {
		return nil, err
	}
	reapStale("podunit-testhost-*", "nspawn.pid", cfg.logf)

	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	h := &Host{
		name:  "podunit-th-" + hex.EncodeToString(rnd[:]),
		cfg:   cfg,
		lower: lower,
		procs: map[*Process]struct{}{},
	}
	if h.dir, err = newHostDir("podunit-testhost-"); err != nil {
		return nil, err
	}
	h.upper = filepath.Join(h.dir, "upper")
	h.work = filepath.Join(h.dir, "work")
	h.merged = filepath.Join(h.dir, "root")
	h.state = filepath.Join(h.dir, "state")
	h.scratch = filepath.Join(h.dir, "scratch")
	h.logPath = filepath.Join(h.dir, "console.log")
	if err := mkdirs(h.upper, h.work, h.merged, h.state, h.scratch); err != nil {
		return nil, err
	}

	h.overlay = true
	if err := mountOverlay(h.lower, h.upper, h.work, h.merged); err != nil {
		cfg.logf("testhost: %v; falling back to a full copy of the rootfs", err)
		h.overlay = false
		if err := copyTree(h.lower, h.merged); err != nil {
			_ = h.removeDir()
			return nil, err
		}
	}
	if err := h.boot(ctx); err != nil {
		_ = h.shutdown(!cfg.keep)
		return nil, err
	}
	return h, nil
}

// newHostDir makes the directory of everything one booted host owns on
// the CI machine, with this process recorded as its owner: reapStale tells
// a live host from the leftovers of a killed test process by it.
func newHostDir(prefix string) (string, error) {
	if err := os.MkdirAll(tmpBase(), 0o755); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(tmpBase(), prefix)
	if err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644)
}

func mkdirs(dirs ...string) error {
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	return nil
}

func (h *Host) binds() []Bind {
	b := []Bind{
		{Host: h.state, Inner: StateDir},
		{Host: h.scratch, Inner: ScratchDir},
	}
	if h.cfg.binary != "" {
		b = append(b, Bind{Host: h.cfg.binary, Inner: BinaryPath, ReadOnly: true})
	}
	return append(b, h.cfg.binds...)
}

func (h *Host) nspawnArgs() []string {
	args := []string{
		"--directory=" + h.merged,
		"--boot",
		"--machine=" + h.name,
		// Registering with the CI machine's machined is impossible (there
		// is none) and --keep-unit stops nspawn asking for a scope unit.
		"--register=no", "--keep-unit",
		"--console=read-only",
	}
	switch h.cfg.network {
	case NetworkPrivate:
		args = append(args, "--private-network")
	}
	for _, b := range h.binds() {
		opt := "--bind="
		if b.ReadOnly {
			opt = "--bind-ro="
		}
		args = append(args, opt+b.Host+":"+b.Inner)
	}
	return append(args, h.cfg.nspawnArgs...)
}

func (h *Host) boot(ctx context.Context) error {
	start := time.Now()
	// The first boot finds the overlay Start mounted; a reboot mounts it
	// again on the same upper dir.
	if mps, err := MountsUnder(h.merged); err != nil {
		return err
	} else if h.overlay && len(mps) == 0 {
		if err := mountOverlay(h.lower, h.upper, h.work, h.merged); err != nil {
			return err
		}
	}
	logFile, err := os.OpenFile(h.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	h.mu.Lock()
	h.boots++
	fmt.Fprintf(logFile, "=== testhost: boot %d of %s: systemd-nspawn %s\n", h.boots, h.name, strings.Join(h.nspawnArgs(), " "))
	if h.cgroups == nil {
		if h.cgroups, err = newHostCgroups(h.name); err != nil {
			h.mu.Unlock()
			return err
		}
	}
	if err := h.cgroups.create(); err != nil {
		h.mu.Unlock()
		return err
	}
	// A shell joins the host's cgroups, then becomes nspawn.
	cmd := exec.Command("/bin/sh", append([]string{"-c", `for f in $TESTHOST_CGROUPS; do echo $$ > "$f" || exit 1; done; exec systemd-nspawn "$@"`, "sh"}, h.nspawnArgs()...)...)
	cmd.Env = append(os.Environ(), "TESTHOST_CGROUPS="+strings.Join(h.cgroups.procsFiles(), " "))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group, so a ^C aimed at `go test` does not reach
	// nspawn before our cleanup has powered the host off.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		h.mu.Unlock()
		return fmt.Errorf("starting systemd-nspawn: %w", err)
	}
	done := make(chan struct{})
	h.nspawn, h.done, h.leader = cmd, done, 0
	h.mu.Unlock()
	go func() { _ = cmd.Wait(); close(done) }()
	_ = os.WriteFile(filepath.Join(h.dir, "nspawn.pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)

	ctx, cancel := context.WithTimeout(ctx, h.cfg.bootTimeout)
	defer cancel()
	leader, err := h.findLeader(ctx, cmd.Process.Pid, done)
	if err != nil {
		return h.bootError(err)
	}
	h.mu.Lock()
	h.leader = leader
	h.mu.Unlock()
	state, err := h.waitRunning(ctx, done)
	if err != nil {
		return h.bootError(err)
	}
	h.cfg.logf("testhost: %s booted (%s) in %s, leader pid %d", h.name, state, time.Since(start).Round(10*time.Millisecond), leader)
	if state == "degraded" {
		out, _, _, _ := h.Run(context.Background(), "systemctl", "--failed", "--no-legend", "--plain")
		h.cfg.logf("testhost: %s is degraded; failed units:\n%s", h.name, out)
	}
	return nil
}

func (h *Host) bootError(err error) error {
	return fmt.Errorf("test host %s did not boot: %w\n--- nspawn console (%s), last lines:\n%s", h.name, err, h.logPath, tail(h.logPath, 40))
}

// findLeader waits for nspawn's child to have exec'd systemd: nspawn forks
// the container's PID 1 as its own child (CLONE_PARENT), and entering its
// namespaces before the exec would land in a half-built container.
func (h *Host) findLeader(ctx context.Context, nspawnPid int, done <-chan struct{}) (int, error) {
	for {
		for _, c := range children(nspawnPid) {
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", c))
			if strings.TrimSpace(string(comm)) == "systemd" && nsPidIsOne(c) {
				return c, nil
			}
		}
		select {
		case <-done:
			return 0, errors.New("systemd-nspawn exited")
		case <-ctx.Done():
			return 0, fmt.Errorf("no systemd child of nspawn (pid %d): %w", nspawnPid, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func children(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

func nsPidIsOne(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f, ok := strings.CutPrefix(line, "NSpid:"); ok {
			fs := strings.Fields(f)
			return len(fs) > 1 && fs[len(fs)-1] == "1"
		}
	}
	return false
}

// waitRunning polls `is-system-running --wait`: the first calls fail while
// PID 1 has not yet opened its private bus socket.
func (h *Host) waitRunning(ctx context.Context, done <-chan struct{}) (string, error) {
	last := ""
	for {
		out, errOut, _, err := h.Run(ctx, "systemctl", "is-system-running", "--wait")
		state := strings.TrimSpace(out)
		switch state {
		case "running", "degraded":
			return state, nil
		}
		last = strings.TrimSpace(state + " " + errOut)
		if err == nil && ctx.Err() == nil && (state == "maintenance" || state == "stopping") {
			return "", fmt.Errorf("system state %q", state)
		}
		select {
		case <-done:
			return "", fmt.Errorf("systemd-nspawn exited (last is-system-running: %s)", last)
		case <-ctx.Done():
			return "", fmt.Errorf("not running after %s (last is-system-running: %s): %w", h.cfg.bootTimeout, last, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Command prepares args to run inside the host, in all its namespaces,
// with a clean environment. The caller may add to Env, set Stdin and so
// on before starting it. Cancelling ctx kills the whole process group:
// nsenter forks to enter the PID namespace, and killing nsenter alone
// would leave the command running.
func (h *Host) Command(ctx context.Context, args ...string) *exec.Cmd {
	full := append([]string{"--target", strconv.Itoa(h.Leader()), "--all", "--"}, args...)
	cmd := exec.CommandContext(ctx, "nsenter", full...)
	cmd.Env = innerEnv
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// killGroup kills the command nsenter runs (and its process group) before
// nsenter itself. Killed the other way round, the command is orphaned to
// the CI machine's init, which need not reap it promptly, and the zombie
// then sits in the host's PID namespace and stalls its poweroff.
func killGroup(nsenterPid int) error {
	var killed bool
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == nsenterPid {
			continue
		}
		if pgid, err := syscall.Getpgid(pid); err == nil && pgid == nsenterPid {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			killed = true
		}
	}
	if killed {
		// nsenter exits on its own once its child is gone.
		for i := 0; i < 20 && processAlive(nsenterPid); i++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
	err := syscall.Kill(nsenterPid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		err = nil
	}
	return err
}

// Run runs args inside the host. A non-zero exit is reported in exitCode
// with a nil err; err is for failures to run at all and for ctx expiring.
func (h *Host) Run(ctx context.Context, args ...string) (stdout, stderr string, exitCode int, err error) {
	return h.RunStdin(ctx, nil, args...)
}

// Shell runs a bash script inside the host and returns its stdout; a
// non-zero exit is an error carrying the script and its stderr.
func (h *Host) Shell(ctx context.Context, script string) (string, error) {
	return shell(ctx, h, script)
}

// runner is what Host and VM have in common for running commands.
type runner interface {
	Run(ctx context.Context, args ...string) (stdout, stderr string, exitCode int, err error)
}

func shell(ctx context.Context, r runner, script string) (string, error) {
	out, errOut, code, err := r.Run(ctx, "bash", "-c", script)
	if err != nil || code != 0 {
		return out, fmt.Errorf("%s: exit %d %v: %s", script, code, err, errOut)
	}
	return out, nil
}

// RunStdin is Run with stdin fed to the command.
func (h *Host) RunStdin(ctx context.Context, stdin io.Reader, args ...string) (stdout, stderr string, exitCode int, err error) {
	var o, e bytes.Buffer
	cmd := h.Command(ctx, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &o, &e
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return o.String(), e.String(), -1, fmt.Errorf("%s: %w", strings.Join(args, " "), ctx.Err())
	case errors.As(err, &exit):
		return o.String(), e.String(), exit.ExitCode(), nil
	case err != nil:
		return o.String(), e.String(), -1, err
	}
	return o.String(), e.String(), 0, nil
}

// Shutdown powers the host off (SIGRTMIN+4 to its systemd, as `systemctl
// poweroff` would), kills what is left after a timeout, unmounts its
// rootfs and deletes its temp dir. It is idempotent.
func (h *Host) Shutdown() error {
	// The host is thrown away: its pods need not have their grace periods
	// (a container whose PID 1 ignores SIGTERM, as `sleep` does, takes
	// all 30 s of the default). Their units' cleanup steps still run.
	if h.running() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, _, _, _ = h.Run(ctx, "systemctl", "kill", "--signal=SIGKILL", "podunit-*.service")
		cancel()
	}
	err := h.shutdown(!h.cfg.keep)
	if h.cfg.keep {
		// Without an owner the dir is not "stale" and stays for the
		// post-mortem.
		_ = os.Remove(filepath.Join(h.dir, "owner.pid"))
		h.cfg.logf("testhost: kept %s", h.dir)
	}
	return err
}

// running reports whether the host is booted.
func (h *Host) running() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.nspawn != nil && h.leader > 0
}

func (h *Host) shutdown(remove bool) error {
	start := time.Now()
	h.mu.Lock()
	procs := h.procs
	h.procs = map[*Process]struct{}{}
	cmd, done, leader := h.nspawn, h.done, h.leader
	h.nspawn = nil
	h.mu.Unlock()
	for p := range procs {
		_ = p.Kill()
	}
	var errs []error
	if cmd != nil {
		if leader > 0 {
			_ = syscall.Kill(leader, sigPoweroff)
		} else {
			_ = cmd.Process.Signal(syscall.SIGTERM)
		}
		select {
		case <-done:
		case <-time.After(shutdownTimeout):
			errs = append(errs, fmt.Errorf("test host %s did not power off within %s; killed", h.name, shutdownTimeout))
			// Killing PID 1 takes down every process in its PID
			// namespace, including commands entered with nsenter.
			if leader > 0 {
				_ = syscall.Kill(leader, syscall.SIGKILL)
			}
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		h.cfg.logf("testhost: %s powered off in %s", h.name, time.Since(start).Round(10*time.Millisecond))
	}
	if err := unmountUnder(h.dir); err != nil {
		errs = append(errs, err)
	}
	if h.cgroups != nil {
		if err := h.cgroups.remove(); err != nil {
			errs = append(errs, err)
		}
	}
	if remove && len(errs) == 0 {
		if err := h.removeDir(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (h *Host) removeDir() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.removed {
		return nil
	}
	if err := removeAllUnmounted(h.dir); err != nil {
		return err
	}
	h.removed = true
	return nil
}

// sigPoweroff is SIGRTMIN+4 as systemd counts it (glibc's SIGRTMIN is 34).
const sigPoweroff = syscall.Signal(38)

// RebootContext powers the host off cleanly and boots it again on the same
// upper layer, state and scratch dirs: what a real machine keeps on disk
// survives, everything in /run and every process does not.
func (h *Host) RebootContext(ctx context.Context) error {
	if h.removed {
		return errors.New("test host was shut down")
	}
	if err := h.shutdown(false); err != nil {
		return err
	}
	return h.boot(ctx)
}

// Process is a command running inside the host in the background, such
// as `podunit logs -f`.
type Process struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
	err            error
}

// StartProcess starts args inside the host and returns at once. The
// process is killed when ctx is cancelled, by Kill, or at Shutdown.
func (h *Host) StartProcess(ctx context.Context, args ...string) (*Process, error) {
	p := &Process{done: make(chan struct{})}
	p.cmd = h.Command(ctx, args...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.procs[p] = struct{}{}
	h.mu.Unlock()
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
		h.mu.Lock()
		delete(h.procs, p)
		h.mu.Unlock()
	}()
	return p, nil
}

// Stdout is everything the process has written to stdout so far.
func (p *Process) Stdout() string { return p.stdout.String() }

// Stderr is everything the process has written to stderr so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for the process to exit and returns its exit code.
func (p *Process) Wait() (int, error) {
	<-p.done
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode(), nil
	}
	if p.err != nil {
		return -1, p.err
	}
	return 0, nil
}

// Kill kills the process and everything it started in its process group,
// and waits for it.
func (p *Process) Kill() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	err := killGroup(p.cmd.Process.Pid)
	<-p.done
	return err
}

// WaitOutput waits until the process's stdout contains s.
func (p *Process) WaitOutput(ctx context.Context, s string) error {
	for !strings.Contains(p.Stdout(), s) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %q in output %q (stderr %q): %w", s, p.Stdout(), p.Stderr(), ctx.Err())
		case <-p.done:
			if strings.Contains(p.Stdout(), s) {
				return nil
			}
			return fmt.Errorf("process exited before printing %q; output %q, stderr %q", s, p.Stdout(), p.Stderr())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
