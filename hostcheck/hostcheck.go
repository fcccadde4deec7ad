// Package hostcheck diagnoses whether this host can run pods, and says how
// to fix what is missing. `podunit info` prints its report.
package hostcheck

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/kvm"
	"github.com/podunit/podunit/machined"
	"github.com/podunit/podunit/selinux"
	"github.com/podunit/podunit/units"
)

// Check is one finding. Fix is empty when nothing needs doing.
type Check struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Value string `json:"value"`
	Fix   string `json:"fix,omitempty"`
	// Required: a failed required check means pods cannot run at all.
	Required bool `json:"required"`
}

// CNIDirs are searched for CNI plugins, in order.
var CNIDirs = []string{"/usr/lib/cni", "/opt/cni/bin"}

// Run performs every check. It never fails: a check that cannot be made is
// reported as not OK.
func Run(ctx context.Context) []Check {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return []Check{
		systemdCheck(ctx),
		machinedCheck(ctx),
		cgroupCheck(),
		binaryCheck("systemd-nspawn", "nspawn", "apt-get install systemd-container", true),
		journalCheck(),
		overlayCheck(),
		selinuxCheck(),
		usernsCheck(units.DefaultHost.ImagesDir()),
		kvmCheck(),
		cniCheck(),
	}
}

func systemdCheck(ctx context.Context) Check {
	c := Check{Name: "systemd", Required: true}
	conn, err := sd.NewSystemConnectionContext(ctx)
	if err != nil {
		c.Value = "not reachable on the system bus: " + err.Error()
		c.Fix = "run podunit on a host booted with systemd as PID 1 (inside a container, boot it with systemd-nspawn --boot), as root"
		return c
	}
	defer conn.Close()
	v, err := conn.GetManagerProperty("Version")
	if err != nil {
		c.Value = "version unknown: " + err.Error()
		return c
	}
	c.OK, c.Value = true, strings.Trim(v, `"`)
	return c
}

func machinedCheck(ctx context.Context) Check {
	c := Check{Name: "machined", Required: true}
	mc, err := machined.New()
	if err == nil {
		defer mc.Close()
		err = mc.Ping(ctx)
	}
	if err != nil {
		c.Value = err.Error()
		c.Fix = "apt-get install systemd-container; systemctl start systemd-machined"
		return c
	}
	c.OK, c.Value = true, "reachable"
	return c
}

func cgroupCheck() Check {
	c := Check{Name: "cgroups", Required: true}
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil {
		c.Value = err.Error()
		c.Fix = "mount cgroups at /sys/fs/cgroup (systemd does this at boot)"
		return c
	}
	switch {
	case st.Type == unix.CGROUP2_SUPER_MAGIC:
		c.OK, c.Value = true, "unified (cgroup v2)"
	case isCgroup2("/sys/fs/cgroup/unified"):
		c.OK, c.Value = true, "hybrid (cgroup v1 controllers, v2 for process tracking)"
		c.Fix = "resource limits are enforced only by v1 controllers; boot with systemd.unified_cgroup_hierarchy=1 for cgroup v2"
	default:
		c.OK, c.Value = true, "legacy (cgroup v1)"
		c.Fix = "boot with systemd.unified_cgroup_hierarchy=1 for cgroup v2"
	}
	return c
}

func isCgroup2(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

func binaryCheck(bin, name, fix string, required bool) Check {
	c := Check{Name: name, Required: required}
	path, err := exec.LookPath(bin)
	if err != nil {
		c.Value, c.Fix = bin+" not found", fix
		return c
	}
	out, _ := exec.Command(path, "--version").Output()
	first, _, _ := strings.Cut(string(out), "\n")
	c.OK, c.Value = true, strings.TrimSpace(path+" "+first)
	return c
}

func journalCheck() Check {
	c := Check{Name: "journald", Required: true}
	if fi, err := os.Stat("/run/systemd/journal/socket"); err != nil || fi.Mode()&os.ModeSocket == 0 {
		c.Value = "no native journal socket at /run/systemd/journal/socket"
		c.Fix = "systemctl start systemd-journald.socket"
		return c
	}
	c.OK, c.Value = true, "/run/systemd/journal/socket"
	return c
}

func overlayCheck() Check {
	c := Check{Name: "overlayfs", Required: true}
	b, _ := os.ReadFile("/proc/filesystems")
	if strings.Contains(string(b), "\toverlay\n") {
		c.OK, c.Value = true, "available"
		return c
	}
	c.Value, c.Fix = "not in /proc/filesystems", "modprobe overlay"
	return c
}

func selinuxCheck() Check {
	c := Check{Name: "selinux", OK: true}
	st := selinux.Host()
	if !st.Enabled {
		c.Value = "disabled: pods run without SELinux labels"
		return c
	}
	c.Value = "enabled, " + st.Mode + ": each pod gets its own MCS level (container_t, container_file_t)"
	return c
}

// kvmCheck says what the accelerator probe says: a guest must boot under
// KVM, a device that opens is not enough.
func kvmCheck() Check {
	c := Check{Name: "kvm"}
	fix := "only pods with runtimeClassName kvm need it; hack/deps.sh installs qemu and the guest kernel"
	self, err := os.Executable()
	if err != nil {
		c.Value = err.Error()
		return c
	}
	p, err := kvm.ConfigFromEnv().Prober(self)
	if err != nil {
		c.Value, c.Fix = err.Error(), fix
		return c
	}
	v := p.Auto()
	c.OK, c.Value = v.Accel == kvm.KVM, v.Summary()
	if !c.OK {
		c.Fix = "pods with runtimeClassName kvm still run, under TCG; for KVM: load kvm_intel or kvm_amd on a host whose guests boot under it"
	}
	return c
}

// cniPlugins are the standard plugins podunit's default network uses.
var cniPlugins = []string{"bridge", "host-local", "portmap", "firewall"}

func cniCheck() Check {
	c := Check{Name: "cni"}
	var found, missing []string
	for _, p := range cniPlugins {
		ok := false
		for _, d := range CNIDirs {
			if fi, err := os.Stat(filepath.Join(d, p)); err == nil && fi.Mode().IsRegular() {
				ok = true
				break
			}
		}
		if ok {
			found = append(found, p)
		} else {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		c.Value = fmt.Sprintf("missing %s in %s", strings.Join(missing, ", "), strings.Join(CNIDirs, ", "))
		c.Fix = "apt-get install containernetworking-plugins (until then only hostNetwork pods can run)"
		return c
	}
	c.OK, c.Value = true, "found "+strings.Join(found, ", ")
	return c
}
