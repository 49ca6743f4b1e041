#!/bin/busybox sh
# shellcheck shell=dash
# /init of the PV-devices domU (prepare-pv-domu.sh builds its initramfs): an
# unmodified guest that uses only Linux's own Xen frontends, xen-drm-front
# (vdispl) and xen-kbdfront (vkb), with nothing of Tessera's inside.
#
# Loads the kit's xen-pv group (event channels, xenfs, evdev, drm,
# drm_kms_helper, xen-front-pgdir-shbuf, drm_xen_front), then:
#  - pv-evdev-log: every key, button and motion that reaches the guest's
#    evdev devices of xen-kbdfront, as "tessera-domu: evdev ..." lines;
#  - pv-tty1-shell: a shell reading commands typed on tty1 (the VT that
#    xen-kbdfront's keys reach), its output as "tessera-domu: tty1: ..."
#    lines on hvc0;
#  - with tsr.modetest=MODE on the kernel command line, pv-modetest MODE
#    (see that script) once the card exists.
#  - with tsr.frontbuffer=1, pv-frontbuffer (pv_frontbuffer.c): a client
#    that sets one dumb buffer once and redraws it in place, never flipping;
#  - with tsr.modetest-loop=MODE, pv-modetest-loop MODE instead: modetest
#    again on every new card (Tessera restarts, driver reloads; see it).
# Everything reports on hvc0, which dom0's xenconsoled logs to
# /var/log/xen/console/guest-NAME.log.
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp
say() { echo "tessera-domu: $*"; }

while read -r name params; do
	[ -d "/sys/module/$(echo "$name" | tr - _)" ] && continue
	# shellcheck disable=SC2086 # params are several words on purpose
	insmod "/lib/modules/$name.ko" $params || say "insmod $name failed"
done </etc/modules/xen-pv.load
grep -q ' /proc/xen ' /proc/mounts || mount -t xenfs xenfs /proc/xen 2>/dev/null
dmesg -n 1

modetest_mode=
modetest_loop=
frontbuffer=
# shellcheck disable=SC2013 # the command line is one line of words
for word in $(cat /proc/cmdline); do
	case $word in tsr.modetest=*) modetest_mode=${word#tsr.modetest=} ;; esac
	case $word in tsr.modetest-loop=*) modetest_loop=${word#tsr.modetest-loop=} ;; esac
	case $word in tsr.frontbuffer=1) frontbuffer=yes ;; esac
done

/bin/pv-evdev-log &
setsid /bin/pv-tty1-shell &
say "up (drm_xen_front loaded: $([ -d /sys/module/drm_xen_front ] && echo yes || echo no))"
if [ -n "$modetest_mode" ]; then
	/bin/pv-modetest "$modetest_mode" &
fi
if [ -n "$modetest_loop" ]; then
	/bin/pv-modetest-loop "$modetest_loop" &
fi
if [ -n "$frontbuffer" ]; then
	(
		waited=0
		until [ -e /dev/dri/card0 ] || [ $waited -ge 600 ]; do
			sleep 0.5
			waited=$((waited + 1))
		done
		/bin/pv-frontbuffer /dev/dri/card0
	) &
fi
while :; do sleep 3600; done
