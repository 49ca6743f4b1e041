#!/bin/bash
# Builds (once) the initramfs of the PV-devices domU: an unmodified guest
# that reaches Tessera only through Linux's own Xen frontends, xen-drm-front
# (an `xl` vdispl line) and xen-kbdfront (a vkb line). A PV domU has no 9p,
# so everything it runs is inside:
#   - the kit's busybox and its xen-pv module group (prepare-kit.sh);
#   - libdrm's modetest (Debian's libdrm-tests, installed on the host if
#     missing) with every library `ldd` names and the dynamic loader;
#   - pv-evdev-log (pv_evdev_log.c, built static here);
#   - /init = pv-domu-init.sh, /bin/pv-tty1-shell, /bin/pv-modetest,
#     /bin/pv-modetest-loop.
#
#   tests/vm/prepare-pv-domu.sh BUILD_DIR
#
# Result: BUILD_DIR/vm-kit/current/pv-domu/initrd.cpio (uncompressed: xl
# would inflate a compressed ramdisk in dom0 for every guest, slowly under
# emulation). Rebuilt only when an input changes (the kit's initramfs, these
# scripts, the helper's source, the modetest binary or its libraries);
# otherwise prints "pv-domu cached".
set -euo pipefail

VM_LOG_NAME=prepare-pv-domu
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$VM_DIR/lib.sh"

[ $# -eq 1 ] || vm_die "usage: $0 BUILD_DIR"
START=$(vm_now)
"$VM_DIR/prepare-kit.sh" "$1"
BUILD_DIR=$(cd "$1" && pwd)
KIT=$(cd "$BUILD_DIR/vm-kit/current" && pwd -P)
OUT=$KIT/pv-domu

vm_ensure_packages libdrm-tests gcc libc6-dev
MODETEST=$(command -v modetest) || vm_die "libdrm-tests is installed but modetest is not on PATH"
# The libraries modetest loads, and the loader itself ("/lib64/ld-linux...").
mapfile -t LIBRARIES < <(ldd "$MODETEST" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
[ ${#LIBRARIES[@]} -ge 2 ] || vm_die "ldd $MODETEST named no libraries (is it dynamic?)"

exec 9>"$BUILD_DIR/vm-kit/.pv-domu-lock"
flock 9

fingerprint=$({
	cat "$KIT/.initrd-complete"
	for file in "$VM_DIR"/pv-domu-init.sh "$VM_DIR"/pv-tty1-shell.sh "$VM_DIR"/pv-modetest.sh \
		"$VM_DIR"/pv-modetest-loop.sh "$VM_DIR"/pv_frontbuffer.c \
		"$VM_DIR"/pv_evdev_log.c "$VM_DIR/prepare-pv-domu.sh" "$MODETEST" "${LIBRARIES[@]}"; do
		sha256sum "$file"
	done
} | sha256sum | cut -d' ' -f1)
if [ "$(cat "$OUT/.complete" 2>/dev/null)" = "$fingerprint" ] && [ -s "$OUT/initrd.cpio" ]; then
	vm_log "pv-domu cached: $OUT/initrd.cpio ($(vm_elapsed "$START") s)"
	exit 0
fi

rm -rf "$OUT"
root=$OUT/.root
mkdir -p "$root"
(cd "$root" && zcat "$KIT/initrd.gz" | cpio -id --quiet) || vm_die "cannot unpack $KIT/initrd.gz"
# Only the modules of the xen-pv group (a smaller ramdisk boots faster).
[ -s "$root/etc/modules/xen-pv.load" ] || vm_die "the kit has no xen-pv module group (stale kit? rerun prepare-kit.sh)"
for ko in "$root"/lib/modules/*.ko; do
	grep -q "^$(basename "$ko" .ko) " "$root/etc/modules/xen-pv.load" || rm -f "$ko"
done
rm -f "$root/init"
cp "$VM_DIR/pv-domu-init.sh" "$root/init"
cp "$VM_DIR/pv-tty1-shell.sh" "$root/bin/pv-tty1-shell"
cp "$VM_DIR/pv-modetest.sh" "$root/bin/pv-modetest"
cp "$VM_DIR/pv-modetest-loop.sh" "$root/bin/pv-modetest-loop"
chmod 755 "$root/init" "$root/bin/pv-tty1-shell" "$root/bin/pv-modetest" "$root/bin/pv-modetest-loop"
gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static -I/usr/include/libdrm \
	-o "$root/bin/pv-frontbuffer" "$VM_DIR/pv_frontbuffer.c" || vm_die "building pv-frontbuffer (static) failed"
gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static -o "$root/bin/pv-evdev-log" \
	"$VM_DIR/pv_evdev_log.c" || vm_die "building pv-evdev-log (static) failed"
cp "$MODETEST" "$root/bin/modetest"
for library in "${LIBRARIES[@]}"; do
	mkdir -p "$root$(dirname "$library")"
	cp -L "$library" "$root$library"
done
# ldd may name the loader by its /lib64 path or by where /lib64 points.
mkdir -p "$root/lib64"
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"

(cd "$root" && find . | cpio -o -H newc --quiet) >"$OUT/initrd.cpio.tmp"
mv "$OUT/initrd.cpio.tmp" "$OUT/initrd.cpio"
rm -rf "$root"
echo "$fingerprint" >"$OUT/.complete"
vm_log "pv-domu ready: $OUT/initrd.cpio ($(du -k "$OUT/initrd.cpio" | cut -f1) KiB, $(vm_elapsed "$START") s)"
