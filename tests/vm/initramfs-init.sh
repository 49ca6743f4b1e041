#!/bin/busybox sh
# shellcheck shell=dash
# /init of the VM kit's initramfs (copied there by prepare-kit.sh).
#
# Loads the kit's modules (vkms, the 9p/virtio stack, ...), mounts the host's
# root read-only over 9p under a tmpfs overlay, mounts the writable results
# export at the path it has on the host, and runs the job run-vm.sh wrote into
# the results directory (.vm-job/env and .vm-job/cmd) in a chroot. The job's
# exit status goes to RESULTS_DIR/exit-status; then the VM powers off.
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

log()
{
	echo "[vm-init $(cut -d' ' -f1 /proc/uptime)s] $*"
}

# Without a status file the host reports the failure; the message says why.
fail()
{
	log "FATAL: $*"
	sync
	poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

module_loaded()
{
	[ -d "/sys/module/$(echo "$1" | tr - _)" ]
}

load_group()
{
	[ -f "/etc/modules/$1.load" ] || fail "unknown module group '$1'"
	while read -r name params; do
		module_loaded "$name" && continue
		# shellcheck disable=SC2086 # params are several words on purpose
		insmod "/lib/modules/$name.ko" $params || fail "insmod $name failed (group $1)"
	done <"/etc/modules/$1.load"
}

# As a Xen PV domU (run-xen.sh's guests boot this initramfs with
# tsr.role=domu): load the front-end modules, say so, and stay up.
if grep -q 'tsr.role=domu' /proc/cmdline; then
	load_group xen-domu
	dmesg -n 1
	echo "tessera-domu: up"
	while :; do sleep 3600; done
fi

load_group base
dmesg -n 1

mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /host ||
	fail "cannot mount the host root (9p tag hostroot)"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results /results ||
	fail "cannot mount the results export (9p tag results)"
[ -f /results/.vm-job/env ] || fail "no job in the results export (.vm-job/env missing)"
. /results/.vm-job/env

for group in $VM_MODULE_GROUPS; do
	load_group "$group"
done

mount -t tmpfs -o mode=755 overlay-upper /overlay
mkdir -p /overlay/upper /overlay/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/overlay/upper,workdir=/overlay/work /newroot ||
	fail "cannot mount the overlay root"
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm
# /tmp stays the overlay's (writable, backed by the tmpfs upper): CI may
# clone the source tree under the host's /tmp, and the tests must see it.
mount -t tmpfs -o mode=755 tmpfs /newroot/run
# After /tmp and /run: the results directory may live under them on the host.
mkdir -p "/newroot$VM_RESULTS_DIR"
mount --move /results "/newroot$VM_RESULTS_DIR" || fail "cannot move the results export to $VM_RESULTS_DIR"
ip link set lo up 2>/dev/null
hostname tessera-vm

status_file="/newroot$VM_RESULTS_DIR/exit-status"
log "running $(tail -n 1 "/newroot$VM_RESULTS_DIR/.vm-job/cmd")"
started=$(cut -d' ' -f1 /proc/uptime)
timeout -s TERM -k 5 "$VM_SCRIPT_TIMEOUT" \
	chroot /newroot /usr/bin/env -i \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root TERM=linux LANG=C.UTF-8 TSR_IN_VM=1 \
	/bin/sh "$VM_RESULTS_DIR/.vm-job/cmd" </dev/console
status=$?
elapsed=$(awk -v a="$started" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%d", b - a }')
if { [ $status -eq 143 ] || [ $status -eq 137 ]; } && [ "$elapsed" -ge "$VM_SCRIPT_TIMEOUT" ]; then
	log "TIMEOUT: the script ran longer than $VM_SCRIPT_TIMEOUT s and was killed"
	status=124
fi
echo "$status" >"$status_file"
log "script exited with status $status after ${elapsed}s"

sync
umount "/newroot$VM_RESULTS_DIR" 2>/dev/null
poweroff -f
