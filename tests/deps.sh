#!/bin/bash
# Installs the Debian (bookworm) packages Tessera needs, only those missing.
#   tests/deps.sh build   what building and running the demo needs
#   tests/deps.sh all     also clang/sanitizer runtimes, QEMU and the VM tools
set -euo pipefail

build_packages=(gcc pkg-config meson ninja-build libdrm-dev libpixman-1-dev libpng-dev
	libfreetype-dev fonts-dejavu-core libinih-dev libevdev-dev libudev-dev libseccomp-dev libpam0g-dev libsystemd-dev scdoc
	libegl-dev libgles-dev libgbm-dev libegl-mesa0 libgl1-mesa-dri)
test_packages=(clang clang-format clang-tidy libclang-rt-14-dev libxen-dev qemu-system-x86
	busybox-static cpio kmod xz-utils dpkg-dev socat valgrind mandoc man-db systemd binutils
	dbus-daemon python3-dbusmock)

wanted=("${build_packages[@]}")
[ "${1:-all}" = all ] && wanted+=("${test_packages[@]}")

missing=()
for package in "${wanted[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "deps: missing packages (${missing[*]}) and not root: run as root or install sudo" >&2
		exit 1
	}
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed"
