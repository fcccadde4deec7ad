// Package testhost boots throwaway systemd test hosts for podunit's e2e
// tests: a Debian rootfs built once with debootstrap (cached by the hash of
// its Recipe), booted under systemd-nspawn with systemd as PID 1, dbus,
// journald and machined, on an overlayfs copy so every boot starts clean
// and costs no copying. Commands run inside through nsenter.
//
// The CI machine runs no systemd, so this is where podunit meets a real
// one: transient units, machined registration, the journal.
//
//	func TestApply(t *testing.T) {
//		h := testhost.Boot(t, testhost.WithBinary(testhost.Binary(t)))
//		h.MustRun(t, "podunit", "apply", "-f", "/scratch/pod.yaml")
//		out := h.MustRun(t, "machinectl", "list")
//		...
//	}
//
// Tests skip unless running as root with systemd-nspawn at hand; with
// PODUNIT_E2E=1 they fail instead. Environment: PODUNIT_BIN (binary to
// bind), PODUNIT_TESTHOST_CACHE (rootfs cache, default
// /var/cache/podunit/testhost), PODUNIT_TESTHOST_TMPDIR (per-boot dirs,
// default /var/tmp), PODUNIT_TESTHOST_MIRROR (Debian mirror, default the
// one apt uses), PODUNIT_TESTHOST_KEEP=1 (keep per-boot dirs).
//
// The VM test host (BootVM, StartVM) is for what a container on the CI
// machine's hybrid cgroups and SELinux-less kernel cannot show: the same
// rootfs plus Debian's kernel and SELinux policy (VMRecipe, cached as
// vm-<hash> beside the rootfs), an ext4 disk labelled at build time,
// booted under qemu with TCG, cgroup v2 and SELinux enforcing. Commands go
// through package agent over virtio-serial; ScratchDir is a 9p share; the
// guest has no network device. Its StateDir is on the guest's own disk, so
// Host.Path has no VM counterpart.
//
// Inside the host the rootfs is overlayfs, and overlayfs cannot be the
// upper layer of another overlay: anything podunit mounts with overlayfs
// must keep its upper dirs under StateDir (/var/lib/podunit), ScratchDir
// (/scratch) or a tmpfs (/run, /tmp), which are not overlay.
package testhost
