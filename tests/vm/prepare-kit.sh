#!/bin/bash
# Prepares (once) the kit that run-vm.sh boots: Debian's current kernel, its
# modules, vkms.ko and udmabuf.ko built out of tree against it, and a busybox
# initramfs.
#
#   tests/vm/prepare-kit.sh BUILD_DIR
#
# Everything lands in BUILD_DIR/vm-kit/<abi>/ (BUILD_DIR/vm-kit/current points
# at it). Nothing is installed on the host but the tools listed below: the
# kernel packages are fetched with `apt-get download` and unpacked with dpkg -x.
set -euo pipefail

VM_LOG_NAME=prepare-kit
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$VM_DIR/lib.sh"

[ $# -eq 1 ] || vm_die "usage: $0 BUILD_DIR"
mkdir -p "$1"
BUILD_DIR=$(cd "$1" && pwd)
KIT_ROOT=$BUILD_DIR/vm-kit
START=$(vm_now)

# Modules the initramfs loads, by group (dependencies are added in load order).
# base: always; dmabuf: udmabuf (guest memfds as dma-bufs,
# compositor/transport/udmabuf.c), in every VM but Xen's (run-vm.sh); gpu:
# bochs-drm for a real PCI display device (run-vm.sh VM_GPU=1); xen-dom0 /
# xen-domu: under Xen (run-xen.sh); xen-pv: the PV-devices domU of
# prepare-pv-domu.sh (xen-drm-front and evdev for xen-kbdfront's
# devices; xen-kbdfront itself is built into Debian's kernel).
declare -A GROUP_MODULES=(
	[base]="virtio_pci 9pnet_virtio 9p overlay vkms evdev uinput"
	[dmabuf]="udmabuf"
	[gpu]="bochs"
	[xen-dom0]="xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc xen-pciback"
	[xen-domu]="xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc xen-pcifront drm_xen_front"
	[xen-pv]="xen-evtchn xen-privcmd xenfs evdev drm drm_kms_helper xen-front-pgdir-shbuf drm_xen_front"
)
GROUP_ORDER="base dmabuf gpu xen-dom0 xen-domu xen-pv"
declare -A MODULE_PARAMS=(
	[vkms]="enable_writeback=1 enable_cursor=1 enable_overlay=1"
)

HOST_PACKAGES=(qemu-system-x86 qemu-system-data busybox-static cpio kmod xz-utils gzip make gcc-12
	libc6-dev libelf1 libssl3)

# The initramfs is rebuilt when what goes into it changes, without redoing
# the kernel part.
initrd_fingerprint()
{
	{
		cat "$VM_DIR/initramfs-init.sh"
		echo "$KERNEL_FINGERPRINT"
		for group in $GROUP_ORDER; do echo "$group: ${GROUP_MODULES[$group]}"; done
		for module in "${!MODULE_PARAMS[@]}"; do echo "$module ${MODULE_PARAMS[$module]}"; done
	} | sha256sum | cut -d' ' -f1
}

# The kernel part (vkms.ko and udmabuf.ko above all) is rebuilt when a patch
# or the way the modules are built changes.
KERNEL_FINGERPRINT=$(cat "$VM_DIR/vkms-vblank-fix.pl" "$VM_DIR/udmabuf-module-fix.pl" \
	"$VM_DIR/gntdev-dmabuf-fix.pl" | sha256sum | cut -d' ' -f1)

vm_ensure_packages "${HOST_PACKAGES[@]}"

# One preparer at a time per build directory (parallel test runs share the
# kit); the others wait and then find it cached.
mkdir -p "$KIT_ROOT"
exec 9>"$KIT_ROOT/.lock"
flock 9

ABI=$(vm_resolve_abi)
if [ -z "$ABI" ]; then
	vm_log "apt-cache does not know linux-image-amd64 yet; running apt-get update"
	apt-get update -qq || true
	ABI=$(vm_resolve_abi)
fi
if [ -z "$ABI" ]; then
	if [ -e "$KIT_ROOT/current/.kernel-complete" ]; then
		ABI=$(basename "$(readlink -f "$KIT_ROOT/current")")
		vm_log "WARNING: cannot resolve the kernel ABI from apt; reusing the cached kit $ABI"
	else
		vm_die "cannot resolve the kernel ABI: 'apt-cache depends linux-image-amd64' names no linux-image-*-amd64; run apt-get update"
	fi
fi

KIT=$KIT_ROOT/$ABI
WORK=$KIT/.work
FINGERPRINT=$(initrd_fingerprint)

if [ "$(cat "$KIT/.kernel-complete" 2>/dev/null)" = "$KERNEL_FINGERPRINT" ] &&
	[ "$(cat "$KIT/.initrd-complete" 2>/dev/null)" = "$FINGERPRINT" ]; then
	ln -sfn "$ABI" "$KIT_ROOT/current"
	vm_log "kit cached: $KIT ($(vm_elapsed "$START") s)"
	exit 0
fi

mkdir -p "$KIT"

build_kernel_part()
{
	local step_start version headers
	rm -rf "$WORK" "$KIT/modules" "$KIT/vmlinuz" "$KIT/vkms.ko" "$KIT/udmabuf.ko" \
		"$KIT/xen-gntdev.ko"
	mkdir -p "$WORK/debs" "$WORK/root" "$WORK/src"

	# One version for every package, so vkms and udmabuf are built against
	# exactly the image we boot.
	version=$(apt-cache show --no-all-versions "linux-image-$ABI" | sed -n 's/^Version: //p' | head -n 1)
	[ -n "$version" ] || vm_die "apt-cache show linux-image-$ABI gave no version"
	vm_log "kernel $ABI (version $version): downloading packages"
	step_start=$(vm_now)
	(cd "$WORK/debs" && apt-get -q -o APT::Sandbox::User=root download \
		"linux-image-$ABI=$version" "linux-headers-$ABI=$version" \
		"linux-headers-${ABI%-amd64}-common=$version" "linux-kbuild-6.1=$version" \
		"linux-source-6.1=$version" >/dev/null) ||
		vm_die "apt-get download of the kernel packages ($ABI, $version) failed; run apt-get update, or check that the archive still has version $version"
	vm_log "downloaded in $(vm_elapsed "$step_start") s"

	step_start=$(vm_now)
	for deb in "$WORK"/debs/linux-{image,headers,kbuild}-*.deb; do
		dpkg -x "$deb" "$WORK/root"
	done
	# Only the vkms, udmabuf and gntdev sources from the 130 MB source
	# tarball, in one pass (decompressing it is most of the unpack time).
	dpkg-deb --fsys-tarfile "$WORK"/debs/linux-source-6.1_*.deb |
		tar -xO ./usr/src/linux-source-6.1.tar.xz |
		tar -xJ -C "$WORK/src" --strip-components=1 linux-source-6.1/drivers/gpu/drm/vkms \
			linux-source-6.1/drivers/dma-buf/udmabuf.c \
			linux-source-6.1/drivers/xen/gntdev.c linux-source-6.1/drivers/xen/gntdev-common.h \
			linux-source-6.1/drivers/xen/gntdev-dmabuf.c linux-source-6.1/drivers/xen/gntdev-dmabuf.h ||
		vm_die "could not extract drivers/gpu/drm/vkms, drivers/dma-buf/udmabuf.c and drivers/xen/gntdev* from linux-source-6.1"
	vm_log "unpacked in $(vm_elapsed "$step_start") s"
	# 6.1's vkms can deadlock both CPUs when vblank is disabled (see the script).
	perl "$VM_DIR/vkms-vblank-fix.pl" "$WORK/src/drivers/gpu/drm/vkms/vkms_crtc.c" >/dev/null ||
		vm_die "patching vkms_crtc.c failed (message above)"
	# Debian's kernel has no udmabuf (CONFIG_UDMABUF is a bool, unset): build
	# it alone as a module, with the changes a module needs (see the script).
	mkdir -p "$WORK/src/udmabuf"
	mv "$WORK/src/drivers/dma-buf/udmabuf.c" "$WORK/src/udmabuf/"
	echo 'obj-m := udmabuf.o' >"$WORK/src/udmabuf/Makefile"
	perl "$VM_DIR/udmabuf-module-fix.pl" "$WORK/src/udmabuf/udmabuf.c" >/dev/null ||
		vm_die "patching udmabuf.c failed (message above)"
	# Debian's xen-gntdev has no dma-buf export (CONFIG_XEN_GNTDEV_DMABUF
	# unset): rebuilt with it, replacing Debian's module in every Xen VM
	# (see the script for the one change it needs).
	mv "$WORK/src/drivers/xen" "$WORK/src/gntdev"
	printf '%s\n' 'obj-m := xen-gntdev.o' 'xen-gntdev-y := gntdev.o gntdev-dmabuf.o' \
		'ccflags-y := -DCONFIG_XEN_GNTDEV_DMABUF=1' >"$WORK/src/gntdev/Makefile"
	perl "$VM_DIR/gntdev-dmabuf-fix.pl" "$WORK/src/gntdev" >/dev/null ||
		vm_die "patching gntdev failed (message above)"

	# The arch headers include the common ones by absolute path (/usr/src/...);
	# point it at the unpacked copy instead of installing the package.
	headers=$WORK/root/usr/src/linux-headers-$ABI
	sed -i "s|^include /usr/src/|include $WORK/root/usr/src/|" "$headers/Makefile"
	step_start=$(vm_now)
	make -s -C "$headers" M="$WORK/src/drivers/gpu/drm/vkms" CONFIG_DRM_VKMS=m modules \
		>"$WORK/vkms-build.log" 2>&1 || {
		cat "$WORK/vkms-build.log" >&2
		vm_die "building vkms.ko failed (log above)"
	}
	[ "$(modinfo -F vermagic "$WORK/src/drivers/gpu/drm/vkms/vkms.ko" | cut -d' ' -f1)" = "$ABI" ] ||
		vm_die "vkms.ko was built for another kernel than $ABI"
	vm_log "vkms.ko built in $(vm_elapsed "$step_start") s"
	step_start=$(vm_now)
	make -s -C "$headers" M="$WORK/src/udmabuf" modules >"$WORK/udmabuf-build.log" 2>&1 || {
		cat "$WORK/udmabuf-build.log" >&2
		vm_die "building udmabuf.ko failed (log above)"
	}
	[ "$(modinfo -F vermagic "$WORK/src/udmabuf/udmabuf.ko" | cut -d' ' -f1)" = "$ABI" ] ||
		vm_die "udmabuf.ko was built for another kernel than $ABI"
	vm_log "udmabuf.ko built in $(vm_elapsed "$step_start") s"
	step_start=$(vm_now)
	make -s -C "$headers" M="$WORK/src/gntdev" modules >"$WORK/gntdev-build.log" 2>&1 || {
		cat "$WORK/gntdev-build.log" >&2
		vm_die "building xen-gntdev.ko (with dma-buf export) failed (log above)"
	}
	[ "$(modinfo -F vermagic "$WORK/src/gntdev/xen-gntdev.ko" | cut -d' ' -f1)" = "$ABI" ] ||
		vm_die "xen-gntdev.ko was built for another kernel than $ABI"
	vm_log "xen-gntdev.ko (dma-buf export) built in $(vm_elapsed "$step_start") s"

	cp "$WORK/src/drivers/gpu/drm/vkms/vkms.ko" "$KIT/vkms.ko"
	cp "$WORK/src/udmabuf/udmabuf.ko" "$KIT/udmabuf.ko"
	cp "$WORK/src/gntdev/xen-gntdev.ko" "$KIT/xen-gntdev.ko"
	cp "$WORK/root/boot/vmlinuz-$ABI" "$KIT/vmlinuz"
	cp "$WORK/root/boot/config-$ABI" "$KIT/config"
	mv "$WORK/root/lib/modules/$ABI" "$KIT/modules"
	rm -f "$KIT/modules/build" "$KIT/modules/source"
	rm -rf "$WORK"
	echo "$KERNEL_FINGERPRINT" >"$KIT/.kernel-complete"
}

# Path of a module by name ("xen-evtchn" and "xen_evtchn" are the same module).
module_path()
{
	local name=$1 found
	case $name in vkms | udmabuf | xen-gntdev | xen_gntdev)
		echo "$KIT/${name//_/-}.ko"
		return
		;;
	esac
	found=$(find "$KIT/modules/kernel" \( -name "$name.ko" -o -name "${name//_/-}.ko" \
		-o -name "${name//-/_}.ko" \) -print -quit)
	[ -n "$found" ] || vm_die "module $name not found in $KIT/modules"
	echo "$found"
}

# Appends NAME and (first) its dependencies to the load order, once each.
declare -A ORDERED=()
LOAD_ORDER=()
add_with_dependencies()
{
	local name=$1 path dep
	[ -n "${ORDERED[${name//-/_}]:-}" ] && return 0
	path=$(module_path "$name")
	for dep in $(modinfo -F depends "$path" | tr ',' ' '); do
		add_with_dependencies "$dep"
	done
	ORDERED[${name//-/_}]=1
	LOAD_ORDER+=("$name")
}

build_initrd()
{
	local staging=$KIT/.initrd-staging group module step_start
	step_start=$(vm_now)
	rm -rf "$staging"
	mkdir -p "$staging"/{bin,sbin,usr/bin,usr/sbin,lib/modules,etc/modules,proc,sys,dev,host,results,newroot,overlay}
	cp /bin/busybox "$staging/bin/busybox"
	cp "$VM_DIR/initramfs-init.sh" "$staging/init"
	chmod 755 "$staging/init"

	# Groups load in GROUP_ORDER, so a module listed in an earlier group is
	# loaded there and skipped later (the init skips loaded modules).
	for group in $GROUP_ORDER; do
		LOAD_ORDER=()
		ORDERED=()
		for module in ${GROUP_MODULES[$group]}; do
			add_with_dependencies "$module"
		done
		: >"$staging/etc/modules/$group.load"
		for module in "${LOAD_ORDER[@]}"; do
			cp "$(module_path "$module")" "$staging/lib/modules/$module.ko"
			echo "$module ${MODULE_PARAMS[$module]:-}" >>"$staging/etc/modules/$group.load"
		done
		vm_log "modules ($group): ${LOAD_ORDER[*]}"
	done

	(cd "$staging" && find . | cpio -o -H newc --quiet | gzip -1) >"$KIT/initrd.gz.tmp"
	mv "$KIT/initrd.gz.tmp" "$KIT/initrd.gz"
	rm -rf "$KIT/load-lists" && cp -r "$staging/etc/modules" "$KIT/load-lists"
	rm -rf "$staging"
	echo "$FINGERPRINT" >"$KIT/.initrd-complete"
	vm_log "initramfs built in $(vm_elapsed "$step_start") s ($(du -h "$KIT/initrd.gz" | cut -f1))"
}

if [ "$(cat "$KIT/.kernel-complete" 2>/dev/null)" != "$KERNEL_FINGERPRINT" ]; then
	build_kernel_part
else
	vm_log "kernel part cached; rebuilding the initramfs only"
fi
build_initrd
ln -sfn "$ABI" "$KIT_ROOT/current"
vm_log "kit ready: $KIT ($(vm_elapsed "$START") s)"
