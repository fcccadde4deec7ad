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
// Inside the host the rootfs is overlayfs, and overlayfs cannot be the
// upper layer of another overlay: anything podunit mounts with overlayfs
// must keep its upper dirs under StateDir (/var/lib/podunit), ScratchDir
// (/scratch) or a tmpfs (/run, /tmp), which are not overlay.
package testhost
