#!/bin/busybox sh
# shellcheck shell=dash
# /init of the passthrough domU of tests/vm/gpu-xen.sh: the kit's initramfs
# with this script, the static tessera-agent and gpu-domu-pattern appended.
#
# Loads the Xen front ends (xen-pcifront first) and then bochs-drm's chain
# (drm, drm_kms_helper, ttm, drm_ttm_helper, drm_vram_helper, bochs: the
# kit's "gpu" group, in dependency order), so a bochs-display hot-plugged by
# `xl pci-attach` binds at once. Runs `tessera-agent --transport xen
# --log-input` (what Tessera sends this domain shows on the console as
# "input key CODE pressed|released"), and watches for the GPU: when it
# appears, reports its driver and card node and runs gpu-domu-pattern on
# it; when it leaves (`xl pci-detach`), stops it. Every report is a
# "tessera-domu: " line on hvc0, which dom0's xenconsoled logs.
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "tessera-domu: [$(date +%s)] $*"; }

load_list()
{
	while read -r name params; do
		[ -d "/sys/module/$(echo "$name" | tr - _)" ] && continue
		# shellcheck disable=SC2086 # params are several words on purpose
		insmod "/lib/modules/$name.ko" $params || say "insmod $name failed"
	done <"$1"
}
load_list /etc/modules/xen-domu.load
load_list /etc/modules/gpu.load
grep -q ' /proc/xen ' /proc/mounts || mount -t xenfs xenfs /proc/xen 2>/dev/null
# Three buffers of a large surface need more than gntalloc's 1024 pages.
echo 65536 >/sys/module/xen_gntalloc/parameters/limit 2>/dev/null
dmesg -n 1
say "up (bochs loaded: $([ -d /sys/module/bochs ] && echo yes || echo no))"

# tsr.size=WxH: the agent's first surface size (see gpu-xen.sh).
size=640x480
# shellcheck disable=SC2013 # the command line is one line of words
for word in $(cat /proc/cmdline); do
	case $word in tsr.size=*) size=${word#tsr.size=} ;; esac
done
(
	while :; do
		/bin/tessera-agent --transport xen --source demo --colour 8040a0 --name cad \
			--size "$size" --log-input
		say "agent exited with $?"
		sleep 1
	done
) &

# The bochs-display (1234:1111) once pcifront has it, as "BDF".
find_gpu()
{
	for device in /sys/bus/pci/devices/*; do
		[ -e "$device/vendor" ] || continue
		if [ "$(cat "$device/vendor")" = 0x1234 ] && [ "$(cat "$device/device")" = 0x1111 ]; then
			basename "$device"
			return 0
		fi
	done
	return 1
}

while :; do
	until bdf=$(find_gpu); do sleep 0.2; done
	say "gpu: pci device $bdf (1234:1111) appeared"
	driver=none
	card=
	tries=0
	while [ $tries -lt 150 ]; do
		[ -e "/sys/bus/pci/devices/$bdf/driver" ] &&
			driver=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver")")
		for node in /sys/bus/pci/devices/"$bdf"/drm/card*; do
			[ -e "$node" ] && [ -e "/dev/dri/$(basename "$node")" ] && card=/dev/dri/$(basename "$node")
		done
		[ -n "$card" ] && break
		tries=$((tries + 1))
		sleep 0.2
	done
	say "gpu: $bdf driver=$driver card=${card:-none}"
	pattern=
	if [ -n "$card" ]; then
		/bin/gpu-domu-pattern "$card" &
		pattern=$!
	fi
	while [ -e "/sys/bus/pci/devices/$bdf" ]; do sleep 0.2; done
	[ -n "$pattern" ] && kill "$pattern" 2>/dev/null
	say "gpu: $bdf removed"
done
