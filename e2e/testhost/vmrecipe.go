package testhost

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// VMRecipe describes the VM test host's disk: the container host's rootfs
// (Base, built and cached as ever) plus what a full VM needs. Its hash
// names its own cache directory, so changing it never rebuilds the
// container host's rootfs, and changing Base rebuilds both.
type VMRecipe struct {
	Base Recipe `json:"base"`
	// Packages are installed into a copy of Base's rootfs with apt.
	Packages []string `json:"packages"`
	// InitramfsModules are all the initramfs holds (MODULES=list): what
	// finding the root disk needs, and what is worth loading early. A small initramfs is quicker to
	// unpack under TCG than Debian's default of most modules.
	InitramfsModules []string `json:"initramfsModules"`
	// BlacklistModules are kept from being loaded automatically.
	BlacklistModules []string `json:"blacklistModules"`
	// PolicyModules are SELinux policy modules (refpolicy .te source by
	// module name) built with selinux-policy-dev and installed.
	PolicyModules map[string]string `json:"policyModules,omitempty"`
	// Revision is bumped whenever the VM customisation code changes
	// behaviour.
	Revision int `json:"revision"`
}

// DefaultVMRecipe is the VM test host's disk.
var DefaultVMRecipe = VMRecipe{
	Base: DefaultRecipe,
	Packages: []string{
		"linux-image-amd64", "initramfs-tools",
		// The refpolicy as Debian ships it; setfiles labels the disk
		// at build time, so no first-boot relabel runs under TCG.
		"selinux-policy-default", "selinux-utils", "policycoreutils",
	},
	// The agent's port and the 9p shares, loaded by the initramfs
	// rather than late in udev's coldplug.
	InitramfsModules: []string{"virtio_pci", "virtio_blk", "ext4", "virtio_console", "virtio_rng", "9pnet_virtio", "9p"},
	// Loaded by udev for devices the guest does not use. Each costs
	// a signature check and relocation under TCG.
	BlacklistModules: []string{
		"kvm", "kvm_amd", "kvm_intel", "iTCO_wdt", "iTCO_vendor_support",
		"i2c_i801", "lpc_ich", "ahci", "libahci", "pcspkr", "joydev",
		"aesni_intel", "ghash_clmulni_intel", "crc32_pclmul", "sha256_ssse3",
		"sha512_ssse3", "polyval_clmulni", "cryptd", "powernow_k8",
		"pcc_cpufreq", "acpi_cpufreq", "button", "evdev", "sg",
	},
	PolicyModules: map[string]string{"podunit_container": containerPolicy},
	Revision:      1,
}

// containerPolicy defines the SELinux types podunit labels pods with,
// which Debian's refpolicy lacks.
//
//go:embed vmpolicy/podunit_container.te
var containerPolicy string

// Hash is the recipe's cache key.
func (r VMRecipe) Hash() string {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // strings, ints and maps of strings always marshal
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

// VMImage is a built VM test host: Debian's kernel and an initramfs taken
// from the disk, and the disk image itself (ext4, labelled for SELinux),
// which every boot uses read-only under a throwaway overlay.
type VMImage struct {
	Kernel, Initrd, Disk string
}

// Fixed paths inside the VM image.
const (
	agentPath = "/usr/local/sbin/podunit-vmagent"
	agentUnit = "podunit-vmagent.service"
	// vmDiskSize is the ext4 disk's apparent size: the sparse image and
	// each boot's overlay only take what is written.
	vmDiskSize = "6G"
)

// EnsureVMImage returns r's image with the agent binary at agent inside,
// building what the cache lacks: Base's rootfs, then the VM rootfs (a copy
// of it with r's packages, labelled), then a disk image of that per agent
// build. Safe to call from several processes at once.
func EnsureVMImage(ctx context.Context, r VMRecipe, agent string, logf func(string, ...any)) (VMImage, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	base, err := EnsureRootfs(ctx, r.Base, logf)
	if err != nil {
		return VMImage{}, err
	}
	agentSum, err := fileHash(agent)
	if err != nil {
		return VMImage{}, fmt.Errorf("VM agent: %w", err)
	}
	dir := filepath.Join(CacheRoot(), "vm-"+r.Hash())
	img := VMImage{
		Kernel: filepath.Join(dir, "vmlinuz"),
		Initrd: filepath.Join(dir, "initrd.img"),
		Disk:   filepath.Join(dir, "disk-"+agentSum[:16]+".img"),
	}
	if fileExists(img.Disk) {
		return img, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return VMImage{}, err
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, "lock"), func() {
		logf("testhost: waiting for another process building %s", dir)
	})
	if err != nil {
		return VMImage{}, err
	}
	defer unlock()
	if fileExists(img.Disk) {
		return img, nil
	}
	start := time.Now()
	rootfs := filepath.Join(dir, "rootfs")
	if !isDir(rootfs) {
		logf("testhost: building VM rootfs %s (apt in a copy of %s, about a minute, once per recipe)", rootfs, base)
		if err := buildVMRootfs(ctx, r, base, dir, filepath.Join(dir, "build.log")); err != nil {
			return VMImage{}, err
		}
	}
	if err := buildVMDisk(ctx, rootfs, agent, img, filepath.Join(dir, "build.log")); err != nil {
		return VMImage{}, err
	}
	logf("testhost: VM image %s built in %s", img.Disk, time.Since(start).Round(time.Second))
	pruneVMImages(dir, logf)
	return img, nil
}

// pruneVMImages deletes the images of other VM recipes, nearly 2 GB each,
// so a machine that outlives many recipe changes does not fill up. One
// another process is building (it holds the lock) is left alone; a VM
// booted from one keeps its open disk.
func pruneVMImages(keep string, logf func(string, ...any)) {
	dirs, _ := filepath.Glob(filepath.Join(CacheRoot(), "vm-*"))
	for _, d := range dirs {
		if d == keep {
			continue
		}
		f, err := os.OpenFile(filepath.Join(d, "lock"), os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			continue
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			if err := removeAllUnmounted(d); err != nil {
				logf("testhost: pruning %s: %v", d, err)
			} else {
				logf("testhost: pruned the image of another VM recipe, %s", d)
			}
		}
		f.Close()
	}
}

func buildVMRootfs(ctx context.Context, r VMRecipe, base, dir, logPath string) error {
	tmp, err := freshBuildDir(dir)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		_ = removeAllUnmounted(tmp)
		return err
	}
	if err := copyTree(base, tmp); err != nil {
		return fail(err)
	}
	if err := preInstallVM(r, tmp); err != nil {
		return fail(fmt.Errorf("preparing VM rootfs: %w", err))
	}
	pkgs := r.Packages
	if len(r.PolicyModules) > 0 {
		pkgs = append(append([]string{}, pkgs...), "selinux-policy-dev", "make")
	}
	script := []string{
		"apt-get update -qq",
		"apt-get install -y -qq --no-install-recommends " + strings.Join(pkgs, " "),
	}
	for name := range r.PolicyModules {
		script = append(script,
			"make -C /root/policy -f /usr/share/selinux/devel/Makefile "+name+".pp",
			"semodule -X 300 -i /root/policy/"+name+".pp")
	}
	script = append(script,
		"apt-get clean", "rm -rf /var/lib/apt/lists/* /root/policy",
		"sed -i 's/^SELINUX=.*/SELINUX=enforcing/' /etc/selinux/config",
		// Labels by the policy's file contexts, as a relabel at first
		// boot would, only now and not under TCG.
		"setfiles -F -e /proc -e /sys -e /dev /etc/selinux/default/contexts/files/file_contexts /")
	if err := inChroot(ctx, tmp, strings.Join(script, " && "), logPath); err != nil {
		return fail(err)
	}
	if err := postInstallVM(tmp, dir); err != nil {
		return fail(fmt.Errorf("customising VM rootfs: %w", err))
	}
	if err := os.Rename(tmp, filepath.Join(dir, "rootfs")); err != nil {
		return fail(err)
	}
	return nil
}

// inChroot runs a shell script in root with the API filesystems apt and
// setfiles need, and the CI machine's resolver for apt's downloads.
func inChroot(ctx context.Context, root, script, logPath string) error {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	resolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return err
	}
	p := func(rel string) string { return filepath.Join(root, rel) }
	if err := os.WriteFile(p("etc/resolv.conf"), resolv, 0o644); err != nil {
		return err
	}
	// Packages must not start their services on the CI machine.
	if err := os.WriteFile(p("usr/sbin/policy-rc.d"), []byte("#!/bin/sh\nexit 101\n"), 0o755); err != nil {
		return err
	}
	mounts := []struct{ src, dst, fstype string }{
		{"proc", "proc", "proc"}, {"sysfs", "sys", "sysfs"}, {"/dev", "dev", ""},
	}
	for _, m := range mounts {
		var flags uintptr
		if m.fstype == "" {
			flags = unix.MS_BIND
		}
		if err := unix.Mount(m.src, p(m.dst), m.fstype, flags, ""); err != nil {
			_ = unmountUnder(root)
			return fmt.Errorf("mount %s in %s: %w", m.dst, root, err)
		}
	}
	fmt.Fprintf(logFile, "=== chroot %s: %s\n", root, script)
	cmd := exec.CommandContext(ctx, "chroot", root, "/bin/sh", "-ec", script)
	cmd.Env = []string{"PATH=" + innerPath, "DEBIAN_FRONTEND=noninteractive", "LANG=C.UTF-8", "HOME=/root"}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	runErr := cmd.Run()
	if err := unmountUnder(root + "/"); err != nil && runErr == nil {
		runErr = err
	}
	_ = os.Remove(p("usr/sbin/policy-rc.d"))
	// No network in the guest: a resolver pointing at the CI machine's
	// would only make lookups wait.
	_ = os.WriteFile(p("etc/resolv.conf"), nil, 0o644)
	if runErr != nil {
		return fmt.Errorf("in VM rootfs: %s: %w\n%s", script, runErr, tail(logPath, 30))
	}
	return nil
}

// preInstallVM writes what must be in place before apt runs: the
// initramfs configuration the kernel's postinst builds with, and the
// policy module sources.
func preInstallVM(r VMRecipe, root string) error {
	p := func(rel string) string { return filepath.Join(root, rel) }
	for _, d := range []string{"etc/modprobe.d", "etc/initramfs-tools/conf.d", "usr/share/initramfs-tools/modules.d", "root/policy"} {
		if err := os.MkdirAll(p(d), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(p("etc/initramfs-tools/conf.d/podunit-vm.conf"), []byte("MODULES=list\nBUSYBOX=n\nCOMPRESS=gzip\n"), 0o644); err != nil {
		return err
	}
	var blacklist strings.Builder
	for _, m := range r.BlacklistModules {
		fmt.Fprintf(&blacklist, "blacklist %s\n", m)
	}
	if err := os.WriteFile(p("etc/modprobe.d/podunit-vm.conf"), []byte(blacklist.String()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(p("usr/share/initramfs-tools/modules.d/podunit-vm"), []byte(strings.Join(r.InitramfsModules, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	for name, te := range r.PolicyModules {
		if err := os.WriteFile(p("root/policy/"+name+".te"), []byte(te), 0o644); err != nil {
			return err
		}
	}
	// The agent's unit, before setfiles labels the tree.
	if err := os.WriteFile(p("etc/systemd/system/"+agentUnit), []byte(vmAgentUnit), 0o644); err != nil {
		return err
	}
	wants := p("etc/systemd/system/sysinit.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		return err
	}
	_ = os.Remove(filepath.Join(wants, agentUnit))
	return os.Symlink("../"+agentUnit, filepath.Join(wants, agentUnit))
}

// vmAgentUnit starts the agent as soon as the root is writable. It runs
// unconfined, as a root login would on this policy, so commands the
// harness runs behave as an administrator's.
const vmAgentUnit = `[Unit]
Description=podunit VM test host agent (virtio-serial, no network)
DefaultDependencies=no
After=systemd-remount-fs.service
Before=shutdown.target
Conflicts=shutdown.target

[Service]
ExecStart=` + agentPath + `
Environment=PATH=` + innerPath + `
SELinuxContext=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023
Restart=always
RestartSec=200ms

[Install]
WantedBy=sysinit.target
`

// postInstallVM takes the kernel and initramfs out of the rootfs, for
// qemu's -kernel and -initrd.
func postInstallVM(root, dir string) error {
	for src, dst := range map[string]string{"boot/vmlinuz-*": "vmlinuz", "boot/initrd.img-*": "initrd.img"} {
		m, _ := filepath.Glob(filepath.Join(root, src))
		if len(m) != 1 {
			return fmt.Errorf("want one %s in the VM rootfs, found %v", src, m)
		}
		if err := copyFile(m[0], filepath.Join(dir, dst), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// buildVMDisk puts the agent into the rootfs, labelled as its file
// contexts say, and makes an ext4 image of it; mkfs.ext4 -d keeps the
// SELinux labels (extended attributes). Disks of older agent builds go.
func buildVMDisk(ctx context.Context, rootfs, agent string, img VMImage, logPath string) error {
	inRoot := filepath.Join(rootfs, agentPath)
	if err := copyFile(agent, inRoot, 0o755); err != nil {
		return err
	}
	if err := setLabel(inRoot, "system_u:object_r:bin_t:s0"); err != nil {
		return err
	}
	tmp := img.Disk + ".building"
	_ = os.Remove(tmp)
	out, err := exec.CommandContext(ctx, "mkfs.ext4", "-q", "-F", "-L", "podunit-vm", "-d", rootfs, tmp, vmDiskSize).CombinedOutput()
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("mkfs.ext4 -d %s: %w: %s", rootfs, err, out)
	}
	old, _ := filepath.Glob(filepath.Join(filepath.Dir(img.Disk), "disk-*.img"))
	for _, o := range old {
		_ = os.Remove(o)
	}
	return os.Rename(tmp, img.Disk)
}

// setLabel sets a file's SELinux label as setfiles would. The CI machine
// runs without SELinux, where security.* attributes are plain data to
// root.
func setLabel(path, context string) error {
	if err := unix.Lsetxattr(path, "security.selinux", append([]byte(context), 0), 0); err != nil {
		return fmt.Errorf("label %s: %w", path, err)
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
