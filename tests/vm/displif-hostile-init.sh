#!/bin/busybox sh
# shellcheck shell=dash
# /init of the hostile displif domU that displif-e2e.sh builds: the kit's
# busybox with the event-channel, xenfs and gntalloc modules (no DRM: no
# xen-drm-front claims the vdispl device) and the static hostile-displif,
# run once with the mode from tsr.hostile=MODE on the kernel command line.
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r name params; do
	[ -d "/sys/module/$(echo "$name" | tr - _)" ] && continue
	# shellcheck disable=SC2086 # params are several words on purpose
	insmod "/lib/modules/$name.ko" $params || echo "tessera-domu: insmod $name failed"
done </etc/modules/tessera-domu.load
grep -q " /proc/xen " /proc/mounts || mount -t xenfs xenfs /proc/xen 2>/dev/null
dmesg -n 1
mode=
# shellcheck disable=SC2013 # the command line is one line of words
for word in $(cat /proc/cmdline); do
	case $word in tsr.hostile=*) mode=${word#tsr.hostile=} ;; esac
done
echo "tessera-domu: up, hostile-displif $mode"
/bin/hostile-displif "$mode"
echo "tessera-domu: hostile-displif exit $?"
while :; do sleep 3600; done
