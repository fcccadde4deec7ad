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
pkgs=(systemd-container debootstrap busybox-static iproute2 util-linux
      qemu-system-x86 e2fsprogs
      debian-archive-keyring ca-certificates make git)

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
