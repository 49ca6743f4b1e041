#!/bin/bash
# Builds (once) the initramfs of the desktop domU: a guest whose whole
# desktop comes from Debian's packages, unmodified — weston on its DRM
# backend with the pixman renderer, systemd-udevd and libinput,
# weston-terminal — and that reaches Tessera only through Linux's own Xen
# frontends (xen-drm-front for vdispl, xen-kbdfront for vkb). A PV domU has
# no 9p, so everything it runs is inside:
#   - the kit's busybox and its xen-pv module group (prepare-kit.sh);
#   - the files of Debian's weston, udev, xkb-data, fontconfig and
#     fonts-dejavu-core packages that the desktop needs: the programs, the
#     plugins weston loads, every library they link (resolved with the
#     dynamic loader against the unpacked packages, not the host), and their
#     data (xkb, fonts, udev rules, libinput quirks, weston's images);
#   - /init = weston-domu-init.sh, /bin/weston-term-shell.
#
#   tests/vm/prepare-weston-domu.sh BUILD_DIR
#
# The packages are downloaded with `apt-get download` (nothing is installed
# on the host) into BUILD_DIR/vm-kit/debs and kept there. Result:
# BUILD_DIR/vm-kit/current/weston-domu/initrd.cpio (uncompressed, as for
# the PV-devices domU). Rebuilt only when an input changes (the kit's
# initramfs, these scripts, the package versions); otherwise prints
# "weston-domu cached".
set -euo pipefail

VM_LOG_NAME=prepare-weston-domu
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$VM_DIR/lib.sh"

[ $# -eq 1 ] || vm_die "usage: $0 BUILD_DIR"
START=$(vm_now)
"$VM_DIR/prepare-kit.sh" "$1"
BUILD_DIR=$(cd "$1" && pwd)
KIT=$(cd "$BUILD_DIR/vm-kit/current" && pwd -P)
OUT=$KIT/weston-domu
DEBS=$BUILD_DIR/vm-kit/debs
mkdir -p "$DEBS"

exec 9>"$BUILD_DIR/vm-kit/.weston-domu-lock"
flock 9

# The packages and everything they depend on (first alternatives, no
# recommends): the names are resolved by apt, the files picked below.
top_packages="weston udev xkb-data fontconfig-config fonts-dejavu-core libinput10"
if ! apt-cache show --no-all-versions weston >/dev/null 2>&1; then
	[ "$(id -u)" -eq 0 ] || vm_die "apt knows no 'weston' package: run apt-get update (as root)"
	vm_log "apt knows no 'weston' package: apt-get update"
	apt-get update -qq || vm_die "apt-get update failed; check network access to Debian's archive"
fi
mapfile -t packages < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
	--no-breaks --no-replaces --no-enhances $top_packages 2>/dev/null | grep -E '^[a-z0-9]' | sort -u)
[ ${#packages[@]} -ge 20 ] || vm_die "apt-cache named only ${#packages[@]} packages for $top_packages (apt-get update?)"
# Their versions (a new version is a new fingerprint and a new download).
mapfile -t wanted < <(apt-cache show --no-all-versions "${packages[@]}" 2>/dev/null |
	awk '/^Package:/ { p = $2 } /^Version:/ { print p "=" $2 }' | sort -u)

fingerprint=$({
	cat "$KIT/.initrd-complete"
	printf '%s\n' "${wanted[@]}"
	for file in "$VM_DIR"/weston-domu-init.sh "$VM_DIR"/weston-term-shell.sh "$VM_DIR/prepare-weston-domu.sh"; do
		sha256sum "$file"
	done
} | sha256sum | cut -d' ' -f1)
if [ "$(cat "$OUT/.complete" 2>/dev/null)" = "$fingerprint" ] && [ -s "$OUT/initrd.cpio" ]; then
	vm_log "weston-domu cached: $OUT/initrd.cpio ($(vm_elapsed "$START") s)"
	exit 0
fi

vm_log "downloading ${#wanted[@]} Debian packages for the desktop domU into $DEBS"
(cd "$DEBS" && apt-get download "${wanted[@]}" >download.log 2>&1) ||
	vm_die "apt-get download failed (see $DEBS/download.log; is the network or apt's list up to date?)"

rm -rf "$OUT"
mkdir -p "$OUT"
staging=$OUT/.packages
root=$OUT/.root
mkdir -p "$staging" "$root"
for entry in "${wanted[@]}"; do
	name=${entry%%=*}
	version=${entry#*=}
	deb=$(find "$DEBS" -maxdepth 1 -name "${name}_${version//:/%3a}_*.deb" | head -n 1)
	[ -n "$deb" ] || vm_die "no .deb for $entry in $DEBS"
	dpkg-deb -x "$deb" "$staging" || vm_die "cannot unpack $deb"
done

(cd "$root" && zcat "$KIT/initrd.gz" | cpio -id --quiet) || vm_die "cannot unpack $KIT/initrd.gz"
[ -s "$root/etc/modules/xen-pv.load" ] || vm_die "the kit has no xen-pv module group (stale kit? rerun prepare-kit.sh)"
for ko in "$root"/lib/modules/*.ko; do
	grep -q "^$(basename "$ko" .ko) " "$root/etc/modules/xen-pv.load" || rm -f "$ko"
done

# The programs and the plugins weston dlopens.
multiarch=usr/lib/x86_64-linux-gnu
programs="usr/bin/weston usr/bin/weston-terminal usr/bin/weston-screenshooter lib/systemd/systemd-udevd bin/udevadm lib/udev/libinput-device-group
	$multiarch/weston-desktop-shell $multiarch/weston-keyboard
	$multiarch/libweston-10/drm-backend.so $multiarch/weston/desktop-shell.so"
copy_file()
{
	[ -e "$root/$1" ] && return 0
	mkdir -p "$root/$(dirname "$1")"
	cp -L "$staging/$1" "$root/$1"
}
library_path=$staging/$multiarch:$staging/lib/x86_64-linux-gnu:$staging/$multiarch/libweston-10:$staging/$multiarch/weston:$staging/lib/systemd
for program in $programs; do
	[ -e "$staging/$program" ] || vm_die "$program is not in the unpacked packages (a package changed?)"
	copy_file "$program"
	# Every library it links, found in the staging root ("=> /path"); a
	# library that resolves only to the host is an error (it would be
	# missing in the guest).
	while read -r library; do
		case $library in
		"$staging"/*) copy_file "${library#"$staging"/}" ;;
		*) vm_die "$program needs $library, which is not in the packages" ;;
		esac
	done < <(/lib64/ld-linux-x86-64.so.2 --library-path "$library_path" --list "$staging/$program" |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
done
# Libraries live in /lib/x86_64-linux-gnu and /usr/lib/x86_64-linux-gnu;
# the guest's loader finds both (and the two private directories) here.
mkdir -p "$root/etc"
printf '/%s\n' "$multiarch" lib/x86_64-linux-gnu "$multiarch/libweston-10" "$multiarch/weston" \
	lib/systemd >"$root/etc/ld.so.conf"
# The data they read.
for data in usr/share/X11/xkb usr/share/fonts/truetype/dejavu etc/fonts usr/share/fontconfig \
	usr/share/weston lib/udev/rules.d usr/share/libinput; do
	[ -e "$staging/$data" ] || continue
	mkdir -p "$root/$(dirname "$data")"
	cp -a "$staging/$data" "$root/$(dirname "$data")/"
done
# The kit's loader is the host's (both bookworm); ldconfig builds the cache
# so the guest needs no library path.
mkdir -p "$root/lib64"
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
ldconfig -r "$root" 2>/dev/null || vm_die "ldconfig -r $root failed"

cp "$VM_DIR/weston-domu-init.sh" "$root/init"
cp "$VM_DIR/weston-term-shell.sh" "$root/bin/weston-term-shell"
chmod 755 "$root/init" "$root/bin/weston-term-shell"
cat >"$root/etc/weston.ini" <<'INI'
# The desktop of the Xen stage's weston domU: a still scene (no clock, no
# panel, no idle fade) so that a screenshot taken in the guest can be
# compared with Tessera's capture of the domain.
[core]
idle-time=0
require-input=false

[shell]
background-color=0xff204a87
panel-position=none
locking=false
animation=none
close-animation=none
startup-animation=none
focus-animation=none

[keyboard]
keymap_layout=us

[terminal]
font=DejaVu Sans Mono
font-size=16
INI
mkdir -p "$root/etc/passwd.d"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\ntty:x:5:\nvideo:x:44:\ninput:x:101:\n' >"$root/etc/group"

(cd "$root" && find . | cpio -o -H newc --quiet) >"$OUT/initrd.cpio.tmp"
mv "$OUT/initrd.cpio.tmp" "$OUT/initrd.cpio"
rm -rf "$root" "$staging"
echo "$fingerprint" >"$OUT/.complete"
vm_log "weston-domu ready: $OUT/initrd.cpio ($(du -k "$OUT/initrd.cpio" | cut -f1) KiB, $(vm_elapsed "$START") s)"
