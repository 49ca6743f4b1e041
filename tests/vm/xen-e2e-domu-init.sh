#!/bin/busybox sh
# /init of the domU initramfs that xen-e2e.sh builds: the kit's initramfs
# with this script and static tessera-agent and hostile-agent appended.
# Loads the Xen front-end modules, lets gntalloc share more than its default
# 1024 pages, and runs the agent over the Xen transport:
#   kernel command line: tsr.colour=RRGGBB (demo background), tsr.name=NAME,
#   tsr.size=WxH (the first surface's size; default the agent's)
# or, with tsr.hostile=MODE, runs `hostile-agent --transport xen --mode MODE`
# once, as soon as dom0 wrote data/tessera-go in our xenstore home, and
# reports "tessera-domu: hostile-agent exit N" (Tessera does not reconnect a
# domain it dropped for a violation, so there is no second try).
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
# Three buffers of a full-screen surface need more than 1024 pages.
echo 65536 >/sys/module/xen_gntalloc/parameters/limit 2>/dev/null
dmesg -n 1
colour=808080
name=agent
hostile=
size=640x480
for word in $(cat /proc/cmdline); do
	case $word in
	tsr.colour=*) colour=${word#tsr.colour=} ;;
	tsr.name=*) name=${word#tsr.name=} ;;
	tsr.hostile=*) hostile=${word#tsr.hostile=} ;;
	tsr.size=*) size=${word#tsr.size=} ;;
	esac
done
if [ -n "$hostile" ]; then
	echo "tessera-domu: up, starting hostile-agent --mode $hostile"
	/bin/hostile-agent --transport xen --mode "$hostile" --wait-for data/tessera-go
	echo "tessera-domu: hostile-agent exit $?"
	while :; do sleep 3600; done
fi
echo "tessera-domu: up, starting the agent"
while :; do
	/bin/tessera-agent --transport xen --source demo --colour "$colour" --name "$name" \
		--size "$size"
	echo "tessera-domu: agent exited with $?"
	sleep 1
done
