package testhost

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Recipe describes the test host's root filesystem. Its hash names the cache
// directory, so any change here (including Revision, for changes to the
// customisation code) builds a fresh rootfs instead of reusing a stale one.
type Recipe struct {
	Suite    string   `json:"suite"`
	Variant  string   `json:"variant"`
	Packages []string `json:"packages"`
	// Masked units are linked to /dev/null: they slow the boot down, wait
	// for hardware a container has not got, or fail in a container and
	// would turn `is-system-running` into "degraded" for no reason.
	Masked []string `json:"masked"`
	// Wanted units are started at boot by multi-user.target, so tests do
	// not race their first D-Bus activation.
	Wanted   []string `json:"wanted"`
	Hostname string   `json:"hostname"`
	// Revision is bumped whenever customise changes behaviour.
	Revision int `json:"revision"`
}

// DefaultRecipe is the test host every e2e test boots.
var DefaultRecipe = Recipe{
	Suite:   "bookworm",
	Variant: "minbase",
	Packages: []string{
		"systemd", "systemd-sysv", "dbus", "systemd-container",
		// libnss-systemd resolves the dynamic users and machine names
		// that machined and transient units hand out.
		"libnss-systemd",
		"iproute2", "util-linux", "procps", "busybox-static",
		// Pod networking: the standard CNI plugins and the firewall
		// tools their masquerade and portmap rules use.
		"containernetworking-plugins", "iptables",
		// A real registry, and a real signer to interoperate with.
		"docker-registry", "skopeo", "gnupg",
	},
	Masked: []string{
		"systemd-networkd-wait-online.service",
		"getty.target", "console-getty.service", "getty@.service",
		"container-getty@.service", "serial-getty@.service",
		"apt-daily.timer", "apt-daily-upgrade.timer", "dpkg-db-backup.timer",
		"e2scrub_all.timer", "e2scrub_reap.service", "fstrim.timer",
		"man-db.timer", "logrotate.timer", "systemd-pstore.service",
		// Tests start their own registry with their own storage.
		"docker-registry.service",
	},
	Wanted:   []string{"systemd-machined.service"},
	Hostname: "podunit-testhost",
	Revision: 1,
}

// Hash is the recipe's cache key. The mirror is left out on purpose: the
// same suite from two mirrors is the same system, and CI and developer
// machines may name different mirrors.
func (r Recipe) Hash() string {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

// CacheRoot is where built root filesystems are kept, one directory per
// recipe hash.
func CacheRoot() string {
	if d := os.Getenv("PODUNIT_TESTHOST_CACHE"); d != "" {
		return d
	}
	return "/var/cache/podunit/testhost"
}

// EnsureRootfs returns the path of the recipe's root filesystem, building
// it with debootstrap first if the cache has none. It is safe to call from
// several processes at once: one builds, the others wait for it.
func EnsureRootfs(ctx context.Context, r Recipe, logf func(string, ...any)) (string, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	dir := filepath.Join(CacheRoot(), r.Hash())
	rootfs := filepath.Join(dir, "rootfs")
	if isDir(rootfs) {
		return rootfs, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, "lock"), func() {
		logf("testhost: waiting for another process building %s", rootfs)
	})
	if err != nil {
		return "", err
	}
	defer unlock()
	// Another process may have finished the build while we waited.
	if isDir(rootfs) {
		return rootfs, nil
	}
	tmp, err := freshBuildDir(dir)
	if err != nil {
		return "", err
	}
	start := time.Now()
	mirror := Mirror(r.Suite)
	logf("testhost: building rootfs %s (debootstrap %s from %s, about a minute, once per recipe)", rootfs, r.Suite, mirror)
	if err := debootstrap(ctx, r, tmp, mirror, filepath.Join(dir, "build.log")); err != nil {
		_ = removeAllUnmounted(tmp)
		return "", err
	}
	if err := customise(r, tmp); err != nil {
		_ = removeAllUnmounted(tmp)
		return "", fmt.Errorf("customising test host rootfs: %w", err)
	}
	// The rename is what makes the rootfs visible, so a reader never sees
	// a half-built tree.
	if err := os.Rename(tmp, rootfs); err != nil {
		_ = removeAllUnmounted(tmp)
		return "", err
	}
	logf("testhost: rootfs built in %s", time.Since(start).Round(time.Second))
	return rootfs, nil
}

// freshBuildDir makes the temp dir a rootfs is built in, below the cache
// dir, whose lock the caller holds. Leftovers of a build that was killed
// go first: nobody else holds the lock, so nobody is using them.
func freshBuildDir(dir string) (string, error) {
	stale, _ := filepath.Glob(filepath.Join(dir, "rootfs.building-*"))
	for _, s := range stale {
		if err := removeAllUnmounted(s); err != nil {
			return "", fmt.Errorf("removing stale build %s: %w", s, err)
		}
	}
	tmp, err := os.MkdirTemp(dir, "rootfs.building-")
	if err != nil {
		return "", err
	}
	return tmp, os.Chmod(tmp, 0o755)
}

func debootstrap(ctx context.Context, r Recipe, target, mirror, logPath string) error {
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	args := []string{
		"--variant=" + r.Variant,
		"--include=" + strings.Join(r.Packages, ","),
		r.Suite, target, mirror,
	}
	cmd := exec.CommandContext(ctx, "debootstrap", args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	// A build orphaned by a killed test process would go on writing into
	// a directory the next builder deletes.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	runErr := cmd.Run()
	// debootstrap mounts /proc and /sys in the target and leaves them
	// behind when it fails or is killed.
	if err := unmountUnder(target); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		return fmt.Errorf("debootstrap %s: %w\n%s", strings.Join(args, " "), runErr, tail(logPath, 30))
	}
	return nil
}

// customise turns a plain debootstrap tree into something that boots
// quickly and cleanly under systemd-nspawn.
func customise(r Recipe, root string) error {
	p := func(rel string) string { return filepath.Join(root, rel) }
	if err := os.WriteFile(p("etc/hostname"), []byte(r.Hostname+"\n"), 0o644); err != nil {
		return err
	}
	hosts := "127.0.0.1\tlocalhost\n127.0.1.1\t" + r.Hostname + "\n::1\tlocalhost ip6-localhost ip6-loopback\n"
	if err := os.WriteFile(p("etc/hosts"), []byte(hosts), 0o644); err != nil {
		return err
	}
	// An empty machine-id makes every boot of every copy get its own id,
	// as a freshly installed machine would; a shared id would make
	// journals and machined registrations of parallel hosts collide.
	if err := os.WriteFile(p("etc/machine-id"), nil, 0o444); err != nil {
		return err
	}
	_ = os.Remove(p("var/lib/dbus/machine-id"))
	if err := os.Symlink("/etc/machine-id", p("var/lib/dbus/machine-id")); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	for _, u := range r.Masked {
		link := p("etc/systemd/system/" + u)
		_ = os.Remove(link)
		if err := os.Symlink("/dev/null", link); err != nil {
			return err
		}
	}
	wants := p("etc/systemd/system/multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		return err
	}
	for _, u := range r.Wanted {
		link := filepath.Join(wants, u)
		_ = os.Remove(link)
		if err := os.Symlink("/lib/systemd/system/"+u, link); err != nil {
			return err
		}
	}
	for _, d := range []string{"var/lib/machines", "var/lib/podunit", "etc/podunit", "var/log/journal", "usr/local/bin", strings.TrimPrefix(ScratchDir, "/")} {
		if err := os.MkdirAll(p(d), 0o755); err != nil {
			return err
		}
	}
	// The packages are installed; their archives only make every copy
	// and every cache bigger.
	debs, _ := filepath.Glob(p("var/cache/apt/archives/*.deb"))
	for _, d := range debs {
		_ = os.Remove(d)
	}
	recipe, _ := json.MarshalIndent(r, "", "  ")
	return os.WriteFile(p("etc/podunit-testhost.json"), append(recipe, '\n'), 0o644)
}

// Mirror is the Debian mirror this machine's apt already uses for suite,
// so the test host comes from the same (possibly only reachable) archive.
func Mirror(suite string) string {
	if m := os.Getenv("PODUNIT_TESTHOST_MIRROR"); m != "" {
		return m
	}
	if m := mirrorFromDeb822("/etc/apt/sources.list.d/debian.sources", suite); m != "" {
		return m
	}
	if m := mirrorFromList("/etc/apt/sources.list", suite); m != "" {
		return m
	}
	return "http://deb.debian.org/debian"
}

func mirrorFromDeb822(path, suite string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, stanza := range strings.Split(string(b), "\n\n") {
		fields := map[string]string{}
		for _, line := range strings.Split(stanza, "\n") {
			if strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if ok {
				fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
		if !hasWord(fields["types"], "deb") || !hasWord(fields["suites"], suite) {
			continue
		}
		if uris := strings.Fields(fields["uris"]); len(uris) > 0 {
			return uris[0]
		}
	}
	return ""
}

func mirrorFromList(path, suite string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		// Skip options like [signed-by=...] between "deb" and the URI.
		for len(w) > 1 && strings.HasPrefix(w[1], "[") {
			end := 1
			for end < len(w) && !strings.HasSuffix(w[end], "]") {
				end++
			}
			w = append(w[:1], w[end+1:]...)
		}
		if len(w) >= 3 && w[0] == "deb" && w[2] == suite {
			return w[1]
		}
	}
	return ""
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// lockFile takes an exclusive flock, polling so that ctx can cancel the
// wait (a blocking flock cannot be interrupted).
func lockFile(ctx context.Context, path string, onWait func()) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for waited := false; ; waited = true {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !waited && onWait != nil {
			onWait()
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for lock %s: %w", path, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
