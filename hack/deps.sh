#!/usr/bin/env bash
# Installs everything podunit's build and tests need on a fresh Debian
# machine. Idempotent and quick when all is present, so `make test` can
# always run it first.
set -euo pipefail

# systemd-container: systemd-nspawn, machinectl (test hosts, the nspawn stage)
# debootstrap:       builds the test host rootfs (e2e/testhost)
# busybox-static:    a static userland for locally made test images
# iproute2:          ip netns / veth for network tests
# util-linux:        nsenter, mount, flock
# qemu-system-x86:   boots the VM test host (TCG; its kernel comes from the
#                    image, built from Debian's linux-image-amd64)
# e2fsprogs:         mkfs.ext4 -d makes the VM test host's disk image
# make, git:         the build itself
# qemu-system-*:     the kvm stage's VM (qemu, and /usr/lib/qemu/virtiofsd)
# linux-image-*:     the kvm stage's guest kernel (/boot/vmlinuz-*) and its
#                    modules (/lib/modules/<version>); podunit builds the
#                    initramfs itself, in Go
# xz-utils:          unpacks the guest kernel's vmlinux once (its decompressor
#                    is slow under TCG)
pkgs=(systemd-container debootstrap busybox-static iproute2 util-linux
      qemu-system-x86 e2fsprogs
      debian-archive-keyring ca-certificates make git)
case $(dpkg --print-architecture) in
amd64) pkgs+=(qemu-system-x86 linux-image-amd64 xz-utils) ;;
arm64) pkgs+=(qemu-system-arm linux-image-arm64 xz-utils) ;;
*) echo "deps: no kvm stage packages for $(dpkg --print-architecture)" >&2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if ((${#missing[@]})); then
	if [[ $(id -u) != 0 ]]; then
		echo "deps: missing ${missing[*]}; run as root (or: sudo $0)" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
	echo "deps: apt packages present"
fi

if command -v go >/dev/null; then
	cd "$(dirname "$0")/.."
	go mod download
fi
