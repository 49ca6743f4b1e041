#!/bin/bash
# Prepares the Xen part of the VM kit on top of prepare-kit.sh's: the Xen 4.17
# hypervisor as a multiboot ELF QEMU can load (BUILD_DIR/vm-kit/current/xen/
# xen.elf), unpacked from the Debian package without installing it. The
# dom0 runs the host's Xen tools (xen-utils-4.17) through the shared root.
#
#   tests/vm/prepare-xen-kit.sh BUILD_DIR
set -euo pipefail

VM_LOG_NAME=prepare-xen-kit
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$VM_DIR/lib.sh"

[ $# -eq 1 ] || vm_die "usage: $0 BUILD_DIR"
START=$(vm_now)
"$VM_DIR/prepare-kit.sh" "$1"
BUILD_DIR=$(cd "$1" && pwd)
XEN_DIR=$BUILD_DIR/vm-kit/current/xen
HYPERVISOR=xen-hypervisor-4.17-amd64

vm_ensure_packages xen-utils-4.17 libxen-dev
exec 9>"$BUILD_DIR/vm-kit/.xen-lock"
flock 9

version=$(apt-cache show --no-all-versions "$HYPERVISOR" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
[ -n "$version" ] || vm_die "apt-cache does not know $HYPERVISOR; run apt-get update"
if [ "$(cat "$XEN_DIR/.complete" 2>/dev/null)" = "$version" ]; then
	vm_log "xen kit cached: $XEN_DIR ($(vm_elapsed "$START") s)"
	exit 0
fi

rm -rf "$XEN_DIR"
mkdir -p "$XEN_DIR/.work"
vm_log "downloading $HYPERVISOR $version"
(cd "$XEN_DIR/.work" && apt-get -q -o APT::Sandbox::User=root download "$HYPERVISOR=$version" >/dev/null) ||
	vm_die "apt-get download $HYPERVISOR=$version failed; run apt-get update"
dpkg -x "$XEN_DIR"/.work/*.deb "$XEN_DIR/.work/root"
zcat "$XEN_DIR"/.work/root/boot/xen-4.17-amd64.gz >"$XEN_DIR/xen.elf" ||
	vm_die "no boot/xen-4.17-amd64.gz in $HYPERVISOR"
rm -rf "$XEN_DIR/.work"
echo "$version" >"$XEN_DIR/.complete"
vm_log "xen kit ready: $XEN_DIR ($(vm_elapsed "$START") s)"
